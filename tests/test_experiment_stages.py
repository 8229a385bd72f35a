"""An experiment arm that chains stages (ArmConfig.then): x2x SFT, then DCO on the SFT model's own disagreements
on a training pool, through `crossin experiment run` and `crossin report`, on a tiny random model."""

from __future__ import annotations

import json

import pytest
import yaml
from typer.testing import CliRunner

from crossin.cli import app
from crossin.errors import CrossinError
from crossin.experiment import load_experiment
from crossin.io import read_json
from test_experiment import CONFIGS, env, tiny_model, write_config  # noqa: F401 (fixtures)
from test_train_preference import write_toy_pool

STAGE_TRAIN = {"max_steps": 2, "learning_rate": 0.01, "warmup_ratio": 0.0, "effective_batch_size": 4,
               "per_device_batch_size": 4, "save_steps": 1}


def test_then_stage_is_checked_at_load(tmp_path):
    path = write_config(tmp_path / "c.yaml", arms=[{"recipe": "x2x", "n": 8, "then": {"method": "dco"}}])
    with pytest.raises(CrossinError, match=r"arms\[0\].then.pool: a training pool is needed"):
        load_experiment(path)
    path = write_config(tmp_path / "c.yaml", arms=[{"recipe": "x2x", "n": 8, "then": {
        "pool": "pool.jsonl", "train": {"prompt_format": "chat"}}}])
    with pytest.raises(CrossinError, match="then.train: --prompt-format is for --method sft"):
        load_experiment(path)
    path = write_config(tmp_path / "c.yaml", arms=[{"recipe": "x2x", "n": 8},
                                                   {"recipe": "x2x", "n": 8, "then": {"pool": "pool.jsonl"}}])
    _, runs = load_experiment(path)
    assert [r.name for r in runs] == ["zero-shot", "x2x-n8", "x2x-n8+dco"]


def test_micro_experiment_sft_then_dco(tiny_model, tmp_path):
    pool = write_toy_pool(tmp_path / "pool.jsonl")
    micro = yaml.safe_load((CONFIGS / "micro.yaml").read_text())
    micro["eval"] = {**micro["eval"], "mode": "cloze", "cache_dir": str(tmp_path / "eval_cache")}
    micro["model"] = str(tiny_model)
    micro["arms"] = [{"recipe": "x2x", "n": 8},
                     {"recipe": "x2x", "n": 8, "then": {"method": "dco", "pool": str(pool), "train": STAGE_TRAIN}}]
    micro["compare"] = ["x2x-n8+dco:x2x-n8"]
    config = tmp_path / "stages.yaml"
    config.write_text(yaml.safe_dump(micro))
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["experiment", "run", str(config), "--out", str(out)])
    assert res.exit_code == 0, res.output
    arm = out / "arms" / "x2x-n8+dco"
    pairs = read_json(arm / "pairs" / "manifest.json")
    assert pairs["config"]["adapter"] == str(arm / "train" / "adapter")  # the SFT model's own disagreements
    assert pairs["config"]["mode"] == "cloze" and "cross-mmlu" in pairs["decontamination"]
    assert pairs["counts"]["dco_records"] > 0
    record = read_json(arm / "then" / "train_config.json")
    assert record["config"]["method"] == "dco" and record["config"]["adapter"] == str(arm / "train" / "adapter")
    assert record["result"]["global_step"] == 2
    # the arm was evaluated with the DCO stage's adapter, and the report compares it with the SFT arm
    results = read_json(arm / "eval" / "cross-mmlu" / "results.json")
    assert results["adapter"] == str(arm / "then" / "adapter")
    rep = read_json(out / "report" / "report.json")
    (comparison,) = rep["comparisons"]
    assert (comparison["a"], comparison["b"]) == ("x2x-n8+dco", "x2x-n8")
    sft = read_json(out / "arms" / "x2x-n8" / "eval" / "cross-mmlu" / "results.json")
    assert comparison["metrics"]["accuracy"]["diff"] == pytest.approx(results["accuracy"] - sft["accuracy"])
    assert "x2x-n8+dco" in (out / "report" / "report.md").read_text()
