"""The request cache: one sqlite file, one row per request (model identity + mode + settings + prompt), and the
`CachingBackend` that puts it in front of any backend (lm-eval's `CachingLM` idea).

Each batch is committed as soon as the backend reports it, so a killed run loses at most the batch in flight and
the next run picks up where it stopped. sqlite (WAL) lets parallel runs share the file safely.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from ..errors import CrossinError
from ..io import sha256_text
from .backend import Backend, OnBatch

# Everything besides model and prompt that changes a request's result (part of the cache key).
SETTINGS = {
    "loglik": {"letters": ["{}", " {}"], "logits": "last"},
    "cloze": {"norm": "chars", "sep": "lm-eval", "v": 1},
}


def row_ok(value: object, size: int | None) -> bool:
    """Whether a cached answer has its request's shape: a string (generate, size None), or `size` numbers that are
    finite or -inf (loglik, cloze). A damaged row (a string, a wrong length, NaN) is recomputed, never used."""
    if size is None:
        return isinstance(value, str)
    return (isinstance(value, list) and len(value) == size
            and all(isinstance(x, (int, float)) and not isinstance(x, bool) and x == x and x != float("inf")
                    for x in value))


def request_key(model_id: dict, mode: str, settings: dict, prompt: str, options=None) -> str:
    payload = json.dumps([model_id, mode, settings, prompt, options], sort_keys=True, ensure_ascii=False)
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
    hits: int = 0
    computed: int = 0
    batches: int = 0


class CachingBackend:
    """Any backend behind the request cache: identical requests are computed once, known ones never again.

    Without a cache (or without a model identity) it still removes duplicate requests and counts the work.
    `on_batch(stats)` runs after each committed batch (progress bars; tests interrupt runs with it).
    """

    def __init__(self, inner: Backend, cache: EvalCache | None = None, *, stats: RunStats | None = None,
                 on_batch=None):
        self.inner = inner
        self.identity = getattr(inner, "identity", None)
        self.cache = cache if self.identity is not None else None
        self.stats = stats if stats is not None else RunStats()
        self.on_batch = on_batch

    def loglik(self, prompts, n_choices, *, on_batch: OnBatch | None = None):
        keys = [self._key("loglik", SETTINGS["loglik"], p, n) for p, n in zip(prompts, n_choices)]
        return self._run(keys, lambda idx, hook: self.inner.loglik([prompts[i] for i in idx],
                                                                   [n_choices[i] for i in idx], on_batch=hook),
                         sizes=list(n_choices))

    def cloze(self, prompts, options, *, on_batch: OnBatch | None = None):
        keys = [self._key("cloze", SETTINGS["cloze"], p, list(o)) for p, o in zip(prompts, options)]
        return self._run(keys, lambda idx, hook: self.inner.cloze([prompts[i] for i in idx],
                                                                  [list(options[i]) for i in idx], on_batch=hook),
                         sizes=[len(o) for o in options])

    def generate(self, prompts, max_new_tokens, *, on_batch: OnBatch | None = None):
        settings = {"decoding": "greedy", "max_new_tokens": max_new_tokens}
        keys = [self._key("generate", settings, p, None) for p in prompts]
        return self._run(keys, lambda idx, hook: self.inner.generate([prompts[i] for i in idx], max_new_tokens,
                                                                     on_batch=hook))

    def _key(self, mode, settings, prompt, options) -> str:
        return request_key(self.identity or {}, mode, settings, prompt, options)

    def _run(self, keys: list[str], compute, sizes: list[int] | None = None) -> list:
        known = self.cache.get_many(keys) if self.cache is not None else {}
        for k, size in zip(keys, sizes or [None] * len(keys)):
            if k in known and not row_ok(known[k], size):
                del known[k]  # damaged: computed again and overwritten
        first: dict[str, int] = {}
        for i, k in enumerate(keys):
            first.setdefault(k, i)
        todo = [k for k in first if k not in known]
        copies = Counter(keys)
        self.stats.hits += sum(1 for k in keys if k in known)
        values = dict(known)
        done: set[str] = set()

        def commit(indices: list[int], batch_values: list) -> None:
            computed = {todo[i]: v for i, v in zip(indices, batch_values)}
            if self.cache is not None:
                self.cache.put_many(computed)
            values.update(computed)
            done.update(computed)
            # Duplicates of a computed request count as computed too: the user asked for them.
            self.stats.computed += sum(copies[k] for k in computed)
            self.stats.batches += 1
            if self.on_batch is not None:
                self.on_batch(self.stats)

        if todo:
            out = compute([first[k] for k in todo], commit)
            missed = [i for i, k in enumerate(todo) if k not in done]
            if missed:  # a backend that does not report batches: commit everything it returned
                commit(missed, [out[i] for i in missed])
        return [values[k] for k in keys]
