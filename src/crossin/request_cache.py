"""The one request cache (lm-eval's `CachingLM` idea) of `crossin eval`, the `--extractor judge` and
`crossin data translate`: a sqlite table of key -> JSON answer, and the `Resolver` that answers a list of keyed
requests from it, computing each distinct missing key once and committing answers as they arrive.

What goes into a key is the caller's rule (eval: model identity + primitive request; translate: engine identity +
languages + try + text); `request_key` only hashes it. sqlite in WAL mode lets parallel runs share a file and readers
see a file while a run writes; each commit is atomic, so a killed run loses at most the answers in flight.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .errors import CrossinError
from .io import sha256_text

Commit = Callable[[list[int], list], None]  # (positions in the todo list, their answers)


def request_key(*parts) -> str:
    """sha256 of the parts as canonical JSON (sorted keys, unescaped text): equal requests, equal keys."""
    return sha256_text(json.dumps(list(parts), sort_keys=True, ensure_ascii=False))


class RequestCache:
    """One sqlite table (key TEXT PRIMARY KEY, value TEXT = JSON); `way_out` ends the one-line error a damaged or
    unreadable file gives."""

    def __init__(self, path: str | os.PathLike, *, table: str, what: str, way_out: str = ""):
        self.path, self.table, self.what, self.way_out = Path(path), table, what, way_out
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, timeout=60)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(f"CREATE TABLE IF NOT EXISTS {table} (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            self._db.commit()
        except (OSError, sqlite3.Error) as e:
            raise self._damaged(e) from None

    def _damaged(self, e: Exception) -> CrossinError:
        return CrossinError(f"the {self.what} cannot be used ({e}); delete {self.path} (and its -wal/-shm files)"
                            + (f" {self.way_out}" if self.way_out else ""), path=str(self.path))

    def get_many(self, keys: list[str]) -> dict[str, object]:
        """The stored answers of `keys` (duplicates and missing keys allowed); a row that is not JSON is left out."""
        found: dict[str, object] = {}
        unique = list(dict.fromkeys(keys))
        try:
            for start in range(0, len(unique), 500):  # sqlite caps the number of bound parameters
                chunk = unique[start:start + 500]
                rows = self._db.execute(f"SELECT key, value FROM {self.table} WHERE key IN "
                                        f"({','.join('?' * len(chunk))})", chunk).fetchall()
                for k, v in rows:
                    try:
                        found[k] = json.loads(v)
                    except (json.JSONDecodeError, RecursionError):
                        pass  # a damaged row is recomputed and overwritten
        except sqlite3.Error as e:
            raise self._damaged(e) from None
        return found

    def put_many(self, items: dict[str, object]) -> None:
        """Store answers in one transaction."""
        try:
            self._db.executemany(f"INSERT OR REPLACE INTO {self.table} (key, value) VALUES (?, ?)",
                                 [(k, json.dumps(v, ensure_ascii=False)) for k, v in items.items()])
            self._db.commit()
        except sqlite3.Error as e:
            raise self._damaged(e) from None

    def __len__(self) -> int:
        return self._db.execute(f"SELECT COUNT(*) FROM {self.table}").fetchone()[0]

    def close(self) -> None:
        self._db.close()


@dataclass
class Plan:
    """What a list of keyed requests needs: `values` holds the usable cached answers, `todo` the distinct keys to
    compute (first-seen order), `first[key]` the position of the key's first request."""

    keys: list[str]
    values: dict[str, object]
    todo: list[str]
    first: dict[str, int] = field(default_factory=dict)


class Resolver:
    """Answers keyed requests: usable cached rows (`valid(value)`; a damaged row is computed again and overwritten),
    else `compute(indices, commit)` on the first request of each distinct missing key. `compute` calls
    `commit(positions, answers)` as answers arrive (positions index `indices`), so each is stored at once; whatever it
    returns for positions it never committed is committed after it (a computation that cannot report early).

    Without a cache it still sends each distinct request once. `cached` / `sent` count distinct keys."""

    def __init__(self, cache: RequestCache | None, *, valid: Callable[[object], bool] = lambda value: True):
        self.cache, self.valid = cache, valid
        self.cached = self.sent = 0

    def plan(self, keys: list[str]) -> Plan:
        stored = self.cache.get_many(keys) if self.cache is not None else {}
        values = {k: v for k, v in stored.items() if self.valid(v)}
        first: dict[str, int] = {}
        for i, k in enumerate(keys):
            first.setdefault(k, i)
        todo = [k for k in first if k not in values]
        self.cached += len(first) - len(todo)
        return Plan(keys, values, todo, first)

    def run(self, plan: Plan, compute: Callable[[list[int], Commit], list | None],
            on_commit: Callable[[dict], None] | None = None) -> list:
        """Every request's answer, in order; `on_commit(answers by key)` runs after each stored batch."""
        done: set[str] = set()

        def commit(positions: list[int], answers: list) -> None:
            computed = {plan.todo[p]: v for p, v in zip(positions, answers)}
            if self.cache is not None:
                self.cache.put_many(computed)
            plan.values.update(computed)
            done.update(computed)
            if on_commit is not None:
                on_commit(computed)

        if plan.todo:
            out = compute([plan.first[k] for k in plan.todo], commit)
            missed = [p for p, k in enumerate(plan.todo) if k not in done]
            if missed:
                if out is None:
                    raise CrossinError(f"{len(missed)} requests were neither answered nor reported")
                commit(missed, [out[p] for p in missed])
            self.sent += len(plan.todo)
        return [plan.values[k] for k in plan.keys]

    def __call__(self, keys: list[str], compute: Callable[[list[int], Commit], list | None]) -> list:
        return self.run(self.plan(keys), compute)


class EvalCache(RequestCache):
    """The eval cache in `folder`, shared by `crossin eval` and the LLM judge: table `requests` of requests.sqlite.
    Keys: `request_key(model identity, kind, context, argument)`; multiple-choice policy (letter spellings,
    normalisation) is not in them: it is applied above, on the answers."""

    def __init__(self, folder: str | os.PathLike):
        super().__init__(Path(folder) / "requests.sqlite", table="requests", what="eval cache",
                         way_out="or run with --no-cache / another --cache-dir")
