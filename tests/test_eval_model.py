"""crossin eval on the real embedded model (Gemma 3 270M): batch-size parity, cache speed-up, OpenAI server."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from crossin.benchmarks import load_benchmark
from crossin.evaluate import EvalConfig, run_eval, score_options

pytestmark = pytest.mark.model
DATA_DIR = Path(os.environ["CROSSIN_DATA_DIR"])  # set by conftest.py


@pytest.fixture(scope="module")
def gemma():
    from crossin.models.hf import load_model_and_tokenizer

    return load_model_and_tokenizer("gemma-3-270m", device="cpu")


def test_predictions_do_not_depend_on_batch_size(gemma):
    model, tok = gemma
    bench = load_benchmark("cross-mmlu", "en", data_dir=DATA_DIR, limit=20)
    one = score_options(model, tok, bench, mode="loglik", batch_size=1)
    eight = score_options(model, tok, bench, mode="loglik", batch_size=8)
    assert len(one) == 20
    for key in one:
        assert max(range(4), key=lambda i: one[key][i]) == max(range(4), key=lambda i: eight[key][i]), key
        assert one[key] == pytest.approx(eight[key], abs=1e-3)


def test_second_identical_run_is_ten_times_faster(tmp_path):
    cfg = EvalConfig(model="gemma-3-270m", bench=["cross-mmlu"], langs=["en", "zh"], limit=2, device="cpu",
                     data_dir=str(DATA_DIR), out=str(tmp_path / "out"), cache_dir=str(tmp_path / "cache"), n_boot=10)
    started = time.perf_counter()
    first = run_eval(cfg, progress=False)["cross-mmlu"]
    first_s = time.perf_counter() - started
    started = time.perf_counter()
    second = run_eval(cfg, progress=False)["cross-mmlu"]
    second_s = time.perf_counter() - started
    assert first["requests"]["computed"] == 4 and second["requests"] == {"total": 4, "cache_hits": 4, "computed": 0}
    assert second["language_accuracy"] == first["language_accuracy"]
    assert first_s >= 10 * second_s, (first_s, second_s)


def test_openai_backend_against_a_real_server(gemma, tmp_path):
    """`crossin serve`'s server on the embedded model; the API answers must equal local greedy generation."""
    from crossin.models.server import make_server

    model, tok = gemma
    server = make_server(model, tok, "gemma", port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/v1"
        common = dict(bench=["cross-mmlu"], langs=["en", "zh"], limit=1, mode="generate", max_new_tokens=6,
                      batch_size=1, data_dir=str(DATA_DIR), no_cache=True, n_boot=10)
        api = run_eval(EvalConfig(model="openai:gemma", base_url=url, out=str(tmp_path / "api"), **common),
                       progress=False)["cross-mmlu"]
        local = run_eval(EvalConfig(out=str(tmp_path / "local"), **common), model=model, tokenizer=tok,
                         progress=False)["cross-mmlu"]
    finally:
        server.shutdown()
        server.server_close()
    api_samples = (tmp_path / "api" / "cross-mmlu" / "samples_cross-mmlu.jsonl").read_text().splitlines()
    local_samples = (tmp_path / "local" / "cross-mmlu" / "samples_cross-mmlu.jsonl").read_text().splitlines()
    import json

    api_out = [json.loads(line)["output"] for line in api_samples]
    assert len(api_out) == 2 and all(isinstance(o, str) and o for o in api_out)
    assert api_out == [json.loads(line)["output"] for line in local_samples]
    assert api["model"] == "openai:gemma" and api["answer_distribution"] == local["answer_distribution"]
