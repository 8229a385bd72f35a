"""Adapters through `crossin serve --lora-modules` (vLLM's flag: each adapter one more model name) and
`crossin export merged` (adapter merged into a full model folder), on a tiny random Gemma 3 with adapters whose
LoRA and embedding weights are non-zero (the paper's config: LoRA on every projection, embeddings trained, tied)."""

from __future__ import annotations

import json

import httpx
import pytest
import torch
from typer.testing import CliRunner

from conftest import make_adapter, start_server
from crossin.cli import app

TEXT = "Question: which city is the capital of France?\nAnswer: Paris"


@pytest.fixture(scope="module")
def adapters(tiny_dir, tmp_path_factory):
    root = tmp_path_factory.mktemp("adapters")
    return {"arm-a": make_adapter(tiny_dir, root / "a", 1), "arm-b": make_adapter(tiny_dir, root / "b", 2,
                                                                                   tied_format=False)}


def echo(url, model, text=TEXT):
    body = {"model": model, "prompt": text, "echo": True, "logprobs": 1, "max_tokens": 0}
    response = httpx.post(url + "/completions", json=body, timeout=60)
    assert response.status_code == 200, response.text
    return response.json()["choices"][0]["logprobs"]["token_logprobs"][1:]


def in_process(tiny_dir, adapter, text=TEXT):
    from crossin.models.hf import load_model_and_tokenizer

    model, tok = load_model_and_tokenizer(str(tiny_dir), adapter and str(adapter), device="cpu")
    ids = tok(text).input_ids
    with torch.inference_mode():
        logp = model(input_ids=torch.tensor([ids])).logits[0].float().log_softmax(-1)
    return [logp[i - 1, ids[i]].item() for i in range(1, len(ids))]


def test_lora_modules_are_served_as_model_names_and_change_the_scores(tiny_dir, adapters):
    url, proc = start_server("--model", str(tiny_dir), "--name", "tiny", "--device", "cpu", "--log-level", "warning",
                             "--lora-modules", f"arm-a={adapters['arm-a']}", f"arm-b={adapters['arm-b']}")
    try:
        listed = httpx.get(url + "/models").json()["data"]
        assert [m["id"] for m in listed] == ["tiny", "arm-a", "arm-b"]
        assert listed[1]["parent"] == "tiny" and listed[1]["root"] == str(adapters["arm-a"])
        got = {name: echo(url, name) for name in ("tiny", "arm-a", "arm-b")}
        # Interleaved requests for different adapters: each gets its own adapter's scores.
        again = {name: echo(url, name) for name in ("arm-b", "tiny", "arm-a")}
        missing = httpx.post(url + "/completions", json={"model": "arm-c", "prompt": "hi"}, timeout=60)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    for name, adapter in (("tiny", None), ("arm-a", adapters["arm-a"]), ("arm-b", adapters["arm-b"])):
        assert got[name] == pytest.approx(in_process(tiny_dir, adapter), abs=1e-4), name
        assert again[name] == pytest.approx(got[name], abs=1e-5), name
    assert max(abs(a - b) for a, b in zip(got["tiny"], got["arm-a"])) > 1e-2
    assert max(abs(a - b) for a, b in zip(got["arm-a"], got["arm-b"])) > 1e-2
    assert missing.status_code == 404 and "arm-a, arm-b" in missing.json()["error"]["message"]


def test_export_merged_scores_equal_the_adapter_in_process(tiny_dir, adapters, tmp_path, data_dir):
    from safetensors import safe_open

    from crossin.benchmarks import load_benchmark
    from crossin.evaluate import score_options
    from crossin.models.hf import load_model_and_tokenizer

    out = tmp_path / "merged"
    runner = CliRunner()
    res = runner.invoke(app, ["export", "merged", "--adapter", str(adapters["arm-a"]), "--out", str(out),
                              "--model", str(tiny_dir)])
    assert res.exit_code == 0, res.output
    config = json.loads((out / "config.json").read_text())
    assert config["tie_word_embeddings"] is True  # one trained matrix, written once
    with safe_open(str(out / "model.safetensors"), framework="pt") as f:
        names = list(f.keys())
    assert not any("lora" in n or "modules_to_save" in n for n in names) and not any("lm_head" in n for n in names)
    assert (out / "tokenizer.json").is_file() and (out / "model.safetensors").stat().st_mode & 0o044

    bench = load_benchmark("cross-mmlu", "en", data_dir=data_dir, limit=3)
    merged_model, tok = load_model_and_tokenizer(str(out), device="cpu")
    with_adapter, _ = load_model_and_tokenizer(str(tiny_dir), str(adapters["arm-a"]), device="cpu")
    base, _ = load_model_and_tokenizer(str(tiny_dir), device="cpu")
    for mode in ("loglik", "cloze"):
        merged = score_options(merged_model, tok, bench, mode=mode)
        wanted = score_options(with_adapter, tok, bench, mode=mode)
        plain = score_options(base, tok, bench, mode=mode)
        for key in wanted:
            assert merged[key] == pytest.approx(wanted[key], abs=1e-4), (mode, key)
        assert max(abs(a - b) for k in plain for a, b in zip(plain[k], wanted[k])) > 1e-3  # the adapter matters

    # The output folder is refused when it holds anything, before any model loads.
    again = runner.invoke(app, ["export", "merged", "--adapter", str(adapters["arm-a"]), "--out", str(out)])
    assert again.exit_code == 2 and "new or empty folder" in again.output


def test_adapter_with_lora_modules_is_merged_into_the_base_name(tiny_dir, adapters):
    """`--adapter A --lora-modules b=B`: the base name serves base + A (merged), b serves base + A + B."""
    url, proc = start_server("--model", str(tiny_dir), "--name", "tuned", "--device", "cpu", "--log-level", "warning",
                             "--adapter", str(adapters["arm-a"]), "--lora-modules", f"b={adapters['arm-b']}")
    try:
        tuned, stacked = echo(url, "tuned"), echo(url, "b")
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert tuned == pytest.approx(in_process(tiny_dir, adapters["arm-a"]), abs=1e-4)
    assert max(abs(a - b) for a, b in zip(tuned, stacked)) > 1e-2
