"""Model work for evaluation: letter log-likelihoods, cloze option log-likelihoods, greedy generation.

HF models: prompts are left-padded with explicit position ids, so an item's result does not depend on
what else is in its batch (up to float rounding). Work is saved three ways, none of which changes the maths:
- only the logits that are needed are computed: the vocabulary of small multilingual models is huge (Gemma 3:
  262k), so a full-sequence LM head costs about as much as the transformer itself;
- the token prefix all prompts of a run share (instruction header, template) runs once; batches start from its KV
  cache (`prepare`);
- cloze: a question's prompt runs once and its KV cache is shared by all of its options.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from ..benchmarks import LETTERS
from ..errors import CrossinError
from ..prompts import tokenize_prompts

# A letter may be predicted with or without a leading space depending on the prompt's last character;
# both spellings are summed (in probability space) so the score does not hinge on tokenisation.
LETTER_VARIANTS = ("{}", " {}")
# Cloze continuation logits are materialised for at most this many token positions at once (x vocab x 4 bytes).
CLOZE_LOGIT_POSITIONS = 256
# Sharing a prompt prefix pays off only when it saves more than the copy of its cache costs.
MIN_SHARED_PREFIX = 8


def letter_token_ids(tokenizer, n_choices: int) -> list[list[int]]:
    ids = []
    for letter in LETTERS[:n_choices]:
        variants = []
        for pattern in LETTER_VARIANTS:
            tokens = tokenizer(pattern.format(letter), add_special_tokens=False).input_ids
            if len(tokens) == 1 and tokens[0] not in variants:
                variants.append(tokens[0])
        if not variants:
            raise CrossinError(f"the tokenizer has no single token for the option letter {letter!r}; use --mode cloze or generate")
        ids.append(variants)
    return ids


def _cache_kwarg(model) -> str:
    """transformers renamed `past_key_values` to `cache` (5.2x; the old name goes in 5.40)."""
    import inspect

    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    return "cache" if "cache" in inspect.signature(type(base).forward).parameters else "past_key_values"


def cloze_continuation(prompt: str, option: str) -> str:
    """lm-eval's convention: the separating space belongs to the continuation."""
    return option if not prompt or prompt[-1].isspace() else " " + option


