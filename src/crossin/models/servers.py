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
from .openai_api import RequestRejected, redact_url


MAX_URL = 2048  # characters: longer is no server's address (a 20 MB line is a broken file)


def url_list_problem(url: str) -> str | None:
    """Why one URL of a --base-url list is not a server's http(s) URL (bad IPv6, a bidi override or control
    character in it, too long, no host, bad port), or None. The URL is printed without its password."""
    import unicodedata

    from ..config import url_problem

    if len(url) > MAX_URL:
        return f"a URL of {len(url):,} characters"
    odd = next((c for c in url if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp", "Zs")), None)
    if odd is not None:
        return f"{redact_url(url)!r} holds the character U+{ord(odd):04X} ({unicodedata.name(odd, 'control')})"
    try:
        return url_problem(url)
    except ValueError as e:  # urlsplit's own complaints (an IPv6 host without its ']')
        return f"{url!r} is not a valid URL ({e})"


def parse_base_urls(value: str) -> list[str]:
    """`--base-url`: one URL, several comma-separated, or a file with one per line (# comments allowed). Each URL
    is checked (`url_list_problem`); a file is read line by line, bounded, as UTF-8 (`iter_lines`)."""
    from ..io import iter_lines

    text = value.strip()
    if not text.startswith(("http://", "https://")):
        path = Path(text)
        if len(text) > 4096 or "\0" in text or not path.is_file():
            raise CrossinError(f"--base-url {text[:200]!r} is neither an http(s) URL nor a file of URLs")
        urls = []
        for number, line in iter_lines(path, "file of server URLs"):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            for url in (u.strip() for u in line.split(",") if u.strip()):
                problem = url_list_problem(url) if url.startswith(("http://", "https://")) else \
                    f"not an http(s) URL: {url[:200]!r}"
                if problem:
                    raise CrossinError(problem, path=str(path), line=number)
                urls.append(url)
        if not urls:
            raise CrossinError("no server URL in the file", path=str(path))
    else:
        urls = [u.strip() for u in text.split(",") if u.strip()]
        for url in urls:
            problem = url_list_problem(url)
            if problem:
                raise CrossinError(f"--base-url: {problem}")
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
