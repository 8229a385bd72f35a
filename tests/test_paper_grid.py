"""configs/experiments/paper.yaml is the paper's grid: Gemma-2B and Mistral-7B-v0.1, Open-Platypus as the English base,
Alpaca-only and Platypus-only baselines, CrossIn arms on Platypus, x2x + translation, the Figure 5 sweep (sizes from
the authors' released code), Table 3's general LLMs; its data built here from small local files in the Hub's layouts
(Platypus: instruction, input, output, data_source; x-LLM: alpaca_<lang>.json), for one base model."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from crossin.experiment import Steps, arm_meta, load_experiment, run_fingerprint
from crossin.io import iter_jsonl
from crossin.report import figure5_series

PAPER = Path(__file__).resolve().parents[1] / "configs" / "experiments" / "paper.yaml"
SCALE = {15000: 6, 3000: 1, 6000: 3}  # the released code's sizes (build_data.sh), shrunk to the little corpus


def small_grid(tmp_path: Path) -> Path:
    platypus = [{"instruction": f"Platypus question {i}?", "input": "", "output": f"Platypus answer {i}.",
                 "data_source": "scienceqa" if i % 2 else "leetcode_ne"} for i in range(9)]
    (tmp_path / "platypus.json").write_text(json.dumps(platypus), encoding="utf-8")
    alpaca = tmp_path / "alpaca"
    alpaca.mkdir()
    texts = {"en": ("Give a fact about number {i}.", "Number {i} is a number."),
             "zh": ("给出关于数字{i}的一个事实。", "数字{i}是一个数。")}
    for lang, (instruction, output) in texts.items():
        rows = [{"instruction": instruction.format(i=i), "input": "", "output": output.format(i=i)} for i in range(12)]
        (alpaca / f"alpaca_{lang}.json").write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    cfg = yaml.safe_load(PAPER.read_text(encoding="utf-8"))
    cfg.update(parallel=str(alpaca), base=str(tmp_path / "platypus.json"), data_langs=["en", "zh"],
               data={"langid": False}, train_config=str(PAPER.parent / cfg["train_config"]))
    cfg.pop("models")  # one base model: the data do not depend on it
    cfg["arms"] = [arm for arm in cfg["arms"] if not arm.get("eval_only")]
    for arm in cfg["arms"]:
        arm["n"] = SCALE.get(arm.get("n", 0), 0)
        arm["translation"] = 2 if arm.get("translation") else 0
    cfg["sweep"]["sizes"] = sorted({SCALE[n] for n in cfg["sweep"]["sizes"]})
    path = tmp_path / "paper_small.yaml"
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    return path


def test_paper_config_is_the_papers_grid():
    cfg, runs = load_experiment(PAPER)
    assert cfg.base == "hf:garage-bAInd/Open-Platypus" and cfg.benchmarks == ["cross-xquad", "cross-mmlu", "cross-logiqa"]
    assert cfg.eval == {"protocol": "crossin-paper"} and sorted(cfg.langs) == ["en", "es", "vi", "zh"]
    tuned = {"zero-shot": "Base model", "alpaca-only": "Tuning w/ Alpaca", "platypus-only": "Tuning w/ Platypus",
             "en2x-n15000": "CrossIn en2x", "x2en-n15000": "CrossIn x2en", "x2x-n15000": "CrossIn x2x",
             "x2x-n15000+trans15000": "CrossIn x2x + Trans"}
    labels = {r.name: r.arm.label for r in runs if not r.sweep}
    for model in ("Gemma-2B", "Mistral-7B-v0.1"):  # Table 3's two base models, every row each
        assert {n.split("__")[1]: l for n, l in labels.items() if n.startswith(model + "__")} == tuned
        assert [r.arm.n for r in runs if r.sweep and r.model_name == model] == [3000, 6000]  # 15000 is an arm
    general = {r.arm.label for r in runs if r.eval_only}
    assert general == {"ChatGPT-3.5", "LLaMA-2-7B-Chat", "Mistral-7B-Instruct-v0.2", "LLaMA-7B", "m-LLaMA-7B"}
    assert len(runs) == 2 * (len(tuned) + 2) + 5


def test_dry_run_lists_every_run_with_its_needs():
    from typer.testing import CliRunner

    from crossin.cli import app

    res = CliRunner().invoke(app, ["experiment", "run", str(PAPER), "--dry-run"], env={"COLUMNS": "300"})
    assert res.exit_code == 0, res.output
    _, runs = load_experiment(PAPER)
    for run in runs:
        assert run.name in res.output
    assert "google/gemma-2b" in res.output and "mistralai/Mistral-7B-v0.1" in res.output
    assert "23 runs" in res.output and "GPU-hours" in res.output and "GiB" in res.output
    assert "1 run(s) behind an API" in res.output  # ChatGPT's cost is not GPU time


def test_the_grid_builds_from_local_files_in_the_hub_layouts(tmp_path):
    cfg, runs = load_experiment(small_grid(tmp_path))
    steps = Steps()
    mixes = {}
    for run in runs[1:]:  # the zero-shot run has no data
        folder = steps.data(cfg, run, tmp_path / "arms" / run.name)
        mixes[run.name] = [row for _, row in iter_jsonl(folder / "train.jsonl")]
    platypus = {f"Platypus question {i}?" for i in range(9)}
    alpaca_en = {f"Give a fact about number {i}." for i in range(12)}

    def base(name):
        return {r["instruction"] for r in mixes[name] if r["recipe"] == "base"}

    assert base("alpaca-only") == alpaca_en and len(mixes["alpaca-only"]) == 12  # Tuning w/ Alpaca: Alpaca alone
    assert base("platypus-only") == platypus and len(mixes["platypus-only"]) == 9  # Tuning w/ Platypus
    for name, recipe, n, trans in [("en2x-n6", "en2x", 6, 0), ("x2en-n6", "x2en", 6, 0), ("x2x-n6", "x2x", 6, 0),
                                   ("x2x-n6+trans2", "x2x", 6, 2), ("x2x-n1", "x2x", 1, 0), ("x2x-n3", "x2x", 3, 0)]:
        rows = mixes[name]
        assert base(name) == platypus, name  # every CrossIn arm sits on the whole Platypus base
        assert sum(r["recipe"] == recipe for r in rows) == n and sum(r["recipe"] == "translation" for r in rows) == trans
        crossin = [r for r in rows if r["recipe"] == recipe]
        assert all(r["instruction"] not in platypus for r in crossin)  # CrossIn samples come from the Alpaca side
        assert {r["instruction_lang"] for r in crossin} | {r["output_lang"] for r in crossin} <= {"en", "zh"}
    # Alpaca-only is a Table 3 row but not a point of the figures (another base set); its label is recorded.
    metas = {r.name: arm_meta(r, run_fingerprint(cfg, r)) for r in runs}
    assert metas["alpaca-only"]["other_base"] and not metas["platypus-only"]["other_base"]
    assert metas["alpaca-only"]["label"] == "Tuning w/ Alpaca" and metas["x2x-n1"]["label"] == "x2x-n1"


def test_a_label_does_not_change_a_runs_fingerprint(tmp_path):
    cfg, runs = load_experiment(small_grid(tmp_path))
    run = next(r for r in runs if r.name == "platypus-only")
    before = run_fingerprint(cfg, run)
    run.arm.label = "something else"
    assert run_fingerprint(cfg, run) == before


def test_figure5_starts_at_platypus_only_not_alpaca_only(tmp_path):
    from crossin.report import Run as ReportRun

    def fake(name, recipe, n, other_base=False):
        return ReportRun(name=name, bench="cross-mmlu", folder=tmp_path, results={},
                         meta={"recipe": recipe, "n": n, "translation": 0, "other_base": other_base})

    runs = [fake("alpaca-only", "en-only", 0, other_base=True), fake("platypus-only", "en-only", 0),
            fake("x2x-n1", "x2x", 1), fake("x2x-n6", "x2x", 6)]
    series = figure5_series(runs)
    assert [(n, [r.name for r in g]) for n, g in series["x2x"]] == [(0, ["platypus-only"]), (1, ["x2x-n1"]), (6, ["x2x-n6"])]
