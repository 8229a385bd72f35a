"""crossin experiment: config parsing, resume and failure handling (with stand-in steps), and one micro experiment
end to end on a tiny random model through the real data, train, eval and report modules."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from crossin.benchmarks import load_benchmark
from crossin.cli import app
from crossin.errors import CrossinError
from crossin.experiment import Steps, load_experiment, run_experiment
from crossin.io import read_json, write_json, write_jsonl
from crossin.score import score

REPO = Path(__file__).resolve().parents[1]
CONFIGS = REPO / "configs" / "experiments"
DATA_DIR = Path(os.environ["CROSSIN_DATA_DIR"])  # set by conftest.py


@pytest.fixture(autouse=True)
def env(monkeypatch):
    monkeypatch.setenv("CROSSIN_DATA_DIR", str(DATA_DIR))


def write_config(path: Path, **fields) -> Path:
    base = {"name": "t", "langs": ["en", "zh", "es"], "benchmarks": ["cross-mmlu"], "parallel": str(DATA_DIR),
            "arms": [{"recipe": "en-only"}, {"recipe": "x2x", "n": 8}]}
    base.update(fields)
    path.write_text(json.dumps(base))  # JSON is YAML
    return path


# ------------------------------------------------------------------------------------------- config


def test_shipped_configs_parse_into_the_papers_grid():
    cfg, runs = load_experiment(CONFIGS / "paper.yaml")
    names = [r.name for r in runs]
    assert names[0] == "zero-shot"
    recipes = {r.arm.recipe for r in runs}
    assert recipes == {"zero-shot", "en-only", "en2x", "x2en", "x2x"}  # Table 3's rows (tests/test_paper_grid.py)
    assert any(r.arm.translation > 0 for r in runs)
    assert sum(r.sweep for r in runs) >= 2
    assert len(set(names)) == len(names)
    for name in ("small.yaml", "micro.yaml"):
        cfg, runs = load_experiment(CONFIGS / name)
        assert runs[0].name == "zero-shot" and cfg.eval.get("limit")
    _, small = load_experiment(CONFIGS / "small.yaml")
    assert {r.arm.recipe for r in small} >= recipes


def test_runs_per_seed_and_sweep_sizes_listed_once(tmp_path):
    path = write_config(tmp_path / "c.yaml", seeds=[0, 1], sweep={"recipe": "x2x", "sizes": [4, 8, 16]})
    _, runs = load_experiment(path)
    assert [r.name for r in runs] == ["zero-shot", "en-only-s0", "en-only-s1", "x2x-n8-s0", "x2x-n8-s1",
                                      "x2x-n4-s0", "x2x-n4-s1", "x2x-n16-s0", "x2x-n16-s1"]
    assert [r.seed for r in runs[1:3]] == [0, 1]
    assert not runs[3].sweep and runs[5].sweep  # n=8 is the explicit arm; the sweep does not add it again


@pytest.mark.parametrize("fields, message", [
    ({"arms": [{"recipe": "x3x", "n": 4}]}, "unknown recipe 'x3x'"),
    ({"arms": [{"recipe": "x2x", "n": 4, "size": 3}]}, r"arms\[0\]: unknown config field\(s\) size"),
    ({"arms": [{"recipe": "en-only", "n": 4}]}, "en-only takes no CrossIn samples"),
    ({"arms": [{"recipe": "x2x"}]}, "needs n > 0"),
    ({"arms": [{"recipe": "x2x", "n": 4}, {"recipe": "x2x", "n": 4}]}, "same recipe, size and translation"),
    ({"parallel": "${CROSSIN_NO_SUCH_VAR}/x"}, r"\$CROSSIN_NO_SUCH_VAR is not set"),
    ({"compare": ["x2x-n8"]}, "compare: 'x2x-n8' must be 'A:B'"),
    ({"seeds": [1, 1]}, "distinct seeds"),
    ({"train_config": "no/such.yaml"}, "train_config: no/such.yaml not found"),
])
def test_config_errors_name_the_file(tmp_path, fields, message):
    path = write_config(tmp_path / "c.yaml", **fields)
    with pytest.raises(CrossinError, match=message) as e:
        load_experiment(path)
    assert e.value.path == str(path)


# ------------------------------------------------------------------------ resume, with stand-in steps


class FakeSteps(Steps):
    """Steps that write realistic result folders without a model, record their calls, and fail on request."""

    def __init__(self, fail: dict | None = None, interrupt: dict | None = None):
        super().__init__()
        self.calls: list[tuple[str, str]] = []
        self.fail = fail or {}
        self.interrupt = interrupt or {}

    def _maybe_fail(self, step, run):
        if self.fail.get(run.name) == step:
            raise RuntimeError(f"simulated crash in {step}")
        if self.interrupt.get(run.name) == step:
            raise KeyboardInterrupt

    def data(self, cfg, run, folder):
        self.calls.append(("data", run.name))
        self._maybe_fail("data", run)
        write_jsonl(folder / "data" / "train.jsonl", [{"instruction": "i", "input": "", "output": "o"}])
        return folder / "data"

    def train(self, cfg, run, folder, data_dir):
        self.calls.append(("train", run.name))
        # The data step is on disk in state.json before training starts (atomic state writes after each step).
        assert "data" in read_json(folder / "state.json")["steps"]
        self._maybe_fail("train", run)
        (folder / "train" / "adapter").mkdir(parents=True, exist_ok=True)
        return folder / "train" / "adapter"

    def eval(self, cfg, run, folder, adapter):
        self.calls.append(("eval", run.name))
        self._maybe_fail("eval", run)
        bench = load_benchmark("cross-mmlu", cfg.langs, data_dir=DATA_DIR, limit=12)
        rng = np.random.default_rng(run.order)
        pred = rng.integers(0, 4, (len(bench.sets), len(bench.langs)))
        results = score(bench, pred, n_boot=100)
        write_json(folder / "eval" / "cross-mmlu" / "results.json", results)
        write_jsonl(folder / "eval" / "cross-mmlu" / "samples_cross-mmlu.jsonl", [
            {"id": s.id, "lang": lang, "choice": int(pred[i, j]), "gold": s.gold}
            for i, s in enumerate(bench.sets) for j, lang in enumerate(bench.langs)])
        return {"cross-mmlu": results}


def test_failed_run_is_recorded_and_the_others_go_on(tmp_path):
    path = write_config(tmp_path / "c.yaml", n_boot=200)
    out = tmp_path / "exp"
    steps = FakeSteps(fail={"en-only": "train"})
    result = run_experiment(path, out, steps=steps, log=lambda _m: None)
    runs = result["state"]["runs"]
    assert runs["en-only"]["status"] == "failed" and "simulated crash in train" in runs["en-only"]["error"]
    assert runs["zero-shot"]["status"] == runs["x2x-n8"]["status"] == "done"
    assert "simulated crash" in (out / "arms" / "en-only" / "error.txt").read_text()
    assert {r["name"] for r in result["report"]["runs"]} == {"zero-shot", "x2x-n8"}
    assert "run `en-only` is not in this report: it failed (RuntimeError: simulated crash in train)" in \
        (out / "report" / "report.md").read_text()
    # Rerun: only the failed run's unfinished steps are done again.
    steps = FakeSteps()
    result = run_experiment(path, out, steps=steps, log=lambda _m: None)
    assert steps.calls == [("train", "en-only"), ("eval", "en-only")]
    assert all(r["status"] == "done" for r in result["state"]["runs"].values())
    assert {r["name"] for r in result["report"]["runs"]} == {"zero-shot", "en-only", "x2x-n8"}
    assert not list(out.glob(".crossin-tmp-*"))


def test_interrupted_run_resumes_after_its_last_finished_step(tmp_path):
    path = write_config(tmp_path / "c.yaml", n_boot=200)
    out = tmp_path / "exp"
    with pytest.raises(KeyboardInterrupt):
        run_experiment(path, out, steps=FakeSteps(interrupt={"x2x-n8": "train"}), log=lambda _m: None)
    state = read_json(out / "arms" / "x2x-n8" / "state.json")
    assert state["status"] == "running" and list(state["steps"]) == ["data"]
    steps = FakeSteps()
    run_experiment(path, out, steps=steps, log=lambda _m: None)
    assert steps.calls == [("train", "x2x-n8"), ("eval", "x2x-n8")]


def test_changed_settings_are_an_error_not_a_silent_mix(tmp_path):
    path = write_config(tmp_path / "c.yaml", n_boot=200)
    out = tmp_path / "exp"
    run_experiment(path, out, steps=FakeSteps(), log=lambda _m: None, report=False)
    described = read_json(out / "experiment.json")
    with pytest.raises(CrossinError, match="'zero-shot' in this folder was made with different settings"):
        run_experiment(path, out, overrides={"eval": {"limit": 3}}, steps=FakeSteps(), log=lambda _m: None)
    assert read_json(out / "experiment.json") == described  # a refused rerun leaves the folder's description alone
    # An unfinished run whose settings changed starts over (its partial outputs belong to the old settings).
    out2 = tmp_path / "exp2"
    run_experiment(path, out2, steps=FakeSteps(fail={"x2x-n8": "train"}), log=lambda _m: None, report=False)
    (out2 / "arms" / "x2x-n8" / "data" / "stale").write_text("old")
    steps = FakeSteps()
    changed = {"arms": [{"recipe": "en-only"}, {"recipe": "x2x", "n": 8, "train": {"lora_r": 2}}]}
    run_experiment(path, out2, overrides=changed, steps=steps, log=lambda _m: None, report=False)
    assert steps.calls == [("data", "x2x-n8"), ("train", "x2x-n8"), ("eval", "x2x-n8")]
    assert not (out2 / "arms" / "x2x-n8" / "data" / "stale").exists()
    # --only checks only the runs it names; the others, finished under the old settings, stay out of the report.
    out3 = tmp_path / "exp3"
    run_experiment(path, out3, steps=FakeSteps(fail={"x2x-n8": "train"}), log=lambda _m: None, report=False)
    result = run_experiment(path, out3, overrides={"eval": {"limit": 3}}, only=["x2x-n8"], steps=FakeSteps(),
                            log=lambda _m: None)
    assert {r["name"] for r in result["report"]["runs"]} == {"x2x-n8"}
    report_md = (out3 / "report" / "report.md").read_text()
    assert "run `zero-shot` is not in this report: it was made with different settings" in report_md
    # Settings that do not change a run's outputs (the report's) are fine.
    steps = FakeSteps()
    run_experiment(path, out, overrides={"n_boot": 300}, steps=steps, log=lambda _m: None)
    assert steps.calls == []


# ------------------------------------------------------------------------------ end to end, real modules


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    """A randomly initialised 2-layer Gemma 3 with the embedded model's real tokenizer."""
    import torch
    from transformers import AutoModelForCausalLM, Gemma3TextConfig

    from crossin.models.hf import load_tokenizer

    tok = load_tokenizer("gemma-3-270m")
    config = Gemma3TextConfig(vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                              num_attention_heads=2, num_key_value_heads=1, head_dim=16, max_position_embeddings=512,
                              sliding_window=64, layer_types=["sliding_attention", "full_attention"],
                              tie_word_embeddings=True)
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_config(config)
    folder = tmp_path_factory.mktemp("tiny-gemma3")
    model.save_pretrained(folder)
    tok.save_pretrained(folder)
    return folder


