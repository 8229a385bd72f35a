"""The model's single owner: a queue of jobs and one worker thread.

Jobs waiting together are computed together: scoring jobs (echo + logprobs, greedy, at most one new token) grouped
by shared prefix (scoring.py), greedy generations of one adapter in one batched `generate`. A generation yields
every `slice_tokens` tokens while others wait, and a long scoring prompt yields after every CHUNK_TOKENS, so no
request (a long one, or many) holds the model for long. A job that fails is retried alone before it is failed, so
one bad request in a batch never fails the others; memory is handed back to the system after a failure or a long job.
"""

from __future__ import annotations

import contextlib
import gc
import queue
import threading
from concurrent.futures import Future
from dataclasses import dataclass, field

from ..evaluate.hf_ops import pad_rows
from ..models.hf import attention_without_cudnn
from .scoring import CHUNK_TOKENS, Scored, Scorer, group_by_prefix, group_needs

SLICE_TOKENS = 16
MAX_BATCH = 64


@dataclass
class Job:
    ids: list[int]  # prompt token ids
    max_tokens: int
    temperature: float = 0.0
    seed: int | None = None
    score: bool = False  # echo / logprobs wanted: score prompt + generated tokens
    ignore_eos: bool = False  # vLLM's extension: generate max_tokens tokens whatever comes
    stop: tuple[str, ...] = ()  # generation ends once one of these strings is written
    top_k: int = 0
    adapter: str | None = None  # a --lora-modules name; None: the base model
    top_p: float = 1.0  # sampling only
    sample_top_k: int = 0  # sampling only; 0 = all tokens
    logprob_start: int = 1  # score: prompt log-probabilities from this token on (earlier ones are None)
    generated: list[int] = field(default_factory=list)
    finish: str | None = None
    scores: Scored | None = None
    future: Future = field(default_factory=Future)

    @property
    def quick(self) -> bool:
        """Scoring with at most the greedy next token: one forward pass, no generate."""
        return self.score and self.temperature == 0 and self.max_tokens <= 1


def wants_next(job: Job) -> bool:
    """A scoring job that still generates its one greedy token (max_tokens 1); max_tokens 0 scores the prompt only."""
    return job.max_tokens == 1 and not job.generated


def first_stop(text: str, stops: tuple[str, ...]) -> int:
    """Index of the earliest stop string in text (-1: none); linear in len(text) per stop string."""
    found = [i for i in (text.find(s) for s in stops) if i >= 0]
    return min(found) if found else -1


def release_memory(device) -> None:
    """Give freed tensors back: glibc keeps a big freed block in its arena, so RSS would stay at the peak."""
    gc.collect()
    if getattr(device, "type", "cpu") == "cuda":
        import torch

        torch.cuda.empty_cache()
    with contextlib.suppress(Exception):  # not glibc (macOS, musl): nothing to trim
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)


