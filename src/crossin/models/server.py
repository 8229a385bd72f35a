"""An OpenAI-compatible server over a local HF model (`crossin serve`): /v1/models, /v1/completions (with `echo` and
`logprobs`, so `crossin eval --mode loglik|cloze` and lm-eval's local-completions work through it) and
/v1/chat/completions. FastAPI + uvicorn; use vLLM for throughput on big models.

One worker thread owns the model and serves a queue. Requests waiting together are computed together: scoring
requests (echo + logprobs) in one batched forward pass, greedy generations in one batched `generate`. A generation
yields every `slice_tokens` tokens while others wait and continues later from where it stopped, so no request (a
long one, or many) holds the model for long; `max_tokens` above `max_tokens_cap` is refused with HTTP 400.
"""


import asyncio
import queue
import threading
import time
import uuid
from concurrent.futures import Future
from dataclasses import dataclass, field

from ..evaluate.hf_backend import HFBackend
from ..prompts import tokenize_prompt

DEFAULT_MAX_TOKENS_CAP = 2048
SLICE_TOKENS = 16
MAX_BATCH = 32
MAX_TOP_LOGPROBS = 20


def messages_to_prompt(messages: list[dict], tokenizer) -> str:
    """The tokenizer's chat template when it has one; a base model gets the message texts as they are."""
    if getattr(tokenizer, "chat_template", None):
        return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    return "\n\n".join(str(m.get("content") or "") for m in messages)


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
    offsets: list[int] | None = None  # character offset of each prompt token in the prompt text
    generated: list[int] = field(default_factory=list)
    finish: str | None = None
    scores: dict | None = None
    future: Future = field(default_factory=Future)


class Engine:
    """The model's single owner: a queue of jobs and one worker thread."""

    def __init__(self, model, tokenizer, *, slice_tokens: int = SLICE_TOKENS, max_batch: int = MAX_BATCH):
        self.backend = HFBackend(model=model, tokenizer=tokenizer)
        self.tokenizer = tokenizer
        self.slice_tokens, self.max_batch = slice_tokens, max_batch
        self._queue: queue.Queue[Job] = queue.Queue()
        threading.Thread(target=self._work, name="crossin-serve-engine", daemon=True).start()

    def submit(self, job: Job) -> Future:
        self._queue.put(job)
        return job.future

    def _work(self) -> None:
        while True:
            jobs = [self._queue.get()]
            while len(jobs) < self.max_batch:
                try:
                    jobs.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                self._step(jobs)
            except Exception as e:  # noqa: BLE001 - one bad batch must not kill the server
                for job in jobs:
                    if not job.future.done():
                        job.future.set_exception(e)

    def _step(self, jobs: list[Job]) -> None:
        # Greedy next-token-only scoring (lm-eval's and crossin's loglik/cloze requests): one forward, no generate.
        quick, generating = [], []
        for j in jobs:
            (quick if j.score and j.temperature == 0 and j.max_tokens <= 1 else generating).append(j)
        if quick:
            self._finish_scored(quick)
        for job in [j for j in generating if j.temperature > 0]:  # each has its own seed
            self._generate([job])
        groups: dict[tuple, list[Job]] = {}
        for job in generating:
            if job.temperature == 0:  # greedy jobs that stop alike run as one batch
                groups.setdefault((job.ignore_eos, job.stop), []).append(job)
        for group in groups.values():
            self._generate(group)

    def _generate(self, jobs: list[Job]) -> None:
        import torch
        from transformers import GenerationConfig, StoppingCriteria, StoppingCriteriaList

        tok, model = self.tokenizer, self.backend.model
        engine = self

        class YieldWhenOthersWait(StoppingCriteria):
            def __init__(self):
                self.steps = 0

            def __call__(self, input_ids, scores, **kwargs):
                self.steps += 1
                stop = self.steps >= engine.slice_tokens and not engine._queue.empty()
                return torch.full((input_ids.shape[0],), stop, dtype=torch.bool, device=input_ids.device)

        rows = [j.ids + j.generated for j in jobs]
        budget = max(j.max_tokens - len(j.generated) for j in jobs)
        width = max(len(r) for r in rows)
        device = self.backend.device
        ids = torch.tensor([[tok.pad_token_id] * (width - len(r)) + r for r in rows], device=device)
        mask = torch.tensor([[0] * (width - len(r)) + [1] * len(r) for r in rows], device=device)
        sample = jobs[0].temperature > 0
        config = GenerationConfig(max_new_tokens=budget, do_sample=sample, temperature=jobs[0].temperature if sample else None,
                                  top_p=None, top_k=None, pad_token_id=tok.pad_token_id,
                                  eos_token_id=None if jobs[0].ignore_eos else tok.eos_token_id,
                                  stop_strings=list(jobs[0].stop) or None)
        with torch.inference_mode():
            if sample and jobs[0].seed is not None:
                torch.manual_seed(jobs[0].seed)
            out = model.generate(input_ids=ids, attention_mask=mask, generation_config=config, tokenizer=tok,
                                 stopping_criteria=StoppingCriteriaList([YieldWhenOthersWait()]))
        new = out[:, width:].tolist()
        for job, tokens in zip(jobs, new):
            for t in tokens:
                if len(job.generated) >= job.max_tokens:
                    break
                if t == tok.eos_token_id and not job.ignore_eos:
                    job.finish = "stop"
                    break
                job.generated.append(t)
            text = tok.decode(job.generated, skip_special_tokens=True) if job.stop else ""
            if job.finish is None and any(s in text for s in job.stop):
                job.finish = "stop"
            if job.finish is None and len(job.generated) >= job.max_tokens:
                job.finish = "length"
            if job.finish is None:
                self._queue.put(job)  # yielded to waiting requests: continue later
            elif job.score:
                self._finish_scored([job])
            else:
                job.future.set_result(job)

    def _finish_scored(self, jobs: list[Job]) -> None:
        scored = self.backend.sequence_logprobs([j.ids + j.generated for j in jobs], top_k=max(j.top_k for j in jobs))
        for job, result in zip(jobs, scored):
            if job.max_tokens == 1 and not job.generated:  # greedy: the most likely next token
                job.generated = [result["next"][0]]
                job.finish = "length"
                result["logprobs"].append(result["next"][1])
                if result["top"] is not None:
                    result["top"].append(None)
            elif job.finish is None:
                job.finish = "length"
            job.scores = result
            job.future.set_result(job)


