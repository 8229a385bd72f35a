"""crossin eval on the real embedded model (Gemma 3 270M): batch-size parity, cache speed-up, OpenAI server."""

from __future__ import annotations

import os
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


@pytest.fixture(scope="module")
def served():
    from conftest import start_server

    url, proc = start_server("--model", "gemma-3-270m", "--name", "gemma", "--device", "cpu", "--log-level", "warning")
    yield url
    proc.terminate()
    proc.wait(timeout=30)


@pytest.mark.parametrize("mode", ["loglik", "cloze"])
def test_scoring_through_a_real_server_equals_in_process(gemma, served, tmp_path, mode):
    """`crossin serve` + the OpenAI backend (/v1/completions, echo + logprobs) vs the in-process HF backend."""
    model, tok = gemma
    common = dict(bench=["cross-mmlu"], langs=["en", "zh"], limit=10, mode=mode, data_dir=str(DATA_DIR), no_cache=True,
                  n_boot=10)
    api = run_eval(EvalConfig(model="openai:gemma", base_url=served, out=str(tmp_path / "api"), **common),
                   progress=False)["cross-mmlu"]
    run_eval(EvalConfig(out=str(tmp_path / "local"), **common), model=model, tokenizer=tok, progress=False)
    import json

    def samples(folder):
        lines = (tmp_path / folder / "cross-mmlu" / "samples_cross-mmlu.jsonl").read_text().splitlines()
        return {(s["id"], s["lang"]): s for s in map(json.loads, lines)}

    remote, local = samples("api"), samples("local")
    assert len(remote) == 20 and remote.keys() == local.keys()
    for key in local:
        assert remote[key]["choice"] == local[key]["choice"], key
        assert remote[key]["option_scores"] == pytest.approx(local[key]["option_scores"], abs=1e-3), key
    assert api["requests"]["computed"] == 20


def test_generation_through_a_real_server_equals_in_process(gemma, served, tmp_path):
    model, tok = gemma
    common = dict(bench=["cross-mmlu"], langs=["en", "zh"], limit=1, mode="generate", max_new_tokens=6,
                  batch_size=1, data_dir=str(DATA_DIR), no_cache=True, n_boot=10)
    api = run_eval(EvalConfig(model="openai:gemma", base_url=served, out=str(tmp_path / "api"), **common),
                   progress=False)["cross-mmlu"]
    local = run_eval(EvalConfig(out=str(tmp_path / "local"), **common), model=model, tokenizer=tok,
                     progress=False)["cross-mmlu"]
    api_samples = (tmp_path / "api" / "cross-mmlu" / "samples_cross-mmlu.jsonl").read_text().splitlines()
    local_samples = (tmp_path / "local" / "cross-mmlu" / "samples_cross-mmlu.jsonl").read_text().splitlines()
    import json

    api_out = [json.loads(line)["output"] for line in api_samples]
    assert len(api_out) == 2 and all(isinstance(o, str) and o for o in api_out)
    assert api_out == [json.loads(line)["output"] for line in local_samples]
    assert api["model"] == "openai:gemma" and api["answer_distribution"] == local["answer_distribution"]
