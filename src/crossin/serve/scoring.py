"""Echo + logprobs scoring for `crossin serve`: every token's log-probability, its top alternatives, and the most
likely next token, for many token sequences at once.

Clients score options as separate sequences that share a long prefix (the question; lm-eval's `(context,
continuation)` pairs, crossin's letter variants and cloze options). Sequences are grouped by the token prefix they
share; a group's prefix runs once (one row of KV cache, its echo log-probabilities read once) and only each
member's own suffix runs again on top of that cache. The LM head (Gemma 3: 262k wide, costlier than the
transformer) runs only at real token positions, in chunks of HEAD_CHUNK_BYTES, so no request materialises
positions x vocabulary; a long prefix is run CHUNK_TOKENS at a time (`prefill_chunks`), so attention memory is
bounded too, and the engine can serve short requests between the chunks. A request that needs log-probabilities
only from token `start` on (`logprob_start_len`, SGLang's field; crossin's client sends the context length) gets
the head only there, as the in-process backend: earlier prompt tokens run through the transformer alone; and a
group whose members add one token each and want no next token (`max_tokens` 0: option letters) is read entirely
at the prefix's last position, with no suffix pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..evaluate.hf_ops import LMReader, common_prefix, pad_rows, select_rows

# Bytes of fp32 logits alive at once (64 MiB: 64 positions of Gemma 3's 262k vocabulary).
HEAD_CHUNK_BYTES = 1 << 26
# Tokens per forward pass when a prefix is run piece by piece (long prompts); a short request waits at most one
# piece.
CHUNK_TOKENS = 256


@dataclass
class Scored:
    """One sequence's echo: `logprobs[i]` = log P(token i | tokens < i) (None for token 0), `top[i]` the top-k
    alternatives at that position as [(token id, log-prob)], `next` the most likely token after the sequence with
    its log-prob and `next_top` the top-k there."""

    logprobs: list = field(default_factory=lambda: [None])
    top: list = field(default_factory=lambda: [None])
    next: tuple[int, float] | None = None
    next_top: list | None = None


def group_by_prefix(seqs: list[list[int]]) -> list[tuple[int, list[int]]]:
    """[(shared token count, member indices)]. Sorted sequences join their neighbour's group when that computes
    fewer tokens than running them apart; every member of a group of several keeps at least one token of its own.
    A lone sequence's "prefix" is the whole sequence."""
    order = sorted(range(len(seqs)), key=lambda i: seqs[i])
    groups: list[tuple[int, list[int]]] = []
    shared, members = len(seqs[order[0]]), [order[0]]
    for i in order[1:]:
        s = seqs[i]
        joined = min(shared, common_prefix(seqs[members[-1]], s), len(s) - 1,
                     *(len(seqs[m]) - 1 for m in members))
        apart = (shared if len(members) == 1 else shared + sum(len(seqs[m]) - shared for m in members)) + len(s)
        together = joined + sum(len(seqs[m]) - joined for m in [*members, i])
        if joined > 0 and together < apart:
            shared, members = joined, [*members, i]
        else:
            groups.append((shared, members))
            shared, members = len(s), [i]
    groups.append((shared, members))
    return groups


def run_to_end(gen):
    """The return value of a generator that only yields to let others run (score_one_group)."""
    while True:
        try:
            next(gen)
        except StopIteration as stop:
            return stop.value


def group_needs(members: list[int], starts: list[int] | None, nexts: list[bool] | None) -> tuple[int, bool]:
    """(first token whose log-probability a group needs, whether it needs the next token) for Scorer.score."""
    return (min(starts[m] for m in members) if starts else 1), (any(nexts[m] for m in members) if nexts else True)


