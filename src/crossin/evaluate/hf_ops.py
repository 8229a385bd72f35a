"""The scoring core shared by the HF backend (evaluate/hf_backend.py) and `crossin serve` (serve/scoring.py): batch
planning, KV-cache rows for prefix sharing, and `LMReader`, the model run so that the LM head and its log-softmax
run only at the positions read."""

from __future__ import annotations

import copy
import inspect

# `batch_size="auto"` on CPU: tokens per forward pass. Measured on 2 cores (40 Cross-MMLU questions): loglik 9.4 s at
# 1-2k tokens, 13.6 s at 4k; larger batches only spill the CPU caches.
CPU_TOKEN_BUDGET = 2048
# Bytes of fp32 logits materialised at once when the HF backend runs the LM head over continuation positions (the
# server keeps less alive per request: serve/scoring.py).
HEAD_CHUNK_BYTES = 1 << 28


def plan_batches(costs: list[tuple[int, int]], *, max_items: int | None, token_budget: int | None) -> list[list[int]]:
    """Group item indices into batches, longest first.

    costs[i] = (padded tokens the item adds per row, rows it adds); a batch's cost is its longest item's length times
    its rows (what a padded forward computes). `max_items` fixes the number of items per batch instead.
    """
    order = sorted(range(len(costs)), key=lambda i: (-costs[i][0], i))
    batches, current, width, rows = [], [], 0, 0
    for i in order:
        length, n_rows = costs[i]
        full = (len(current) >= max_items) if max_items else (
            current and max(width, length) * (rows + n_rows) > (token_budget or CPU_TOKEN_BUDGET))
        if full:
            batches.append(current)
            current, width, rows = [], 0, 0
        current.append(i)
        width, rows = max(width, length), rows + n_rows
    if current:
        batches.append(current)
    return batches


def common_prefix(a: list[int], b: list[int]) -> int:
    """How many leading tokens `a` and `b` share."""
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    return i


def select_rows(cache, rows):
    """A new cache object holding `rows` of `cache` (one gather per layer; `cache` itself is left untouched)."""
    new = copy.copy(cache)
    new.layers = []
    for layer in cache.layers:
        part = copy.copy(layer)
        if getattr(layer, "is_initialized", False) and layer.keys is not None and layer.keys.numel():
            part.keys, part.values = layer.keys[rows], layer.values[rows]
        new.layers.append(part)
    return new


def cache_kwarg(module) -> str:
    """transformers renamed `past_key_values` to `cache` (5.2x; the old name goes in 5.40). A PEFT wrapper's forward
    takes **kwargs and passes them on, so the name is the wrapped model's."""
    base = module.get_base_model() if hasattr(module, "get_base_model") else module
    return "cache" if "cache" in inspect.signature(type(base).forward).parameters else "past_key_values"


def token_logp(logits, targets):
    """log softmax(logits)[target], without materialising the whole log-softmax."""
    return logits.gather(-1, targets[..., None])[..., 0] - logits.logsumexp(-1)


def per_question(totals, greedy, batch, conts) -> list[list[tuple[float, int, bool]]]:
    """(summed log-likelihood, tokens, is_greedy) of each continuation, one host copy, grouped per context."""
    values, flags = totals.tolist(), greedy.tolist()
    result, k = [], 0
    for i in batch:
        result.append([(values[k + o], len(c), bool(flags[k + o])) for o, c in enumerate(conts[i])])
        k += len(conts[i])
    return result


def output_cache(out):
    return out.cache if hasattr(out, "cache") else out.past_key_values


def split_head(model, pad_id: int):
    """(decoder, head function) so the LM head runs on chosen positions only; None when the model's own forward does
    more than head + Gemma-style softcapping (checked once against the model's logits)."""
    import torch

    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    decoder = base.get_decoder() if hasattr(base, "get_decoder") else None
    head = base.get_output_embeddings()
    cap = getattr(getattr(base, "config", None), "final_logit_softcapping", None)

    def apply(hidden):
        logits = head(hidden).float()
        return torch.tanh(logits / cap) * cap if cap else logits

    if decoder is None or head is None:
        return None
    device = next(model.parameters()).device
    with torch.inference_mode():
        ids = torch.tensor([[pad_id] * 3], device=device)
        want = model(input_ids=ids).logits.float()
        got = apply(decoder(input_ids=ids).last_hidden_state)
    return (decoder, apply) if torch.allclose(want, got, atol=1e-3, rtol=1e-3) else None


class LMReader:
    """The model split so the LM head (Gemma 3: 262k wide, costlier than the transformer) runs only where a
    log-probability is read: `states` runs the transformer (hidden states; the model's own logits of every position
    when split_head finds no split), `logits` the head over chosen rows, `chunks` over many rows a bounded number
    of bytes at a time."""

    def __init__(self, model, pad_id: int):
        self.model = model
        self.split = split_head(model, pad_id)

    def states(self, ids, mask=None, positions=None, cache=None, *, use_cache: bool = False):
        """(states of every position, the updated cache or None); `cache` is a KV cache the rows continue."""
        module = self.split[0] if self.split else self.model
        kwargs = {} if cache is None else {cache_kwarg(module): cache}
        out = module(input_ids=ids, attention_mask=mask, position_ids=positions,
                     use_cache=use_cache or cache is not None, **kwargs)
        states = out.last_hidden_state if self.split else out.logits
        return states, output_cache(out) if use_cache else None

    def logits(self, states):
        """fp32 logits of rows of `states`."""
        return self.split[1](states) if self.split else states.float()

    def vocab(self, states) -> int:
        return self.model.get_output_embeddings().weight.shape[0] if self.split else states.shape[-1]

    def chunks(self, states, chunk_bytes: int, min_rows: int = 1):
        """(first row, fp32 logits) over `states` ([rows, ...]), at most chunk_bytes of logits (or min_rows rows)
        alive at once."""
        chunk = max(min_rows, chunk_bytes // (4 * self.vocab(states)))
        for s in range(0, states.shape[0], chunk):
            yield s, self.logits(states[s:s + chunk])


def pad_rows(rows: list[list[int]], pad_id: int, *, left: bool = False):
    """(ids, attention mask) of token rows as [rows, longest] long tensors on the CPU: each row at the start (right
    padding: positions stay the natural ones) or at the end (left padding: prompts to generate from or to read the
    last position of); pads are `pad_id`, masked out."""
    import torch
    from torch.nn.utils.rnn import pad_sequence

    side = "left" if left else "right"
    ids = pad_sequence([torch.tensor(r, dtype=torch.long) for r in rows], batch_first=True, padding_value=pad_id,
                       padding_side=side)
    mask = pad_sequence([torch.ones(len(r), dtype=torch.long) for r in rows], batch_first=True, padding_side=side)
    return ids, mask
