"""A small real HTTP server on 127.0.0.1 that speaks the OpenAI chat-completions protocol, for tests.

It answers `POST /v1/chat/completions` the way a distractor-writing LLM might, deterministically: it reads the
JSON block of the Cross-XQuAD prompt (languages and the correct answer) and proposes, per question,
1. a usable distractor in every language,
2. one equal to the correct answer in one language,
3. one containing the correct answer,
4. one lacking a language,
5. a copy of the first;
and, when the correct answer is a bare number, prose instead of JSON (a model ignoring the format).
So only the first proposal passes validation. `GET /files/<name>` serves files from `static_dir`
(stands in for the XQuAD release). Run it alone with `python tests/openai_stub_server.py [static_dir]`.
"""

from __future__ import annotations

import json
import re
import sys
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


def propose(user_message: str) -> str:
    m = re.search(r"```json\n(.*?)\n```", user_message, re.S)
    if not m:
        return "Sorry, I do not see a question."
    spec = json.loads(m.group(1))
    langs, answer = spec["languages"], spec["answer"]
    first = answer[langs[0]]
    if first.strip().isdigit():
        return f"The answer {first} is a number, so good distractors would be other numbers from the passage."
    tag = f"{zlib.crc32(first.encode('utf-8')):08x}"
    usable = {lang: f"stub proposal {tag} {lang}" for lang in langs}
    equal_somewhere = {lang: (answer[lang] if i == len(langs) - 1 else f"stub echo {tag} {lang}") for i, lang in enumerate(langs)}
    containing = {lang: f"{answer[lang]} and more" for lang in langs}
    lacking = {lang: f"stub partial {tag} {lang}" for lang in langs[:-1]}
    reply = {"distractors": [usable, equal_somewhere, containing, lacking, dict(usable)]}
    return "Here you are:\n```json\n" + json.dumps(reply, ensure_ascii=False) + "\n```"


class StubServer:
    """`with StubServer(static_dir) as s:` -> s.url (the /v1 base), s.requests (bodies received)."""

    def __init__(self, static_dir: str | Path | None = None):
        self.static_dir = Path(static_dir) if static_dir else None
        self.requests: list[dict] = []
        self._lock = threading.Lock()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def _send(self, code: int, body: bytes, kind: str = "application/json"):
                self.send_response(code)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                name = self.path.removeprefix("/files/")
                file = stub.static_dir / name if stub.static_dir and "/" not in name else None
                if file is None or not file.is_file():
                    self._send(404, b'{"error": "not found"}')
                    return
                self._send(200, file.read_bytes(), "application/octet-stream")

            def do_POST(self):
                if self.path.rstrip("/") != "/v1/chat/completions":
                    self._send(404, b'{"error": "not found"}')
                    return
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                with stub._lock:
                    stub.requests.append(body)
                user = next((m["content"] for m in body["messages"] if m["role"] == "user"), "")
                payload = {
                    "id": f"stub-{len(stub.requests)}",
                    "object": "chat.completion",
                    "model": body.get("model", "stub"),
                    "choices": [{"index": 0, "finish_reason": "stop",
                                 "message": {"role": "assistant", "content": propose(user)}}],
                }
                self._send(200, json.dumps(payload, ensure_ascii=False).encode("utf-8"))

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/v1"
        self.files_url = f"http://127.0.0.1:{self.port}/files"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> StubServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join()


if __name__ == "__main__":
    with StubServer(sys.argv[1] if len(sys.argv) > 1 else None) as server:
        print(f"serving {server.url} (files under {server.files_url})", flush=True)
        threading.Event().wait()