@dataclass
class HFBackend:
    """A transformers causal LM, loaded on first use so that a fully cached run never loads it."""

    loader: Callable[[], tuple] | None = None
    model: object = None
    tokenizer: object = None

    def _ensure(self):
        if self.model is None:
            if self.loader is None:
                raise RuntimeError("HFBackend has neither a model nor a loader")
            self.model, self.tokenizer = self.loader()
        if self.tokenizer.pad_token_id is None:  # left padding needs a pad id; its value is masked out
            self.tokenizer.pad_token = self.tokenizer.eos_token
        return self.model, self.tokenizer

    def prepare(self, prompts: list[str]) -> None:
        """Run the token prefix that all `prompts` share (instruction header, template) once and keep its KV cache.

        Every later batch starts from a copy of it, so the header is not recomputed per question. The prefix is
        the same whatever the batch size, and the maths is that of the unshared prompt, so results do not change.
        """
        import torch

        self._prefix = None
        model, tok = self._ensure()
        if len(prompts) < 2:
            return
        encoded = tokenize_prompts(tok, prompts)
        shared = min(len(ids) for ids in encoded) - 1  # every prompt keeps at least one token of its own
        first = encoded[0]
        for ids in encoded[1:]:
            n = 0
            while n < shared and ids[n] == first[n]:
                n += 1
            shared = n
        if shared < MIN_SHARED_PREFIX:
            return
        device = next(model.parameters()).device
        with torch.inference_mode():
            out = model(input_ids=torch.tensor([first[:shared]], device=device), use_cache=True, logits_to_keep=1)
        self._prefix = (first[:shared], out.cache if hasattr(out, "cache") else out.past_key_values)

    def _prompt_forward(self, prompts: list[str], *, keep_cache: bool, extra_tokens: int = 0):
        """Forward the prompts (left-padded) with only the last position's logits.

        Returns (output, attention mask over all cached positions, real token count per row). Position ids count
        real tokens only, so padding never shifts a position and a row's result does not depend on its batch.
        `extra_tokens`: how many tokens will still be appended to the cache (cloze continuations).
        """
        import torch

        model, tok = self._ensure()
        device = next(model.parameters()).device
        encoded = tokenize_prompts(tok, prompts)
        prefix, prefix_cache = getattr(self, "_prefix", None) or ([], None)
        window = getattr(getattr(model, "config", None), "sliding_window", None)
        use_prefix = bool(prefix) and all(ids[:len(prefix)] == prefix for ids in encoded)
        if use_prefix and window:
            # Pads sit between the shared prefix and each suffix; a sliding window counts cache slots, pads
            # included, so share only when the whole sequence fits in the window (then pads cannot push a real
            # token out of it).
            use_prefix = max(len(ids) for ids in encoded) + extra_tokens < window
        offset = len(prefix) if use_prefix else 0
        suffixes = [ids[offset:] for ids in encoded]
        width = max(len(ids) for ids in suffixes)
        ids = torch.full((len(prompts), width), tok.pad_token_id, dtype=torch.long)
        mask = torch.zeros((len(prompts), width), dtype=torch.long)
        for row, suffix in enumerate(suffixes):
            ids[row, width - len(suffix):] = torch.tensor(suffix)
            mask[row, width - len(suffix):] = 1
        ids, mask = ids.to(device), mask.to(device)
        positions = offset + (mask.cumsum(-1) - 1).clamp(min=0)
        kwargs = {}
        if use_prefix:
            cache = copy.deepcopy(prefix_cache)
            cache.batch_repeat_interleave(len(prompts))
            kwargs[_cache_kwarg(model)] = cache
            mask = torch.cat([torch.ones((len(prompts), offset), dtype=mask.dtype, device=device), mask], dim=1)
        with torch.inference_mode():
            out = model(input_ids=ids, attention_mask=mask, position_ids=positions, logits_to_keep=1,
                        use_cache=keep_cache or use_prefix, **kwargs)
        return out, mask, mask.sum(-1)

    def token_length(self, prompt: str) -> int:
        return len(self._ensure()[1](prompt).input_ids)

    def loglik(self, prompts: list[str], n_choices: list[int]) -> list[list[float]]:
        """Per prompt: log P(letter) for each option letter, from one forward pass with only the last logits."""
        import torch

        model, tok = self._ensure()
        out, _, _ = self._prompt_forward(prompts, keep_cache=False)
        logp = out.logits[:, -1, :].float().log_softmax(-1)
        letter_ids = {n: letter_token_ids(tok, n) for n in set(n_choices)}
        return [[torch.logsumexp(logp[row, variants], 0).item() for variants in letter_ids[n]]
                for row, n in enumerate(n_choices)]

    def cloze(self, prompts: list[str], options: list[list[str]]) -> list[list[float]]:
        """Per prompt: each option's summed log-likelihood divided by its character length (lm-eval acc_norm).

        The prompts run once (batched, left-padded) and their KV cache is shared by all of their options.
        """
        import torch

        model, tok = self._ensure()
        rows = []  # (prompt row, option index, continuation token ids, character length)
        for q, (prompt, opts) in enumerate(zip(prompts, options)):
            for o, option in enumerate(opts):
                text = cloze_continuation(prompt, option)
                rows.append((q, o, tok(text, add_special_tokens=False).input_ids, len(text)))
        out, mask, lengths = self._prompt_forward(prompts, keep_cache=True,
                                                  extra_tokens=max((len(r[2]) for r in rows), default=0))
        device = mask.device
        with torch.inference_mode():
            first_logp = out.logits[:, -1, :].float().log_softmax(-1)
            cache = out.cache if hasattr(out, "cache") else out.past_key_values
            totals = [[0.0] * len(opts) for opts in options]
            start = 0
            while start < len(rows):
                # Chunk the options so the materialised logits stay bounded.
                end, width = start, 0
                while end < len(rows):
                    width = max(width, len(rows[end][2]))
                    if end > start and (end - start + 1) * width > CLOZE_LOGIT_POSITIONS:
                        break
                    end += 1
                chunk = rows[start:end]
                start = end
                for (q, o, cont, n_chars), value in zip(chunk, self._cloze_chunk(model, tok, chunk, cache, mask, lengths,
                                                                                  first_logp, device, torch)):
                    totals[q][o] = value / max(n_chars, 1)
        return totals

    @staticmethod
    def _cloze_chunk(model, tok, chunk, cache, mask, lengths, first_logp, device, torch) -> list[float]:
        width = max(len(c[2]) for c in chunk)
        sums = []
        for q, _, cont, _ in chunk:
            sums.append(first_logp[q, cont[0]].item() if cont else float("-inf"))
        if width <= 1:
            return sums
        # Only tokens 0..width-2 need a forward pass: token j+1 is predicted at position j.
        steps = width - 1
        pad = tok.pad_token_id
        rows_idx = torch.tensor([c[0] for c in chunk], device=device)
        ids = torch.full((len(chunk), steps), pad, dtype=torch.long, device=device)
        cont_mask = torch.zeros((len(chunk), steps), dtype=mask.dtype, device=device)
        for r, (_, _, cont, _) in enumerate(chunk):
            n = len(cont) - 1
            if n > 0:
                ids[r, :n] = torch.tensor(cont[:n], device=device)
                cont_mask[r, :n] = 1
        shared = copy.deepcopy(cache)
        shared.batch_select_indices(rows_idx)
        attention = torch.cat([mask[rows_idx], cont_mask], dim=1)
        positions = lengths[rows_idx, None] + torch.arange(steps, device=device)[None, :]
        out = model(input_ids=ids, attention_mask=attention, position_ids=positions, use_cache=True,
                    **{_cache_kwarg(model): shared})
        logits = out.logits.float()
        logp = logits - torch.logsumexp(logits, dim=-1, keepdim=True)
        for r, (_, _, cont, _) in enumerate(chunk):
            for j in range(1, len(cont)):
                sums[r] += logp[r, j - 1, cont[j]].item()
        return sums

    def generate(self, prompts: list[str], max_new_tokens: int) -> list[str]:
        from transformers import GenerationConfig

        import torch

        model, tok = self._ensure()
        encoded = tokenize_prompts(tok, prompts)
        width = max(len(x) for x in encoded)
        device = next(model.parameters()).device
        ids = torch.tensor([[tok.pad_token_id] * (width - len(x)) + x for x in encoded], device=device)  # left padding
        mask = torch.tensor([[0] * (width - len(x)) + [1] * len(x) for x in encoded], device=device)
        config = GenerationConfig(max_new_tokens=max_new_tokens, do_sample=False, pad_token_id=tok.pad_token_id,
                                  eos_token_id=tok.eos_token_id)
        with torch.inference_mode():
            out = model.generate(input_ids=ids, attention_mask=mask, generation_config=config)
        return tok.batch_decode(out[:, ids.shape[1]:], skip_special_tokens=True)


@dataclass
class OpenAIBackend:
    """An OpenAI-compatible server; one chat request per prompt, `batch_size` of them in flight."""

    base_url: str
    model_name: str
    concurrency: int = 8
    seed: int | None = None

    def generate(self, prompts: list[str], max_new_tokens: int) -> list[str]:
        from ..models.openai_api import chat_completion

        def one(prompt: str) -> str:
            return chat_completion(self.base_url, self.model_name, [{"role": "user", "content": prompt}],
                                   temperature=0.0, max_tokens=max_new_tokens, seed=self.seed)

        with ThreadPoolExecutor(max_workers=max(1, min(self.concurrency, len(prompts)))) as pool:
            return list(pool.map(one, prompts))
