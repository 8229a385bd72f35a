"""`crossin eval`'s request cache: rows of the shared request cache (crossin.request_cache) in
<cache-dir>/requests.sqlite, one per primitive request (backend identity + (context, continuation) or (context,
generation kwargs)), and the `CachingBackend` that puts it in front of any backend (lm-eval's `CachingLM`).

Each batch is committed as soon as the backend reports it, so a killed run loses at most the batch in flight and
the next run picks up where it stopped.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..request_cache import EvalCache, Resolver, request_key  # EvalCache: shared with the LLM judge
from .backend import Backend, OnBatch


def row_ok(value: object, kind: str) -> bool:
    """Whether a cached answer has its request's shape: a string (generate_until), or [logprob, n_tokens, is_greedy]
    with a logprob that is a number, not NaN or +inf (loglikelihood). A damaged row is recomputed, never used."""
    if kind == "generate_until":
        return isinstance(value, str)
    if kind == "continuation_ids":
        return isinstance(value, list) and all(isinstance(t, int) and not isinstance(t, bool) for t in value)
    return (isinstance(value, list) and len(value) == 3 and isinstance(value[0], (int, float))
            and not isinstance(value[0], bool) and value[0] == value[0] and value[0] != float("inf")
            and isinstance(value[1], int) and not isinstance(value[1], bool) and value[1] >= 0
            and isinstance(value[2], bool))


@dataclass
class RunStats:
    """Counted per question (the `owners` of primitive requests): a hit when all its requests were cached."""

    hits: int = 0
    computed: int = 0
    batches: int = 0


class CachingBackend:
    """Any backend behind the request cache: identical requests are computed once, known ones never again.

    Without a cache (or without a model identity) it still removes duplicate requests and counts the work.
    `owners[i]`: the question request i belongs to (default: its own), for the counts in RunStats.
    `on_batch(stats)` runs after each committed batch (progress bars; tests interrupt runs with it).
    """

    def __init__(self, inner: Backend, cache: EvalCache | None = None, *, stats: RunStats | None = None,
                 on_batch=None):
        self.inner = inner
        self.cache = cache
        self.stats = stats if stats is not None else RunStats()
        self.on_batch = on_batch

    @property
    def identity(self):
        return getattr(self.inner, "identity", None)  # a server backend resolves it on first use

    def loglikelihood(self, requests, *, on_batch: OnBatch | None = None, owners: list[int] | None = None):
        identity = self.identity
        keys = [request_key(identity or {}, "loglikelihood", c, x) for c, x in requests]
        values = self._run(keys, lambda idx, hook: self.inner.loglikelihood([requests[i] for i in idx], on_batch=hook),
                           owners, identity is not None, "loglikelihood")
        return [(float(v[0]), int(v[1]), bool(v[2])) for v in values]

    def continuation_ids(self, texts: list[str]) -> list[list[int]] | None:
        """The token ids of each continuation as the model tokenizes it (cached, so a fully cached run still never
        loads the model); None from a backend that has no tokenizer to ask."""
        if not hasattr(self.inner, "continuation_ids"):
            return None
        identity = self.identity
        keys = [request_key(identity or {}, "continuation_ids", t, None) for t in texts]
        resolver = Resolver(self.cache if identity is not None else None, valid=lambda v: row_ok(v, "continuation_ids"))
        values = resolver(keys, lambda idx, _commit: self.inner.continuation_ids([texts[i] for i in idx]))
        return [list(v) for v in values]

    def generate_until(self, requests, *, on_batch: OnBatch | None = None, owners: list[int] | None = None):
        identity = self.identity
        keys = [request_key(identity or {}, "generate_until", c, kw.as_dict()) for c, kw in requests]
        return self._run(keys, lambda idx, hook: self.inner.generate_until([requests[i] for i in idx], on_batch=hook),
                         owners, identity is not None, "generate_until")

    def _run(self, keys: list[str], compute, owners: list[int] | None, cacheable: bool, kind: str) -> list:
        resolver = Resolver(self.cache if cacheable else None, valid=lambda v: row_ok(v, kind))
        plan = resolver.plan(keys)
        owners = owners if owners is not None else list(range(len(keys)))
        todo = set(plan.todo)
        pending: dict[int, set[str]] = {o: set() for o in owners}
        owners_of: dict[str, set[int]] = {}
        for k, o in zip(keys, owners):
            if k in todo:
                pending[o].add(k)
                owners_of.setdefault(k, set()).add(o)
        self.stats.hits += sum(1 for o in pending if not pending[o])

        def counted(computed: dict) -> None:
            # A question is computed once its last request is; duplicates count too: the user asked for them.
            for k in computed:
                for o in owners_of.get(k, ()):
                    if k in pending[o]:
                        pending[o].discard(k)
                        self.stats.computed += not pending[o]
            self.stats.batches += 1
            if self.on_batch is not None:
                self.on_batch(self.stats)

        return resolver.run(plan, compute, on_commit=counted)
