"""On-disk request cache: one sqlite file, one row per request (model identity + mode + settings + prompt).

Each batch is committed as soon as it is computed, so a killed run loses at most the batch in flight and
the next run picks up where it stopped. sqlite (WAL) lets parallel runs share the file safely.
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

from ..errors import CrossinError
from ..io import sha256_text


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
            raise CrossinError(f"cannot open the eval cache ({e})", path=str(self.path)) from None

    def get_many(self, keys: list[str]) -> dict[str, object]:
        found: dict[str, object] = {}
        unique = list(dict.fromkeys(keys))
        for start in range(0, len(unique), 500):  # sqlite caps the number of bound parameters
            chunk = unique[start:start + 500]
            rows = self._db.execute(
                f"SELECT key, value FROM requests WHERE key IN ({','.join('?' * len(chunk))})", chunk).fetchall()
            found.update((k, json.loads(v)) for k, v in rows)
        return found

    def put_many(self, items: dict[str, object]) -> None:
        self._db.executemany("INSERT OR REPLACE INTO requests (key, value) VALUES (?, ?)",
                             [(k, json.dumps(v, ensure_ascii=False)) for k, v in items.items()])
        self._db.commit()

    def __len__(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM requests").fetchone()[0]

    def close(self) -> None:
        self._db.close()