class Engine:
    def __init__(self, model, tokenizer, *, adapters: list[str] | None = None, slice_tokens: int = SLICE_TOKENS,
                 max_batch: int = MAX_BATCH):
        self.model, self.tokenizer = model, tokenizer
        # padding needs an id (masked out): eos when the tokenizer has none; the caller's tokenizer is never changed
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
        self.adapters = adapters or []  # names of PEFT adapters loaded with --lora-modules
        self.scorer = Scorer(model, self.pad_id)
        self.device = self.scorer.device
        self.slice_tokens, self.max_batch = slice_tokens, max_batch
        self._queue: queue.Queue[Job] = queue.Queue()
        self._long: list[tuple[Job, object]] = []  # long scoring jobs in progress: (job, generator)
        threading.Thread(target=self._work, name="crossin-serve-engine", daemon=True).start()

    def submit(self, job: Job) -> Future:
        self._queue.put(job)
        return job.future

    def others_wait(self) -> bool:
        return not self._queue.empty() or bool(self._long)

    def _use(self, adapter: str | None):
        """The model with `adapter` active (None: the base model, adapters off)."""
        if not self.adapters:
            return contextlib.nullcontext()
        if adapter is None:
            return self.model.disable_adapter()
        self.model.set_adapter(adapter)
        return contextlib.nullcontext()

    def _work(self) -> None:
        while True:
            try:
                jobs = [self._queue.get(block=not self._long)]
            except queue.Empty:
                jobs = []
            while len(jobs) < self.max_batch:
                try:
                    jobs.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            if jobs:
                self._isolated(self._step, jobs)
            if self._long:  # one piece of the oldest long prompt, then back to the queue
                self._advance_long()

    def _isolated(self, run, jobs: list[Job]) -> None:
        """run(jobs); when it fails, each job alone, so only the one that fails gets the error."""
        try:
            run(jobs)
            return
        except Exception as e:  # noqa: BLE001 - the server must survive any one request
            error = e
        release_memory(self.device)
        if len(jobs) == 1:
            if not jobs[0].future.done():
                jobs[0].future.set_exception(error)
            return
        for job in jobs:
            if not job.future.done():
                self._isolated(run, [job])

    def _step(self, jobs: list[Job]) -> None:
        by_adapter: dict[str | None, list[Job]] = {}
        for job in jobs:
            if not job.future.done():
                by_adapter.setdefault(job.adapter, []).append(job)
        for adapter, group in by_adapter.items():
            with self._use(adapter), attention_without_cudnn(self.device):
                quick = [j for j in group if j.quick]
                if quick:
                    self._isolated(self._score, quick)
                for job in [j for j in group if not j.quick and j.temperature > 0]:  # each has its own seed
                    self._isolated(self._generate, [job])
                greedy: dict[bool, list[Job]] = {}
                for job in group:
                    if not job.quick and job.temperature == 0:
                        greedy.setdefault(job.ignore_eos, []).append(job)
                for batch in greedy.values():
                    self._isolated(self._generate, batch)

    # --- scoring --------------------------------------------------------------------------------------------------

    def _score_all(self, jobs: list[Job], k: int) -> list[Scored]:
        return self.scorer.score([j.ids + j.generated for j in jobs], k, [j.logprob_start for j in jobs],
                                 [wants_next(j) for j in jobs])

    def _score(self, jobs: list[Job]) -> None:
        seqs = [j.ids + j.generated for j in jobs]
        k = max(1, max(j.top_k for j in jobs))
        starts, nexts = [j.logprob_start for j in jobs], [wants_next(j) for j in jobs]
        short: list[int] = []
        for shared, members in group_by_prefix(seqs):
            if shared > CHUNK_TOKENS:  # long: piece by piece, interleaved with other requests
                group = [jobs[m] for m in members]
                gen = self.scorer.score_one_group(seqs, shared, members, k, *group_needs(members, starts, nexts))
                self._long.append((group, gen))
            else:
                short += members
        if short:
            self._isolated(lambda part: self._finish_scored(part, self._score_all(part, k)), [jobs[i] for i in short])

    def _advance_long(self) -> None:
        group, gen = self._long[0]
        with self._use(group[0].adapter), attention_without_cudnn(self.device):
            try:
                next(gen)
                return
            except StopIteration as stop:
                self._long.pop(0)
                self._finish_scored(group, stop.value)
            except Exception as e:  # noqa: BLE001
                self._long.pop(0)
                for job in group:
                    if not job.future.done():
                        job.future.set_exception(e)
        release_memory(self.device)

    def _finish_scored(self, jobs: list[Job], scored: list[Scored]) -> None:
        for job, result in zip(jobs, scored):
            if wants_next(job):  # greedy: the most likely next token
                job.generated = [result.next[0]]
                job.finish = "length"
                result.logprobs.append(result.next[1])
                result.top.append(result.next_top)
            elif job.finish is None:
                job.finish = "length"
            job.scores = result
            if not job.future.done():
                job.future.set_result(job)

    # --- generation -----------------------------------------------------------------------------------------------

    def _generate(self, jobs: list[Job]) -> None:
        import torch
        from transformers import GenerationConfig, StoppingCriteria, StoppingCriteriaList

        tok, model, engine = self.tokenizer, self.model, self
        rows = [j.ids + j.generated for j in jobs]
        width = max(len(r) for r in rows)
        # Characters of generated text to look back at for a stop string (a token may be a quarter character).
        lookback = [4 * max((len(s) for s in j.stop), default=0) + 4 for j in jobs]

        class YieldOrStop(StoppingCriteria):
            """Per row: a stop string written (looking back only as far as the longest one can reach); for all
            rows: other requests wait and this slice has run its tokens."""

            def __init__(self):
                self.steps = 0
                self.stopped_at: dict[int, int] = {}  # row -> new tokens when its stop string was written

            def __call__(self, input_ids, scores, **kwargs):
                self.steps += 1
                stop = self.steps >= engine.slice_tokens and engine.others_wait()
                done = torch.full((input_ids.shape[0],), stop, dtype=torch.bool, device=input_ids.device)
                for r, job in enumerate(jobs):
                    if job.stop and r not in self.stopped_at:
                        new = input_ids[r, width:].tolist()
                        tail = tok.decode((job.generated[-lookback[r]:] + new)[-lookback[r]:], skip_special_tokens=True)
                        if first_stop(tail, job.stop) >= 0:
                            self.stopped_at[r] = len(new)
                    done[r] |= r in self.stopped_at
                return done

        budget = max(j.max_tokens - len(j.generated) for j in jobs)
        ids, mask = (t.to(self.device) for t in pad_rows(rows, self.pad_id, left=True))
        sample = jobs[0].temperature > 0
        config = GenerationConfig(max_new_tokens=budget, do_sample=sample,
                                  temperature=jobs[0].temperature if sample else None,
                                  top_p=jobs[0].top_p if sample and jobs[0].top_p < 1 else None,
                                  top_k=jobs[0].sample_top_k if sample and jobs[0].sample_top_k else None,
                                  pad_token_id=self.pad_id,
                                  eos_token_id=None if jobs[0].ignore_eos else tok.eos_token_id)
        criterion = YieldOrStop()
        with torch.inference_mode():
            if sample and jobs[0].seed is not None:
                torch.manual_seed(jobs[0].seed & 0xFFFF_FFFF_FFFF_FFFF)  # a negative seed: its two's complement
            out = model.generate(input_ids=ids, attention_mask=mask, generation_config=config,
                                 stopping_criteria=StoppingCriteriaList([criterion]))
        new = out[:, width:].tolist()
        for r, (job, tokens) in enumerate(zip(jobs, new)):
            if r in criterion.stopped_at:  # the padding after a row's stop is not text
                tokens = tokens[:criterion.stopped_at[r]]
            for t in tokens:
                if len(job.generated) >= job.max_tokens:
                    break
                if t == tok.eos_token_id and not job.ignore_eos:
                    job.finish = "stop"
                    break
                job.generated.append(t)
            if job.finish is None and job.stop and first_stop(
                    tok.decode(job.generated, skip_special_tokens=True), job.stop) >= 0:
                job.finish = "stop"
            if job.finish is None and len(job.generated) >= job.max_tokens:
                job.finish = "length"
            if job.finish is None:
                self._queue.put(job)  # yielded to waiting requests: continue later
            elif job.score:
                self._isolated(lambda part: self._finish_scored(part, self._score_all(part, max(1, part[0].top_k))),
                               [job])
            else:
                job.future.set_result(job)
