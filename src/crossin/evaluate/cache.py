"""The request cache: one sqlite file, one row per primitive request (backend identity + (context, continuation) or
(context, generation kwargs)), and the `CachingBackend` that puts it in front of any backend (lm-eval's `CachingLM`).

Each batch is committed as soon as the backend reports it, so a killed run loses at most the batch in flight and
the next run picks up where it stopped. sqlite (WAL) lets parallel runs share the file safely.
"""

from __future__ import annotations

import json
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from ..errors import CrossinError
from ..io import sha256_text
from .backend import Backend, OnBatch

def row_ok(value: object, kind: str) -> bool:
    """Whether a cached answer has its request's shape: a string (generate_until), or [logprob, n_tokens, is_greedy]
    with a logprob that is a number, not NaN or +inf (loglikelihood). A damaged row is recomputed, never used."""
    if kind == "generate_until":
        return isinstance(value, str)
    return (isinstance(value, list) and len(value) == 3 and isinstance(value[0], (int, float))
            and not isinstance(value[0], bool) and value[0] == value[0] and value[0] != float("inf")
            and isinstance(value[1], int) and not isinstance(value[1], bool) and value[1] >= 0
            and isinstance(value[2], bool))


def request_key(model_id: dict, kind: str, context: str, argument) -> str:
    """A primitive request's key: backend identity + kind ("loglikelihood", "generate_until") + its arguments.
    Multiple-choice policy (letter spellings, normalisation) is not in it: it is applied above, on the answers."""
    payload = json.dumps([model_id, kind, context, argument], sort_keys=True, ensure_ascii=False)
    return sha256_text(payload)


class EvalCache:
    def __init__(self, folder: str | os.PathLike):
        self.path = Path(folder) / "requests.sqlite"
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, timeout=60)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("CREATE TABLE IF NOT EXISTS requests (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            self._db.commit()
        except (OSError, sqlite3.Error) as e:
            raise self._damaged(e) from None

    def _damaged(self, e: Exception) -> CrossinError:
        return CrossinError(f"the eval cache cannot be used ({e}); delete {self.path} (and its -wal/-shm files) "
                            "or run with --no-cache / another --cache-dir", path=str(self.path))

    def get_many(self, keys: list[str]) -> dict[str, object]:
        found: dict[str, object] = {}
        unique = list(dict.fromkeys(keys))
        try:
            for start in range(0, len(unique), 500):  # sqlite caps the number of bound parameters
                chunk = unique[start:start + 500]
                rows = self._db.execute(
                    f"SELECT key, value FROM requests WHERE key IN ({','.join('?' * len(chunk))})", chunk).fetchall()
                for k, v in rows:
                    try:
                        found[k] = json.loads(v)
                    except json.JSONDecodeError:
                        pass  # a damaged row is recomputed and overwritten
        except sqlite3.Error as e:
            raise self._damaged(e) from None
        return found

    def put_many(self, items: dict[str, object]) -> None:
        try:
            self._db.executemany("INSERT OR REPLACE INTO requests (key, value) VALUES (?, ?)",
                                 [(k, json.dumps(v, ensure_ascii=False)) for k, v in items.items()])
            self._db.commit()
        except sqlite3.Error as e:
            raise self._damaged(e) from None

    def __len__(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM requests").fetchone()[0]

    def close(self) -> None:
        self._db.close()


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

    def generate_until(self, requests, *, on_batch: OnBatch | None = None, owners: list[int] | None = None):
        identity = self.identity
        keys = [request_key(identity or {}, "generate_until", c, kw.as_dict()) for c, kw in requests]
        return self._run(keys, lambda idx, hook: self.inner.generate_until([requests[i] for i in idx], on_batch=hook),
                         owners, identity is not None, "generate_until")

    def _run(self, keys: list[str], compute, owners: list[int] | None, cacheable: bool, kind: str) -> list:
        cache = self.cache if cacheable else None
        known = cache.get_many(keys) if cache is not None else {}
        known = {k: v for k, v in known.items() if row_ok(v, kind)}  # a damaged row is computed again, overwritten
        owners = owners if owners is not None else list(range(len(keys)))
        first: dict[str, int] = {}
        for i, k in enumerate(keys):
            first.setdefault(k, i)
        todo = [k for k in first if k not in known]
        pending: dict[int, set[str]] = {}
        owners_of: dict[str, set[int]] = {}
        for k, o in zip(keys, owners):
            pending.setdefault(o, set())
            if k not in known:
                pending[o].add(k)
                owners_of.setdefault(k, set()).add(o)
        self.stats.hits += sum(1 for o in pending if not pending[o])
        values = dict(known)
        done: set[str] = set()

        def commit(indices: list[int], batch_values: list) -> None:
            computed = {todo[i]: v for i, v in zip(indices, batch_values)}
            if cache is not None:
                cache.put_many(computed)
            values.update(computed)
            done.update(computed)
            # A question is computed once its last request is; duplicates count too: the user asked for them.
            for k in computed:
                for o in owners_of.get(k, ()):
                    if k in pending[o]:
                        pending[o].discard(k)
                        self.stats.computed += not pending[o]
            self.stats.batches += 1
            if self.on_batch is not None:
                self.on_batch(self.stats)

        if todo:
            out = compute([first[k] for k in todo], commit)
            missed = [i for i, k in enumerate(todo) if k not in done]
            if missed:  # a backend that does not report batches: commit everything it returned
                commit(missed, [out[i] for i in missed])
        return [values[k] for k in keys]