def encode_with_offsets(tokenizer, text: str) -> tuple[list[int], list[int]]:
    """Token ids exactly as `tokenize_prompt` makes them, with each token's character offset in `text`."""
    bos = getattr(tokenizer, "bos_token", None)
    enc = tokenizer(text, add_special_tokens=not (bos and text.startswith(bos)), return_offsets_mapping=True)
    return enc["input_ids"], [start for start, _ in enc["offset_mapping"]]


def _logprobs_block(tokenizer, job: Job, prompt_text: str, echo: bool, top_k: int) -> dict:
    """OpenAI's legacy `logprobs` object: per token its text, log-probability, top alternatives and text offset."""
    result = job.scores
    n = len(job.ids)
    start = 0 if echo else n
    if job.offsets is not None:
        offsets = list(job.offsets)
    else:  # the client sent token ids: offsets into the decoded prompt
        offsets = [len(tokenizer.decode(job.ids[:i], skip_special_tokens=True)) for i in range(n)]
    base = len(prompt_text) if echo else 0
    for i in range(len(job.generated)):
        offsets.append(base + len(tokenizer.decode(job.generated[:i], skip_special_tokens=True)))
    ids = job.ids + job.generated
    tokens = [tokenizer.decode([t], skip_special_tokens=False) for t in ids[start:]]
    top = None
    if top_k and result.get("top") is not None:
        top = [None if t is None else {tokenizer.decode([i]): v for i, v in t[:top_k]} for t in result["top"][start:]]
    return {"tokens": tokens, "token_logprobs": result["logprobs"][start:], "top_logprobs": top,
            "text_offset": offsets[start:]}


