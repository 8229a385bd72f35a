"""crossin data translate against a real `crossin serve` process on the embedded model (Gemma 3 270M, base).

The client talks to a counting reverse proxy (a real HTTP server in the test) in front of the serve process, so the
test counts the requests without touching server internals. The model translates poorly: the tests check alignment,
failure accounting, the checks, and resume after kill -9, not quality. Texts are tiny and answers short (CPU).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crossin.cli.app import app
from crossin.data.translate.protect import split_pieces

pytestmark = pytest.mark.model
REPO = Path(__file__).resolve().parents[1]

# A base model continues a "Language: text" list, so it is asked that way and stopped at the newline.
PROMPT = "{source}: {text}\n{target}:"
SAMPLES = [
    {"id": "a", "instruction": "Say hello to my friend.", "input": "", "output": "Hello, my friend!"},
    # 20 numbers need 40 digit tokens: an answer of 10 tokens is cut short or loses numbers, so this one must fail.
    {"id": "c", "instruction": "Write these numbers in order: " + " ".join(str(i) for i in range(11, 31)) + ".",
     "input": "", "output": " ".join(str(i) for i in range(11, 31))},
    {"id": "d", "instruction": "Greet the person.", "input": "My name is {name}.", "output": "Hi {name}, welcome!"},
]
FILES = ("en.jsonl", "es.jsonl", "es_translation_score.jsonl", "failures.jsonl")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def child_env() -> dict:
    return {**os.environ, "PYTHONPATH": str(REPO / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}


class CountingProxy:
    """Forwards every request to `upstream` and counts the POSTs (one per translation request)."""

    def __init__(self, upstream: str):
        proxy = self
        self.posts = 0
        self.lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _forward(self, body: bytes | None):
                request = urllib.request.Request(upstream + self.path, data=body, method=self.command,
                                                 headers={"Content-Type": "application/json"})
                try:
                    with urllib.request.urlopen(request, timeout=600) as r:
                        code, payload = r.status, r.read()
                except urllib.error.HTTPError as e:
                    code, payload = e.code, e.read()
                try:
                    self.send_response(code)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client was killed while waiting

            def do_GET(self):
                self._forward(None)

            def do_POST(self):
                with proxy.lock:
                    proxy.posts += 1
                self._forward(self.rfile.read(int(self.headers.get("Content-Length") or 0)))

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def take(self) -> int:
        """POSTs since the last call."""
        with self.lock:
            n, self.posts = self.posts, 0
        return n


@pytest.fixture(scope="module")
def proxy():
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "crossin", "serve", "--model", "gemma-3-270m", "--host",
                               "127.0.0.1", "--port", str(port)], env=child_env(), stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE)
    upstream = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 300
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"crossin serve exited: {server.stderr.read().decode()[-2000:]}")
            try:
                urllib.request.urlopen(upstream + "/v1/models", timeout=5).read()
                break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(1)
        p = CountingProxy(upstream)
        yield p
        p.server.shutdown()
    finally:
        server.kill()
        server.wait()


def write_input(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "en.jsonl"
    path.write_text("".join(json.dumps(s) + "\n" for s in SAMPLES), encoding="utf-8")
    return path


def cli_args(src: Path, out: Path, url: str) -> list[str]:
    return ["data", "translate", "--input", str(src), "--from", "en", "--to", "es", "--out", str(out),
            "--engine", "openai", "--base-url", url, "--model", "gemma-3-270m", "--prompt", PROMPT.replace("\n", "\\n"),
            "--stop", "\\n", "--max-tokens", "10", "--concurrency", "1", "--no-progress"]


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def cache_rows(out: Path) -> int:
    path = out / "cache" / "translations.sqlite"
    if not path.exists():
        return 0
    try:
        with sqlite3.connect(path, timeout=5) as db:
            return db.execute("SELECT COUNT(*) FROM answers").fetchone()[0]
    except sqlite3.OperationalError:  # the table is not created yet
        return 0


@pytest.fixture(scope="module")
def reference(proxy, tmp_path_factory):
    """One uninterrupted run: (output folder, POSTs it made)."""
    root = tmp_path_factory.mktemp("ref")
    src = write_input(root / "in")
    proxy.take()
    result = CliRunner().invoke(app, cli_args(src, root / "out", proxy.url))
    assert result.exit_code == 0, result.output
    return root / "out", proxy.take()


def test_alignment_failures_and_request_accounting(reference):
    out, posts = reference
    manifest = json.loads((out / "manifest.json").read_text())
    written = read_jsonl(out / "es.jsonl")
    failures = read_jsonl(out / "failures.jsonl")
    ids = [s["id"] for s in SAMPLES]
    # Each sample is written or failed, never both; the files keep the input order.
    assert sorted([r["id"] for r in written] + [f["id"] for f in failures]) == ids
    assert [r["id"] for r in written] == [i for i in ids if i in {r["id"] for r in written}]
    assert {f["id"]: f["reason"] for f in failures}.get("c") in ("cut_short", "protected")
    assert written, "the embedded model translated none of the short samples"
    for row in written:
        source = next(s for s in SAMPLES if s["id"] == row["id"])
        assert (row["input"] == "") == (source["input"] == "")
        for field in ("instruction", "input", "output"):
            assert source[field].count("{name}") == row[field].count("{name}")  # placeholders kept
    assert [s["id"] for s in read_jsonl(out / "es_translation_score.jsonl")] == [r["id"] for r in written]
    assert manifest["counts"]["es"] == {"samples": len(SAMPLES), "written": len(written), "failed": len(failures)}
    assert manifest["prompt"] == PROMPT and manifest["engine_identity"]["stop"] == ["\n"]
    # One POST per cached answer; each failed piece was tried twice (the retry), every other piece at least once.
    pieces = sum(todo for s in SAMPLES for f in ("instruction", "input", "output")
                 for todo, _ in split_pieces(s[f], per_line=False))
    assert posts == manifest["requests"]["sent"] == cache_rows(out)
    assert posts >= pieces + len(failures)


def test_kill_then_resume_equals_an_uninterrupted_run(proxy, reference, tmp_path):
    ref_out, ref_posts = reference
    src = write_input(tmp_path / "in")
    out = tmp_path / "out"
    proxy.take()
    child = subprocess.Popen([sys.executable, "-m", "crossin", *cli_args(src, out, proxy.url)], env=child_env(),
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 400
    while cache_rows(out) < 2:
        assert child.poll() is None, f"finished before it could be killed: {child.stderr.read().decode()[-1000:]}"
        assert time.time() < deadline, "no answers cached in time"
        time.sleep(0.2)
    child.send_signal(signal.SIGKILL)
    child.wait()
    kept = cache_rows(out)
    assert 2 <= kept < ref_posts and not (out / "es.jsonl").exists()
    proxy.take()
    result = CliRunner().invoke(app, cli_args(src, out, proxy.url))
    assert result.exit_code == 0, result.output
    # Finished answers were not requested again, and the files equal the uninterrupted run's.
    assert proxy.take() == ref_posts - kept
    for name in FILES:
        assert (out / name).read_text(encoding="utf-8") == (ref_out / name).read_text(encoding="utf-8"), name
    assert json.loads((out / "manifest.json").read_text())["requests"] == {"sent": ref_posts - kept, "cached": kept}


def test_translated_folder_and_english_build_an_x2x_mix(reference, tmp_path):
    out, _ = reference
    written = read_jsonl(out / "es.jsonl")
    result = CliRunner().invoke(app, ["data", "build", "--parallel", str(out), "--langs", "en,es", "--recipe", "x2x",
                                      "--n", "6", "--min-score", "0", "--no-langid", "--seed", "0",
                                      "--out", str(tmp_path / "mix")])
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "mix" / "manifest.json").read_text())
    assert manifest["corpus"]["valid"] == {"en": len(SAMPLES), "es": len(written)}
    rows = read_jsonl(tmp_path / "mix" / "train.jsonl")
    assert {r["output"] for r in written} & {r["output"] for r in rows}