class Scorer:
    """Runs the model for echo scoring, the LM head split off where it can be (hf_ops.LMReader)."""

    def __init__(self, model, pad_id: int):
        self.model, self.pad_id = model, pad_id
        self.device = next(model.parameters()).device
        self.lm = LMReader(model, pad_id)

    def _forward(self, ids, mask, positions, cache):
        """States of every position (hidden, or the model's own logits), and the updated cache."""
        return self.lm.states(ids, mask, positions, cache, use_cache=True)

    def read(self, states, targets: list[int], k: int, rows: list[int] | None = None):
        """Per target: (log P(target) at its row of `states` ([rows, hidden] or logits), that row's top-k [(id,
        log-prob)]) with k >= 1; rows[i] is target i's row (default i), so one row read for several targets runs
        the head once. The head runs HEAD_CHUNK_BYTES of logits at a time."""
        import torch

        if not len(targets):
            return [], []
        if rows is not None:  # only the rows read, each once
            used = sorted(set(rows))
            if used != list(range(states.shape[0])):
                states = states[torch.tensor(used, device=states.device)]
            rows = [{r: i for i, r in enumerate(used)}[r] for r in rows] if len(used) > 1 else [0] * len(rows)
        rows = list(range(len(targets))) if rows is None else rows
        top_v, top_i = [], []
        target, row = torch.tensor(targets, device=states.device), torch.tensor(rows, device=states.device)
        picked = torch.empty(len(targets), device=states.device)
        for s, logits in self.lm.chunks(states, HEAD_CHUNK_BYTES):
            chunk = logits.shape[0]
            lse = logits.logsumexp(-1)
            mine = ((row >= s) & (row < s + chunk)).nonzero()[:, 0]
            local = row[mine] - s
            picked[mine] = logits[local, target[mine]] - lse[local]
            values, indices = logits.topk(k, dim=-1)
            top_v.append(values - lse[:, None])
            top_i.append(indices)
            del logits  # one chunk alive at a time
        top_v, top_i = torch.cat(top_v).tolist(), torch.cat(top_i).tolist()
        return picked.tolist(), [list(zip(top_i[r], top_v[r])) for r in rows]

    def prefill_chunks(self, ids: list[int], k: int, extra_targets: list[int], start: int = 1):
        """Run one sequence CHUNK_TOKENS at a time; a generator that yields after each piece (the engine serves
        others meanwhile) and returns (KV cache, Scored for tokens 1..n-1 (None before token `start`), reads of the
        last position for each of `extra_targets` (or its top-k and argmax when there are none))."""
        import torch

        result, cache, done = Scored(), None, 0
        last_reads = None
        while done < len(ids):
            piece = ids[done:done + CHUNK_TOKENS]
            end = done + len(piece)
            is_last = end == len(ids)
            n_inner = len(piece) - (1 if is_last else 0)  # positions whose next token is in `ids`
            skip = min(n_inner, max(0, start - 1 - done))  # positions before `start - 1`: no head
            with torch.inference_mode():
                x = torch.tensor([piece], device=self.device)
                positions = torch.arange(done, end, device=self.device)[None, :]
                states, cache = self._forward(x, None, positions, cache)
                states = states[0]
                targets = ids[done + skip + 1:done + n_inner + 1]
                rows = list(range(skip, n_inner))
                if is_last:  # the last position, read once for every extra target
                    targets += extra_targets or [0]
                    rows += [len(piece) - 1] * max(1, len(extra_targets))
                picked, tops = self.read(states, targets, k, rows) if targets else ([], [])
            n_read = n_inner - skip
            result.logprobs += [None] * skip + picked[:n_read]
            result.top += [None] * skip + tops[:n_read]
            if is_last:
                last_reads = list(zip(picked[n_read:], tops[n_read:]))
            done = end
            if done < len(ids):
                yield
        return cache, result, last_reads

    def score(self, seqs: list[list[int]], k: int, starts: list[int] | None = None,
              nexts: list[bool] | None = None) -> list[Scored]:
        """Scored per sequence: tokens from starts[i] on (default 1: all), and the next token when nexts[i]
        (default True)."""
        results: list[Scored | None] = [None] * len(seqs)
        for shared, members in group_by_prefix(seqs):
            gen = self.score_one_group(seqs, shared, members, k, *group_needs(members, starts, nexts))
            for i, scored in zip(members, run_to_end(gen)):
                results[i] = scored
        return results

    def score_one_group(self, seqs, shared, members, k, start: int = 1, want_next: bool = True):
        """A generator (see prefill_chunks) that returns the group's Scored list."""
        prefix = seqs[members[0]][:shared]
        alone = len(members) == 1
        extra = [] if alone else [seqs[m][shared] for m in members]
        cache, head_part, last = yield from self.prefill_chunks(prefix, k, extra, start)
        if alone:
            head_part.next, head_part.next_top = (last[0][1][0][0], last[0][1][0][1]), last[0][1]
            return [head_part]
        if not want_next and all(len(seqs[m]) == shared + 1 for m in members):  # option letters: no suffix pass
            return [Scored(logprobs=head_part.logprobs + [lp], top=head_part.top + [top]) for lp, top in last]
        return self._suffixes(seqs, shared, members, k, cache, head_part, last, want_next)

    def _suffixes(self, seqs, shared, members, k, cache, head_part, last, want_next=True) -> list[Scored]:
        """Each member's tokens after the shared prefix, run as right-padded rows over copies of its KV cache (the
        next token after each read only when wanted)."""
        import torch

        suffixes = [seqs[m][shared:] for m in members]
        ids, suffix_mask = pad_rows(suffixes, self.pad_id)
        width = ids.shape[1]
        mask = torch.cat([torch.ones((len(members), shared), dtype=torch.long), suffix_mask], dim=1)
        reads: list[tuple[int, int, int]] = []  # (row, column, target; -1 = the next token after the sequence)
        for r, s in enumerate(suffixes):
            reads += [(r, c, s[c + 1] if c + 1 < len(s) else -1) for c in range(len(s) - (0 if want_next else 1))]
        with torch.inference_mode():
            ids, mask = ids.to(self.device), mask.to(self.device)
            positions = shared + torch.arange(width, device=self.device)[None, :].expand(len(members), -1)
            rows_cache = select_rows(cache, torch.zeros(len(members), dtype=torch.long, device=self.device))
            states, _ = self._forward(ids, mask, positions, rows_cache)
            where = torch.tensor([[r, c] for r, c, _ in reads], device=self.device)
            picked, tops = self.read(states[where[:, 0], where[:, 1]], [max(t, 0) for _, _, t in reads], k) \
                if reads else ([], [])
        out, j = [], 0
        for r, s in enumerate(suffixes):
            first_lp, first_top = last[r]
            scored = Scored(logprobs=head_part.logprobs + [first_lp], top=head_part.top + [first_top])
            n = len(s)
            scored.logprobs += picked[j:j + n - 1]
            scored.top += tops[j:j + n - 1]
            if want_next:
                scored.next, scored.next_top = tops[j + n - 1][0], tops[j + n - 1]
            out.append(scored)
            j += n if want_next else n - 1
        return out