def create_app(model, tokenizer, name: str, *, max_tokens_cap: int = DEFAULT_MAX_TOKENS_CAP,
               slice_tokens: int = SLICE_TOKENS):
    from typing import Any

    from fastapi import FastAPI, Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse
    from pydantic import BaseModel, ConfigDict, Field, model_validator

    engine = Engine(model, tokenizer, slice_tokens=slice_tokens)
    app = FastAPI(title=f"crossin serve: {name}")

    class Message(BaseModel):
        role: str
        content: str | list[dict[str, Any]] | None = None

    class Common(BaseModel):
        model_config = ConfigDict(extra="allow")  # top_p, user, ...: accepted, ignored
        model: str | None = None
        max_tokens: int | None = Field(None, ge=0, le=max_tokens_cap)
        max_completion_tokens: int | None = Field(None, ge=1, le=max_tokens_cap)
        temperature: float = Field(0.0, ge=0.0, le=2.0)
        seed: int | None = None
        n: int = Field(1, ge=1, le=1)
        ignore_eos: bool = False
        stop: str | list[str] | None = None

    class CompletionRequest(Common):
        prompt: str | list[str] | list[int] | list[list[int]]
        echo: bool = False
        logprobs: int | None = Field(None, ge=0, le=MAX_TOP_LOGPROBS)

        @model_validator(mode="after")
        def _check(self):
            if self.prompt == [] or self.prompt == "":
                raise ValueError("prompt must not be empty")
            if self.max_tokens == 0 and not self.echo:
                raise ValueError("max_tokens 0 needs echo (scoring the prompt only)")
            return self

    class ChatRequest(Common):
        messages: list[Message] = Field(min_length=1)
        logprobs: bool = False

        @model_validator(mode="after")
        def _check(self):
            if self.max_tokens == 0:
                raise ValueError("max_tokens must be at least 1")
            return self

    def error(code: int, message: str) -> JSONResponse:
        return JSONResponse(status_code=code, content={"error": {"message": message, "type": "invalid_request_error",
                                                                 "code": code}})

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError):
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(x) for x in first.get("loc", ())[1:]) or "body"
        return error(400, f"{where}: {first.get('msg', 'invalid request')}")

    async def run(job: Job) -> Job:
        return await asyncio.wrap_future(engine.submit(job))

    def stops(stop) -> tuple[str, ...]:
        return tuple(s for s in ([stop] if isinstance(stop, str) else stop or []) if s)

    def stop_at(text: str, stop: tuple[str, ...]) -> tuple[str, bool]:
        """`stop`: a job's stop strings, as stops() made them."""
        for s in stop:
            if s in text:
                return text[:text.index(s)], True
        return text, False

    @app.get("/v1/models")
    async def models():
        return {"object": "list", "data": [{"id": name, "object": "model", "owned_by": "crossin",
                                            "max_tokens_cap": max_tokens_cap}]}

    @app.post("/v1/completions")
    async def completions(body: CompletionRequest):
        prompts = body.prompt
        if isinstance(prompts, str) or (prompts and isinstance(prompts[0], int)):
            prompts = [prompts]
        max_tokens = body.max_tokens if body.max_tokens is not None else (body.max_completion_tokens or 16)
        score = body.echo or body.logprobs is not None
        jobs = []
        for p in prompts:
            ids, offsets = (list(p), None) if isinstance(p, list) else encode_with_offsets(tokenizer, p)
            if not ids:
                return error(400, "prompt must not be empty")
            if any(not 0 <= t < len(tokenizer) for t in ids):
                return error(400, "prompt token id out of the vocabulary")
            jobs.append(Job(ids, max_tokens, body.temperature, body.seed, score=score, top_k=body.logprobs or 0,
                            offsets=offsets, ignore_eos=body.ignore_eos, stop=stops(body.stop)))
        done = await asyncio.gather(*(run(j) for j in jobs))
        choices = []
        for index, (p, job) in enumerate(zip(prompts, done)):
            completion, stopped = stop_at(tokenizer.decode(job.generated, skip_special_tokens=True), job.stop)
            prompt_text = p if isinstance(p, str) else tokenizer.decode(p, skip_special_tokens=True)
            choice = {"index": index, "text": (prompt_text if body.echo else "") + completion,
                      "finish_reason": "stop" if stopped else job.finish, "logprobs": None}
            if score:  # echo: every prompt token too (the tokenizer's BOS first, with offset 0)
                choice["logprobs"] = _logprobs_block(tokenizer, job, prompt_text, body.echo, body.logprobs or 0)
            choices.append(choice)
        n_prompt, n_new = sum(len(j.ids) for j in done), sum(len(j.generated) for j in done)
        return {"id": f"cmpl-{uuid.uuid4().hex[:12]}", "object": "text_completion", "created": int(time.time()),
                "model": name, "choices": choices,
                "usage": {"prompt_tokens": n_prompt, "completion_tokens": n_new, "total_tokens": n_prompt + n_new}}

    @app.post("/v1/chat/completions")
    async def chat(body: ChatRequest):
        messages = [{"role": m.role, "content": m.content if isinstance(m.content, str) else
                     "".join(part.get("text", "") for part in m.content or [])} for m in body.messages]
        prompt = messages_to_prompt(messages, tokenizer)
        max_tokens = body.max_completion_tokens or body.max_tokens or min(256, max_tokens_cap)
        job = await run(Job(tokenize_prompt(tokenizer, prompt), max_tokens, body.temperature, body.seed,
                            ignore_eos=body.ignore_eos, stop=stops(body.stop)))
        text, stopped = stop_at(tokenizer.decode(job.generated, skip_special_tokens=True), job.stop)
        n_prompt, n_new = len(job.ids), len(job.generated)
        return {"id": f"chatcmpl-{uuid.uuid4().hex[:12]}", "object": "chat.completion", "created": int(time.time()),
                "model": name, "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                                            "finish_reason": "stop" if stopped else job.finish}],
                "usage": {"prompt_tokens": n_prompt, "completion_tokens": n_new, "total_tokens": n_prompt + n_new}}

    return app