class CountingSteps(Steps):
    """The real steps, counted; optionally crashing one run's training before it starts."""

    def __init__(self, crash_train: str | None = None):
        super().__init__()
        self.calls: list[tuple[str, str]] = []
        self.crash_train = crash_train

    def data(self, cfg, run, folder):
        self.calls.append(("data", run.name))
        return super().data(cfg, run, folder)

    def train(self, cfg, run, folder, data_dir):
        self.calls.append(("train", run.name))
        if run.name == self.crash_train:
            raise RuntimeError("simulated crash in training")
        return super().train(cfg, run, folder, data_dir)

    def eval(self, cfg, run, folder, adapter):
        self.calls.append(("eval", run.name))
        return super().eval(cfg, run, folder, adapter)


def test_micro_experiment_end_to_end_with_resume(tiny_model, tmp_path):
    out = tmp_path / "micro"
    config = CONFIGS / "micro.yaml"
    # The eval request cache goes to the test's folder (where it lives is not part of a run's settings).
    micro_eval = yaml.safe_load(config.read_text())["eval"]
    overrides = {"model": str(tiny_model), "eval": {**micro_eval, "cache_dir": str(tmp_path / "eval_cache")}}

    # 1. The trained arm crashes after its data is built; the zero-shot run finishes and is reported.
    steps = CountingSteps(crash_train="x2x-n8")
    result = run_experiment(config, out, overrides=overrides, steps=steps, log=lambda _m: None)
    assert steps.calls == [("eval", "zero-shot"), ("data", "x2x-n8"), ("train", "x2x-n8")]
    state = result["state"]["runs"]
    assert state["zero-shot"]["status"] == "done" and state["x2x-n8"]["status"] == "failed"
    zero_results = out / "arms" / "zero-shot" / "eval" / "cross-mmlu" / "results.json"
    manifest = out / "arms" / "x2x-n8" / "data" / "manifest.json"
    stamps = (zero_results.stat().st_mtime_ns, manifest.stat().st_mtime_ns)

    # 2. Rerun: the finished run and the finished data step are not redone.
    steps = CountingSteps()
    result = run_experiment(config, out, overrides=overrides, steps=steps, log=lambda _m: None)
    assert steps.calls == [("train", "x2x-n8"), ("eval", "x2x-n8")]
    assert (zero_results.stat().st_mtime_ns, manifest.stat().st_mtime_ns) == stamps
    assert all(e["status"] == "done" for e in result["state"]["runs"].values())
    arm = out / "arms" / "x2x-n8"
    assert (arm / "train" / "adapter" / "adapter_config.json").exists()
    assert read_json(arm / "data" / "manifest.json")["counts"]["by_recipe"] == {"base": 8, "x2x": 8}
    log = [json.loads(line) for line in (arm / "train" / "train_log.jsonl").read_text().splitlines()]
    assert any(row.get("step") == 2 for row in log)
    # the run is named for the tracker by experiment and arm; its adapter's card carries the arm's evaluation
    assert read_json(arm / "train" / "train_config.json")["config"]["run_name"] == "micro experiment (CI)/x2x-n8"
    from huggingface_hub import ModelCard

    card = ModelCard.load(arm / "train" / "adapter" / "README.md")
    evaluated = read_json(arm / "eval" / "cross-mmlu" / "results.json")
    index = {(r.dataset_type, r.dataset_config, r.metric_type): r.metric_value for r in card.data.eval_results}
    assert index[("SeaEval/cross_mmlu", "zh", "accuracy")] == pytest.approx(evaluated["language_accuracy"]["zh"], abs=1e-6)
    assert index[("SeaEval/cross_mmlu", None, "ac3@3")] == pytest.approx(evaluated["ac3"]["3"], abs=1e-6)
    assert card.data.language == ["en", "zh"] and "recipe: `x2x`, n = 8" in card.text

    # 3. The report's numbers are the result files' numbers.
    rep = read_json(out / "report" / "report.json")
    results = {name: read_json(out / "arms" / name / "eval" / "cross-mmlu" / "results.json") for name in ("zero-shot", "x2x-n8")}
    for name, res in results.items():
        cell = rep["table"][name]["cross-mmlu"]
        assert cell["n_sets"] == 6 and cell["languages"] == ["en", "zh", "es"]
        assert cell["accuracy"]["value"] == res["accuracy"]
        assert cell["consistency"]["value"] == res["consistency"]["3"]
        assert cell["ac3"]["value"] == res["ac3"]["3"]
        assert cell["accuracy"]["ci95"] == res["ci95"]["accuracy"]
        samples = [json.loads(line) for line in (out / "arms" / name / "eval" / "cross-mmlu" / "samples_cross-mmlu.jsonl").open()]
        assert len(samples) == 18
        assert np.mean([s["choice"] == s["gold"] for s in samples]) == pytest.approx(res["accuracy"])
        row = "Base model (zero-shot)" if name == "zero-shot" else name  # Table 3 labels the base model as the paper does
        assert f"| {row} | {res['accuracy']:.3f} (" in (out / "report" / "report.md").read_text()
    (comparison,) = rep["comparisons"]
    assert (comparison["a"], comparison["b"]) == ("x2x-n8", "zero-shot")
    assert comparison["metrics"]["accuracy"]["diff"] == pytest.approx(results["x2x-n8"]["accuracy"] - results["zero-shot"]["accuracy"])
    # The adapter was applied: the tuned model scores the options differently from the base model.
    scores = {name: [json.loads(line)["option_scores"] for line in (out / "arms" / name / "eval" / "cross-mmlu" / "samples_cross-mmlu.jsonl").open()]
              for name in results}
    assert not np.allclose(scores["zero-shot"], scores["x2x-n8"])
    for file in rep["figures"].values():
        assert (out / "report" / file).stat().st_size > 5000

    # 4. The CLI on the finished folder: nothing to do, exit 0.
    res = CliRunner().invoke(app, ["experiment", "run", str(config), "--out", str(out), "--model", str(tiny_model)])
    assert res.exit_code == 0, res.output
    assert res.output.count("done earlier, skipped") == 2
    assert (tmp_path / "eval_cache").is_dir()


def test_cli_config_errors_are_one_line(tmp_path):
    path = write_config(tmp_path / "c.yaml", arms=[{"recipe": "x3x", "n": 4}])
    res = CliRunner().invoke(app, ["experiment", "run", str(path), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2
    assert f"error: {path}: arms[0]: unknown recipe 'x3x'" in " ".join(res.output.split())
    assert "Traceback" not in res.output
    res = CliRunner().invoke(app, ["experiment", "list", str(CONFIGS / "small.yaml")])
    assert res.exit_code == 0 and "x2x-n16+trans8" in res.output
