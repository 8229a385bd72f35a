"""The transformers backend: `loglikelihood` and `generate_until` on a causal LM, in process.

Same maths as scoring each (context, continuation) alone with one full forward pass; the work saved does not change it:
- requests that share a context are grouped (lm-eval's Collator): the context runs once, its KV cache rows are
  shared by its continuations (gathered once per batch, never deep-copied) and only the continuation tokens run
  again; `cloze_strategy="recompute"` runs each pair as its own full sequence instead (bench/eval_speed.py compares);
- every context is tokenized once, and batches are formed longest first under a token budget (`batch_size="auto"`)
  or a fixed number of contexts;
- contexts are left-padded with explicit position ids, so a row's result does not depend on its batch;
- the LM head runs only where a log-probability is read (the last context position, the continuation tokens):
  small multilingual models have huge vocabularies (Gemma 3: 262k), so a full-sequence head costs more than the
  transformer itself;
- the token prefix that all contexts share (instruction header) runs once; batches start from its KV cache;
- log-probabilities are gathered on the device and copied to the host once per batch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ..errors import CrossinError
from ..models.hf import attention_without_cudnn
from ..prompts import tokenize_prompts
from .backend import GenerationKwargs, Loglik, OnBatch, cut_at_stop
from .hf_ops import (CPU_TOKEN_BUDGET, HEAD_CHUNK_BYTES, LMReader, cache_kwarg, common_prefix, output_cache,
                     pad_rows, per_question, plan_batches, select_rows, token_logp)

# Sharing a prompt prefix pays off only when it saves more than gathering its cache costs.
MIN_SHARED_PREFIX = 8


@dataclass
class HFBackend:
    """A transformers causal LM, loaded on first use so that a fully cached run never loads it.

    `batch_size`: questions per forward pass, or "auto" (a token budget: CPU_TOKEN_BUDGET on CPU, sized from free
    memory on CUDA; a CUDA out-of-memory error halves it and retries the batch).
    """

    model: object = None
    tokenizer: object = None
    loader: Callable[[], tuple] | None = None
    batch_size: int | str = "auto"
    identity: dict | None = None
    cloze_strategy: str = "share"  # or "recompute": every option as its own full sequence (bench/eval_speed.py)
    _prefix: tuple | None = field(default=None, repr=False)
    _budget: int | None = field(default=None, repr=False)

    # --- setup ----------------------------------------------------------------------------------------------------

    def _ensure(self):
        if self.model is None:
            if self.loader is None:
                raise RuntimeError("HFBackend has neither a model nor a loader")
            self.model, self.tokenizer = self.loader()
        return self.model, self.tokenizer

    @property
    def pad_id(self) -> int:
        """Padding needs an id; its value is masked out. The eos id when the tokenizer has no pad token: the caller's
        tokenizer is read, never changed."""
        tok = self._ensure()[1]
        return tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id

    @property
    def device(self):
        return next(self._ensure()[0].parameters()).device

    def _token_budget(self) -> int:
        if self._budget is None:
            self._budget = CPU_TOKEN_BUDGET
            if self.device.type == "cuda":
                import torch

                free, _ = torch.cuda.mem_get_info(self.device)
                config = self._ensure()[0].config
                config = getattr(config, "text_config", config)
                # Per token: the KV cache rows cloze gathers, plus the widest activation (MLP) with headroom.
                width = max(getattr(config, "intermediate_size", 0), 4 * getattr(config, "hidden_size", 1024))
                kv = 2 * getattr(config, "num_hidden_layers", 32) * getattr(config, "num_key_value_heads", 8) * \
                    getattr(config, "head_dim", 128)
                per_token = 4 * (kv + 4 * width) * self.model.dtype.itemsize
                self._budget = int(max(2048, min(1 << 18, 0.5 * free // per_token)))
        return self._budget

    def _batches(self, costs: list[tuple[int, int]]) -> list[list[int]]:
        fixed = None if self.batch_size == "auto" else int(self.batch_size)
        return plan_batches(costs, max_items=fixed, token_budget=None if fixed else self._token_budget())

    def _run_batches(self, costs, run_batch, on_batch: OnBatch | None, n: int) -> list:
        """run_batch(indices) -> values per index; batches planned from costs; OOM on CUDA halves the budget."""
        import torch

        out: list = [None] * n
        pending = self._batches(costs)
        while pending:
            batch = pending.pop(0)
            try:
                with attention_without_cudnn(self.device):
                    values = run_batch(batch)
            except torch.cuda.OutOfMemoryError:
                if len(batch) == 1:
                    raise
                torch.cuda.empty_cache()
                self._budget = max(1, (self._budget or CPU_TOKEN_BUDGET) // 2)
                half = len(batch) // 2
                pending[:0] = [batch[:half], batch[half:]]
                continue
            for i, v in zip(batch, values):
                out[i] = v
            if on_batch is not None:
                on_batch(batch, values)
        return out

    def _encode(self, prompts: list[str]) -> list[list[int]]:
        return tokenize_prompts(self._ensure()[1], prompts)

    def _prepare_prefix(self, encoded: list[list[int]]) -> None:
        """Run the token prefix all prompts share (instruction header, template) once and keep its KV cache."""
        import torch

        if len(encoded) < 2:
            self._prefix = None
            return
        first = encoded[0]
        shared = min(len(ids) for ids in encoded) - 1  # every prompt keeps at least one token of its own
        for ids in encoded[1:]:
            shared = common_prefix(ids[:shared], first)
        if shared < MIN_SHARED_PREFIX:
            self._prefix = None
            return
        if self._prefix is not None and self._prefix[0] == first[:shared]:
            return
        model, _ = self._ensure()
        with torch.inference_mode(), attention_without_cudnn(self.device):
            out = model(input_ids=torch.tensor([first[:shared]], device=self.device), use_cache=True, logits_to_keep=1)
        self._prefix = (first[:shared], output_cache(out))

    # --- the prompt pass --------------------------------------------------------------------------------------------

    def _prompt_forward(self, encoded: list[list[int]], *, keep_cache: bool, extra_tokens: int = 0):
        """Forward left-padded prompts with only the last position's logits.

        Returns (output, attention mask over all cached positions, real token count per row). Position ids count
        real tokens only, so padding never shifts a position. `extra_tokens`: tokens still to be appended to the cache.
        """
        import torch

        model, tok = self._ensure()
        device = self.device
        prefix, prefix_cache = self._prefix or ([], None)
        window = getattr(getattr(model, "config", None), "sliding_window", None)
        use_prefix = bool(prefix) and all(ids[:len(prefix)] == prefix for ids in encoded)
        if use_prefix and window:
            # Pads sit between the shared prefix and each suffix; a sliding window counts cache slots, pads
            # included, so share only when the whole sequence fits in the window.
            use_prefix = max(len(ids) for ids in encoded) + extra_tokens < window
        offset = len(prefix) if use_prefix else 0
        ids, mask = pad_rows([seq[offset:] for seq in encoded], self.pad_id, left=True)
        ids, mask = ids.to(device, non_blocking=True), mask.to(device, non_blocking=True)
        positions = offset + (mask.cumsum(-1) - 1).clamp(min=0)
        kwargs = {}
        if use_prefix:
            kwargs[cache_kwarg(model)] = select_rows(prefix_cache, torch.zeros(len(encoded), dtype=torch.long, device=device))
            mask = torch.cat([torch.ones((len(encoded), offset), dtype=mask.dtype, device=device), mask], dim=1)
        out = model(input_ids=ids, attention_mask=mask, position_ids=positions, logits_to_keep=1,
                    use_cache=keep_cache or use_prefix, **kwargs)
        return out, mask, mask.sum(-1)

    # --- loglikelihood ---------------------------------------------------------------------------------------------

    def continuation_ids(self, texts: list[str]) -> list[list[int]]:
        """Each continuation's token ids, tokenized on its own as `loglikelihood` does."""
        return [list(ids) for ids in self._ensure()[1](texts, add_special_tokens=False).input_ids] if texts else []

    def loglikelihood(self, requests: list[tuple[str, str]], *, on_batch: OnBatch | None = None) -> list[Loglik]:
        """Per (context, continuation): summed log P(continuation tokens | context), their number, is_greedy.

        The context is tokenized as a prompt (BOS added) and the continuation on its own (no special tokens), so a
        token never straddles the two. Requests that share a context are one question (lm-eval's Collator groups
        them the same way): its prompt runs once and its KV cache rows serve every continuation; a context whose
        continuations are all one token (option letters) needs only its last position's logits.
        """
        _, tok = self._ensure()
        contexts = list(dict.fromkeys(c for c, _ in requests))
        where = {c: i for i, c in enumerate(contexts)}
        members: list[list[int]] = [[] for _ in contexts]
        for r, (c, _) in enumerate(requests):
            members[where[c]].append(r)
        encoded = self._encode(contexts)
        self._prepare_prefix(encoded)
        flat = tok([c for _, c in requests], add_special_tokens=False).input_ids if requests else []  # one call
        conts = [[flat[r] for r in m] for m in members]
        if any(not c for c in flat):
            raise CrossinError("a continuation tokenizes to nothing; scoring needs a non-empty continuation")
        # A question's longer continuations add rows of a few tokens each (and KV rows to gather): half a prompt
        # row apiece; one-token continuations are read at the prompt's last position and cost nothing more.
        costs = []
        for ids, cs in zip(encoded, conts):
            longer = sum(len(c) > 1 for c in cs)
            costs.append((len(ids) + (max(len(c) for c in cs) if longer else 0), 1 + (longer + 1) // 2))
        run = self._score_batch if self.cloze_strategy == "share" else self._score_batch_recompute

        def report(batch: list[int], values: list) -> None:
            if on_batch is not None:
                on_batch([r for i in batch for r in members[i]], [v for vs in values for v in vs])

        per_context = self._run_batches(costs, lambda batch: run(batch, encoded, conts), report, len(contexts))
        out: list = [None] * len(requests)
        for m, values in zip(members, per_context):
            for r, v in zip(m, values):
                out[r] = v
        return out

    def _lm(self) -> LMReader:
        """The model with its LM head split off, so the head runs on gathered positions only (hf_ops.LMReader)."""
        if not hasattr(self, "_reader"):
            model, tok = self._ensure()
            self._reader = LMReader(model, self.pad_id or 0)  # the caller's tokenizer is never given a pad token
        return self._reader

    def _score_batch_recompute(self, batch, encoded, conts) -> list[list[Loglik]]:
        """Each (context, continuation) as one right-padded sequence; the head runs at the continuation positions only."""
        import torch

        _, tok = self._ensure()
        seqs, spans = [], []  # spans: (first position predicting the continuation, its length)
        for i in batch:
            for c in conts[i]:
                seqs.append(encoded[i] + c)
                spans.append((len(encoded[i]) - 1, len(c)))
        ids, mask = pad_rows(seqs, self.pad_id)
        pick = torch.zeros(ids.shape, dtype=torch.bool)
        for r, (start, n) in enumerate(spans):
            pick[r, start:start + n] = True
        targets = torch.cat([ids[:, 1:], ids[:, :1]], dim=1)
        ids, mask, pick, targets = (t.to(self.device) for t in (ids, mask, pick, targets))
        with torch.inference_mode():
            sums, greedy = self._read_rows(self._lm().states(ids, mask)[0], pick, targets)
            return per_question(sums, greedy, batch, conts)

    def _score_batch(self, batch, encoded, conts) -> list[list[Loglik]]:
        import torch

        _, tok = self._ensure()
        device = self.device
        # Flatten (question, continuation) pairs of this batch.
        pairs = [(b, o) for b, i in enumerate(batch) for o in range(len(conts[i]))]
        flat = [conts[batch[b]][o] for b, o in pairs]
        longer = [r for r, c in enumerate(flat) if len(c) > 1]
        with torch.inference_mode():
            out, mask, lengths = self._prompt_forward([encoded[i] for i in batch], keep_cache=bool(longer),
                                                      extra_tokens=max(len(c) for c in flat))
            first_logp = out.logits[:, -1, :].float().log_softmax(-1)
            q_of = torch.tensor([b for b, _ in pairs], device=device)
            first_tok = torch.tensor([c[0] for c in flat], device=device)
            totals = first_logp[q_of, first_tok]  # token 0 of each continuation, predicted at the prompt's end
            greedy = first_logp.argmax(-1)[q_of] == first_tok
            if longer:
                sums, rest_greedy = self._continuation_logp(tok, [flat[r] for r in longer], q_of[longer],
                                                            output_cache(out), mask, lengths)
                at = torch.tensor(longer, device=device)
                totals = totals.index_add(0, at, sums)
                greedy = greedy.index_copy(0, at, greedy[at] & rest_greedy)
            return per_question(totals, greedy, batch, conts)

    def _continuation_logp(self, tok, conts, q_rows, cache, mask, lengths):
        """Per continuation: summed log P(token j | prompt, tokens < j) for j >= 1, and whether each was the argmax."""
        import torch

        device = mask.device
        steps = max(len(c) for c in conts) - 1  # token j+1 is predicted at position j
        ids, cont_mask = pad_rows([c[:-1] for c in conts], self.pad_id)
        targets, _ = pad_rows([c[1:] for c in conts], 0)
        ids, cont_mask, targets = (t.to(device, non_blocking=True) for t in (ids, cont_mask, targets))
        attention = torch.cat([mask[q_rows], cont_mask.to(mask.dtype)], dim=1)
        positions = lengths[q_rows, None] + torch.arange(steps, device=device)[None, :]
        real = cont_mask.bool()
        states, _ = self._lm().states(ids, attention, positions, select_rows(cache, q_rows))
        return self._read_rows(states, real, targets)

    def _read_rows(self, states, pick, targets):
        """Per row of `states` ([rows, positions, ...]): summed log P(target) over the positions `pick` selects, and
        whether every one was the argmax; the head runs there only, HEAD_CHUNK_BYTES of logits at a time."""
        import torch

        lm, flat_targets = self._lm(), targets[pick]
        logps, missed = [], []
        for s, logits in lm.chunks(states[pick], HEAD_CHUNK_BYTES, min_rows=64):
            logps.append(token_logp(logits, flat_targets[s:s + logits.shape[0]]))
            missed.append(logits.argmax(-1) != flat_targets[s:s + logits.shape[0]])
            del logits  # one chunk alive at a time
        logp, miss = torch.cat(logps), torch.cat(missed).to(logps[0].dtype)
        row_of = torch.arange(pick.shape[0], device=pick.device)[:, None].expand_as(pick)[pick]
        sums = torch.zeros(pick.shape[0], dtype=logp.dtype, device=pick.device).index_add_(0, row_of, logp)
        misses = torch.zeros(pick.shape[0], dtype=logp.dtype, device=pick.device).index_add_(0, row_of, miss)
        return sums, misses == 0

    # --- generation -------------------------------------------------------------------------------------------------

    def generate_until(self, requests: list[tuple[str, GenerationKwargs]], *,
                       on_batch: OnBatch | None = None) -> list[str]:
        """Greedy continuations, batched per distinct GenerationKwargs, cut at the first stop string."""
        out: list = [None] * len(requests)
        groups: dict[GenerationKwargs, list[int]] = {}
        for r, (_, kw) in enumerate(requests):
            groups.setdefault(kw, []).append(r)
        for kw, members in groups.items():
            if kw.temperature > 0:
                raise CrossinError("the in-process backend decodes greedily; temperature must be 0")

            def report(batch, values, members=members):
                if on_batch is not None:
                    on_batch([members[i] for i in batch], values)

            texts = self._generate([requests[r][0] for r in members], kw, report)
            for r, text in zip(members, texts):
                out[r] = text
        return out

    def _generate(self, prompts: list[str], kw: GenerationKwargs, on_batch) -> list[str]:
        import torch
        from transformers import GenerationConfig

        model, tok = self._ensure()
        encoded = self._encode(prompts)
        config = GenerationConfig(max_new_tokens=kw.max_gen_toks, do_sample=False, pad_token_id=self.pad_id,
                                  eos_token_id=tok.eos_token_id)

        def run(batch: list[int]) -> list[str]:
            rows = [encoded[i] for i in batch]
            ids, mask = (t.to(self.device) for t in pad_rows(rows, self.pad_id, left=True))
            width = ids.shape[1]
            with torch.inference_mode():
                out = model.generate(input_ids=ids, attention_mask=mask, generation_config=config)
            return [cut_at_stop(t, kw.until) for t in tok.batch_decode(out[:, width:], skip_special_tokens=True)]

        return self._run_batches([(len(ids) + kw.max_gen_toks, 1) for ids in encoded], run, on_batch, len(prompts))
