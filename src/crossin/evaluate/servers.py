"""Several OpenAI-compatible servers behind one `--base-url` (replicas of one model, e.g. 8 vLLM on 8 GPUs).

Each request goes to the server with the fewest requests in flight (then the fewest sent); a server that fails
(no answer after its retries, connection refused, 5xx) is reported once on stderr, left out for the rest of the run,
and the request is retried on the others. A request the server refuses (HTTP 4xx) is the request's fault: it is not
retried elsewhere.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path

from ..errors import CrossinError
from ..models.openai_api import RequestRejected, redact_url


def parse_base_urls(value: str) -> list[str]:
    """`--base-url`: one URL, several comma-separated, or a file with one per line (# comments allowed)."""
    text = value.strip()
    if not text.startswith(("http://", "https://")):
        path = Path(text)
        if not path.is_file():
            raise CrossinError(f"--base-url {text!r} is neither an http(s) URL nor a file of URLs")
        lines = path.read_text(encoding="utf-8").splitlines()
        urls = []
        for number, line in enumerate(lines, 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            if not line.startswith(("http://", "https://")):
                raise CrossinError(f"not an http(s) URL: {line!r}", path=str(path), line=number)
            urls.append(line)
        if not urls:
            raise CrossinError("no server URL in the file", path=str(path))
    else:
        urls = [u.strip() for u in text.split(",") if u.strip()]
    return list(dict.fromkeys(u.rstrip("/") for u in urls))


class ServerPool:
    def __init__(self, urls: list[str]):
        self.urls = urls
        self.busy = {u: 0 for u in urls}
        self.sent = {u: 0 for u in urls}
        self.failed: dict[str, str] = {}
        self._lock = threading.Lock()

    @property
    def retries(self) -> int:
        """Tries per request on one server: fewer when others can take over (a dead server fails fast)."""
        return 5 if len(self.urls) == 1 else 2

    def call(self, fn):
        """fn(url) on the least busy live server; on a server failure, the same on the next one."""
        tried: set[str] = set()
        while True:
            with self._lock:
                live = [u for u in self.urls if u not in self.failed and u not in tried]
                if not live:
                    reasons = "; ".join(f"{redact_url(u)}: {why}" for u, why in self.failed.items())
                    raise CrossinError(f"no server could answer ({reasons})")
                url = min(live, key=lambda u: (self.busy[u], self.sent[u]))
                self.busy[url] += 1
                self.sent[url] += 1
            try:
                return fn(url)
            except RequestRejected:
                raise
            except CrossinError as e:
                if len(self.urls) == 1:
                    raise
                tried.add(url)
                with self._lock:
                    first = url not in self.failed
                    self.failed.setdefault(url, str(e))
                if first:
                    left = len(self.urls) - len(self.failed)
                    print(f"warning: {redact_url(url)} failed ({e}); its requests go to the {left} other server(s)",
                          file=sys.stderr, flush=True)
            finally:
                with self._lock:
                    self.busy[url] -= 1

    def report(self) -> list[dict]:
        return [{"url": redact_url(u), "requests": self.sent[u], "failed": self.failed.get(u)} for u in self.urls]
