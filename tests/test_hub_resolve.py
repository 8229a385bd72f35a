"""A model name that is neither a local folder, the embedded name, nor on the Hub fails within seconds with one line.

A real HTTP server on 127.0.0.1 stands in for the Hub's model API (`GET /api/models/<id>`): it knows one model and
answers the Hub's 404 + `X-Error-Code: RepoNotFound` for any other; a closed port stands in for no network.
The online cases force huggingface_hub's online mode, so they also hold in a shell with HF_HUB_OFFLINE=1."""

from __future__ import annotations

import json
import socket
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
import threading

import pytest
from typer.testing import CliRunner

from crossin.cli import app
from crossin.errors import CrossinError
from crossin.models.hf import resolve_model_path

KNOWN = "crossin-test/tiny-model"


@pytest.fixture
def hub(monkeypatch):
    import huggingface_hub.constants as constants

    requests: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            if self.path.startswith("/api/models/"):  # (huggingface_hub also asks other endpoints once)
                requests.append(self.path)
            if self.path.split("?")[0] == f"/api/models/{KNOWN}":
                body, code, headers = json.dumps({"id": KNOWN, "modelId": KNOWN}).encode(), 200, {}
            else:
                body, code = b'{"error": "Repository not found"}', 404
                headers = {"X-Error-Code": "RepoNotFound", "X-Error-Message": "Repository not found"}
            self.send_response(code)
            for k, v in {"Content-Type": "application/json", "Content-Length": str(len(body)), **headers}.items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setattr(constants, "is_offline_mode", lambda: False)
    monkeypatch.setattr(constants, "ENDPOINT", f"http://127.0.0.1:{server.server_address[1]}")
    monkeypatch.setattr(constants, "HF_HUB_CACHE", "/nonexistent-crossin-test-cache")
    yield requests
    server.shutdown()
    server.server_close()


def test_known_hub_id_resolves_to_itself(hub):
    assert resolve_model_path(KNOWN) == KNOWN
    assert hub == [f"/api/models/{KNOWN}"]


def test_typo_fails_fast_with_one_line(hub):
    started = time.perf_counter()
    with pytest.raises(CrossinError, match="not on the Hugging Face Hub") as e:
        resolve_model_path("crossin-test/tiny-modle")
    assert time.perf_counter() - started < 5 and len(hub) == 1  # one request, no retries
    assert "\n" not in str(e.value)
    res = CliRunner().invoke(app, ["eval", "--model", "crossin-test/tiny-modle", "--bench", "cross-mmlu", "--limit", "1",
                                   "--out", "unused"])
    lines = [x for x in res.output.splitlines() if x.strip()]
    assert res.exit_code == 2 and len(lines) == 1 and lines[0].startswith("error:") and "tiny-modle" in lines[0]


def test_unreachable_hub_fails_fast(monkeypatch):
    import huggingface_hub.constants as constants

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setattr(constants, "is_offline_mode", lambda: False)
    monkeypatch.setattr(constants, "ENDPOINT", f"http://127.0.0.1:{port}")
    monkeypatch.setattr(constants, "HF_HUB_CACHE", "/nonexistent-crossin-test-cache")
    started = time.perf_counter()
    with pytest.raises(CrossinError, match="Hugging Face Hub is unreachable"):
        resolve_model_path("crossin-test/other-model")
    assert time.perf_counter() - started < 5


def test_offline_mode_and_invalid_ids(monkeypatch, hub):
    import huggingface_hub.constants as constants

    with pytest.raises(CrossinError, match="not a valid Hugging Face Hub id"):
        resolve_model_path("two words")
    monkeypatch.setattr(constants, "is_offline_mode", lambda: True)
    with pytest.raises(CrossinError, match="HF_HUB_OFFLINE"):
        resolve_model_path("crossin-test/never-seen")
    assert not any("never-seen" in p for p in hub)  # offline: no request at all
    with pytest.raises(CrossinError, match="model folder not found"):
        resolve_model_path("./no-such-folder")


def test_translate_hf_engine_with_a_typo_fails_fast_like_eval(hub, tmp_path):
    """`data translate --engine hf --model <Hub id>` checks the id the way eval does: one line in seconds, no
    transformers retries."""
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"instruction": "Say hello to the people here", "input": "", "output": "Hello"}) + "\n")
    started = time.perf_counter()
    res = CliRunner().invoke(app, ["data", "translate", "--input", str(src), "--to", "es", "--out", str(tmp_path / "o"),
                                   "--engine", "hf", "--model", "crossin-test/opus-mt-typo", "--no-progress"])
    assert time.perf_counter() - started < 10
    lines = [x for x in res.output.splitlines() if x.strip().startswith("error")]
    assert res.exit_code == 2 and len(lines) == 1 and "crossin-test/opus-mt-typo" in lines[0], res.output
    assert "not on the Hugging Face Hub" in lines[0]
    assert hub == ["/api/models/crossin-test/opus-mt-typo"]
