"""Several base models in one experiment (`models:`), evaluation-only arms (`eval_only:`), and the paper's Table 3
beside ours in the report: config checks, then a micro experiment end to end (two small models x two arms, plus one
model served by a real `crossin serve`) through the report."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crossin.cli import app
from crossin.errors import CrossinError
from crossin.experiment import load_experiment, run_experiment
from crossin.io import read_json

from conftest import start_server

DATA_DIR = Path(os.environ["CROSSIN_DATA_DIR"])
CORPUS = DATA_DIR / "parallel_instructions_en_zh_partial"


def write_config(path: Path, **fields) -> Path:
    base = {"name": "m", "langs": ["en", "zh", "es"], "data_langs": ["en", "zh"], "benchmarks": ["cross-mmlu"],
            "parallel": str(CORPUS), "arms": [{"recipe": "en-only"}, {"recipe": "x2x", "n": 4}]}
    base.update(fields)
    path.write_text(json.dumps(base))
    return path


def test_runs_are_models_times_arms_then_the_eval_only_arms(tmp_path):
    """Every arm on every base model, named MODEL__ARM; the eval_only arm once, on its own model."""
    path = write_config(tmp_path / "c.yaml", models=["gemma-3-270m", "tiny=/some/folder"],
                        arms=[{"recipe": "en-only"}, {"recipe": "x2x", "n": 4},
                              {"eval_only": "openai:gpt", "base_url": "http://127.0.0.1:1/v1", "label": "ChatGPT-3.5"}])
    cfg, runs = load_experiment(path)
    assert [(r.name, r.model) for r in runs] == [
        ("gemma-3-270m__zero-shot", "gemma-3-270m"), ("gemma-3-270m__en-only", "gemma-3-270m"),
        ("gemma-3-270m__x2x-n4", "gemma-3-270m"), ("tiny__zero-shot", "/some/folder"),
        ("tiny__en-only", "/some/folder"), ("tiny__x2x-n4", "/some/folder"), ("gpt", "openai:gpt")]
    served = runs[-1]
    assert served.zero_shot and served.eval_only
    from crossin.experiment import eval_config, train_config

    ev = eval_config(cfg, served, None, tmp_path)
    assert (ev.model, ev.base_url) == ("openai:gpt", "http://127.0.0.1:1/v1")
    assert train_config(cfg, runs[4], tmp_path, tmp_path).model == "/some/folder"


def test_a_single_model_config_keeps_its_run_names():
    _, runs = load_experiment(Path(__file__).resolve().parents[1] / "configs" / "experiments" / "micro.yaml")
    assert [r.name for r in runs] == ["zero-shot", "x2x-n8"]


@pytest.mark.parametrize("arm, message", [
    ({"eval_only": "openai:gpt"}, "needs base_url"),
    ({"eval_only": "org/model", "n": 4}, "not trained; remove n"),
    ({"eval_only": "org/model", "base_url": "http://x/v1"}, "base_url is for eval_only openai:NAME"),
    ({"recipe": "x2x", "n": 4, "base_url": "http://x/v1"}, "base_url is for eval_only"),
    ({"eval_only": "org/model", "eval": {"mode": "nonsense"}}, "arms[2].eval"),
])
def test_eval_only_arm_errors(tmp_path, arm, message):
    path = write_config(tmp_path / "c.yaml", arms=[{"recipe": "en-only"}, {"recipe": "x2x", "n": 4}, arm])
    with pytest.raises(CrossinError) as e:
        load_experiment(path)
    assert message in str(e.value)


def test_models_need_distinct_names_and_replace_model(tmp_path):
    with pytest.raises(CrossinError, match="two models named m"):
        load_experiment(write_config(tmp_path / "c.yaml", models=["a/m", "b/m"]))
    with pytest.raises(CrossinError, match="model: 'x/y' and models: both given"):
        load_experiment(write_config(tmp_path / "c.yaml", models=["a/m"], model="x/y"))


# ------------------------------------------------------------------------------ end to end, real modules


@pytest.fixture(scope="module")
def tiny_llama(tmp_path_factory, tokenizer):
    """A second small model of another architecture (2-layer Llama, random) with the tiny tokenizer, in a folder."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(1)
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=2, num_key_value_heads=1, max_position_embeddings=2048,
                         pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.bos_token_id,
                         eos_token_id=tokenizer.eos_token_id)
    folder = tmp_path_factory.mktemp("tiny-llama")
    LlamaForCausalLM(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def test_two_models_two_arms_and_a_served_model_through_the_report(tiny_dir, tiny_llama, tmp_path, one_torch_thread):
    url, proc = start_server("--model", str(tiny_dir), "--name", "served", "--device", "cpu", "--log-level", "warning")
    try:
        # The tiny model is named gemma-2b, so its runs stand for the paper's Gemma-2B rows (their labels match);
        # the other model's runs match none; the served model stands for the paper's ChatGPT-3.5 row.
        path = write_config(
            tmp_path / "multi.yaml", n_boot=200, eval_checkpoints=True, models=["gemma-2b=" + str(tiny_dir), "llama=" + str(tiny_llama)], base_n=2,
            data={"langid": False},
            train={"max_steps": 2, "learning_rate": 0.01, "warmup_ratio": 0.0, "effective_batch_size": 1,
                   "per_device_batch_size": 1, "lora_r": 2, "lora_alpha": 4, "modules_to_save": [], "max_length": 512,
                   "save_steps": 1, "logging_steps": 1},
            eval={"mode": "loglik", "limit": 1, "batch_size": 8, "cache_dir": str(tmp_path / "cache"), "threads": 1},
            arms=[{"recipe": "en-only", "label": "Tuning w/ Platypus"}, {"recipe": "x2x", "n": 2, "label": "CrossIn x2x"},
                  {"eval_only": "openai:served", "base_url": url, "name": "chatgpt", "label": "ChatGPT-3.5"}])
        out = tmp_path / "out"
        result = run_experiment(path, out, log=lambda _m: None)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    names = ["gemma-2b__zero-shot", "gemma-2b__en-only", "gemma-2b__x2x-n2", "llama__zero-shot",
             "llama__en-only", "llama__x2x-n2", "chatgpt"]
    assert {n: e["status"] for n, e in result["state"]["runs"].items()} == {n: "done" for n in names}
    # Each run used its own model: the trained adapters' bases, the served model's requests.
    for name, model in (("gemma-2b__x2x-n2", str(tiny_dir)), ("llama__x2x-n2", str(tiny_llama))):
        res = read_json(out / "arms" / name / "eval" / "cross-mmlu" / "results.json")
        assert res["model"] == model and res["adapter"]
    served = read_json(out / "arms" / "chatgpt" / "eval" / "cross-mmlu" / "results.json")
    assert served["model"] == "openai:served" and served["requests"]["computed"] > 0

    rep = read_json(out / "report" / "report.json")
    assert set(rep["table"]) == set(names)
    # eval_checkpoints: the checkpoints of both training steps evaluated like runs; they are curves, not rows.
    trained = [n for n in names if n.endswith(("en-only", "x2x-n2"))]
    assert set(rep["checkpoints"]) == set(trained)
    for name in trained:
        points = rep["checkpoints"][name]["cross-mmlu"]
        assert [p["step"] for p in points] == [1, 2]
        ckpt = read_json(out / "arms" / name / "checkpoints_eval" / "step-1" / "cross-mmlu" / "results.json")
        assert points[0]["accuracy"] == ckpt["accuracy"] and ckpt["adapter"].endswith("checkpoint-1")
    assert (out / "report" / rep["figures"]["learning_curves"]).stat().st_size > 5000
    assert set(rep["paper"]) == {"gemma-2b__en-only", "gemma-2b__x2x-n2", "chatgpt"}  # absent for the others
    cell = rep["paper"]["gemma-2b__x2x-n2"]["benchmarks"]["cross-mmlu"]["metrics"]["accuracy"]
    ours = rep["table"]["gemma-2b__x2x-n2"]["cross-mmlu"]["accuracy"]
    assert cell["paper"] == 0.37 and cell["ours"] == ours["value"]  # Table 3: Gemma-2B CrossIn x2x, Cross-MMLU Acc 37.0
    assert cell["diff"] == pytest.approx(ours["value"] - 0.37, abs=1e-4)
    assert cell["paper_in_ci"] == (ours["ci95"][0] <= 0.37 <= ours["ci95"][1])
    assert rep["paper"]["chatgpt"]["row"] == {"base": None, "label": "ChatGPT-3.5"}
    assert not rep["paper"]["chatgpt"]["benchmarks"]["cross-mmlu"]["same_languages"]  # 3 languages, not the paper's 4
    md = (out / "report" / "report.md").read_text()
    section = md.split("### Beside the paper", 1)[1].split("\n## ", 1)[0]
    assert "| gemma-2b__x2x-n2 | Gemma-2B / CrossIn x2x | cross-mmlu | accuracy | 0.370 |" in section
    assert "llama__" not in section
    assert md.index("| ChatGPT-3.5 (chatgpt) |") < md.index("| Base model (gemma-2b__zero-shot) |")  # as Table 3

    res = CliRunner().invoke(app, ["experiment", "status", str(out)], env={"COLUMNS": "250"})
    assert res.exit_code == 0, res.output
    assert all(n in res.output for n in names) and res.output.count("done") >= len(names)
