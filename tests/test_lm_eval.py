"""lm-evaluation-harness interop: exported tasks, scoring lm-eval's samples, lm-eval-shaped results."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crossin.benchmarks import load_benchmark
from crossin.cli import app
from crossin.evaluate import EvalConfig
from crossin.evaluate.requests import build_prompt
from crossin.lmeval.export import ExportConfig, export_lm_eval
from crossin.lmeval.results import lm_eval_block
from crossin.lmeval.samples import load_lm_eval_samples

DATA_DIR = Path(os.environ["CROSSIN_DATA_DIR"])  # set by conftest.py

runner = CliRunner()
OFFLINE = {"HF_DATASETS_OFFLINE": "1", "HF_HUB_OFFLINE": "1"}


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    out = tmp_path_factory.mktemp("tasks")
    groups = export_lm_eval(ExportConfig(bench=["cross-mmlu", "cross-logiqa"], langs=["en", "zh"], out=str(out), limit=5))
    return out, groups


def test_export_writes_one_task_per_language_and_a_group_per_benchmark(exported):
    out, groups = exported
    assert groups == {"cross_mmlu": ["cross_mmlu_en", "cross_mmlu_zh"],
                      "cross_logiqa": ["cross_logiqa_en", "cross_logiqa_zh"]}
    bench = load_benchmark("cross-logiqa", "en,zh", data_dir=DATA_DIR, limit=5)
    rows = [json.loads(line) for line in (out / "cross_logiqa_zh.jsonl").read_text().splitlines()]
    assert [r["id"] for r in rows] == [s.id for s in bench.sets]
    assert rows[2]["prompt"] == build_prompt(bench.sets[2].items["zh"], "loglik")  # crossin's prompt, passage included
    assert rows[2]["choices"] == ["A", "B", "C", "D"] and rows[2]["gold"] == bench.sets[2].gold


def test_lm_eval_loads_the_exported_tasks_with_crossins_prompts(exported):
    from lm_eval.tasks import TaskManager

    out, _ = exported
    os.environ.update(OFFLINE)
    manager = TaskManager(include_path=str(out), include_defaults=False)
    assert {"cross_mmlu", "cross_mmlu_en", "cross_logiqa_zh"} <= set(manager.all_tasks)
    loaded = manager.load(["cross_mmlu"])  # the group expands to its tasks
    assert set(loaded["tasks"]) == {"cross_mmlu_en", "cross_mmlu_zh"}
    task = loaded["tasks"]["cross_mmlu_zh"]
    doc = task.test_docs()[1]
    item = load_benchmark("cross-mmlu", "zh", data_dir=DATA_DIR, limit=5).sets[1].items["zh"]
    assert task.doc_to_text(doc) == build_prompt(item, "loglik")
    assert task.doc_to_choice(doc) == ["A", "B", "C", "D"] and task.doc_to_target(doc) == item.gold
    assert task.construct_requests(doc, task.doc_to_text(doc))[1].arguments[1] == "B"  # no delimiter added


def _write_samples(folder: Path, task: str, docs: list[dict], lls: list[list[float]], stamp="2026-01-01T00-00-00.000001"):
    folder.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps({"doc_id": i, "doc": doc, "target": str(doc.get("gold")),
                         "filtered_resps": [[str(x), "False"] for x in ll], "acc": 0.0}) for i, (doc, ll) in
             enumerate(zip(docs, lls))]
    (folder / f"samples_{task}_{stamp}.jsonl").write_text("\n".join(lines) + "\n")


def _docs(lang, ids=("a", "b", "c", "d"), golds=(0, 1, 2, 3), mode="loglik"):
    return [{"id": i, "lang": lang, "mode": mode, "prompt": "p", "choices": ["A", "B", "C", "D"], "gold": g}
            for i, g in zip(ids, golds)]


def _one_hot(choices):
    return [[0.0 if k == c else -5.0 for k in range(4)] for c in choices]


def test_score_reads_lm_eval_samples_into_crossins_metrics(tmp_path):
    run = tmp_path / "run" / "model"
    _write_samples(run, "cross_mmlu_en", _docs("en"), _one_hot([0, 1, 2, 0]))  # 3 of 4 right
    _write_samples(run, "cross_mmlu_zh", _docs("zh"), _one_hot([0, 1, 3, 0]))  # 2 of 4, agrees with en on 3
    res = runner.invoke(app, ["score", "--lm-eval-samples", str(tmp_path / "run"), "--output_path", str(tmp_path / "r.json")])
    assert res.exit_code == 0, res.output
    results = json.loads((tmp_path / "r.json").read_text())
    assert results["languages"] == ["en", "zh"] and results["n_sets"] == 4
    assert results["language_accuracy"] == {"en": 0.75, "zh": 0.5}
    assert results["consistency"]["2"] == 0.75 and "ci95" in results
    assert set(results["inputs"]["lm_eval_samples"]) == {"cross_mmlu_en", "cross_mmlu_zh"}


def test_cloze_samples_use_lm_evals_length_normalised_choice(tmp_path):
    docs = [{"id": "a", "lang": "en", "mode": "cloze", "prompt": "p", "choices": [" x", " much longer", " y", " z"],
             "gold": 1}]
    for lang in ("en", "zh"):
        _write_samples(tmp_path, f"cross_mmlu_{lang}", [{**d, "lang": lang} for d in docs], [[-2.0, -3.0, -9.0, -9.0]])
    [(bench, pred, _, scores)] = load_lm_eval_samples(tmp_path)
    assert pred.tolist() == [[1, 1]]  # -3/12 beats -2/2


@pytest.mark.parametrize("case, expected", [
    ("foreign", "hellaswag is not a crossin task"),
    ("missing", "no samples for cross_mmlu_vi"),
    ("limits", "has 3 samples but cross_mmlu_en has 4"),
    ("other_sets", "samples of different runs or limits"),
])
def test_lm_eval_samples_errors_are_one_line(tmp_path, case, expected):
    _write_samples(tmp_path, "cross_mmlu_en", _docs("en"), _one_hot([0] * 4))
    args = ["score", "--lm-eval-samples", str(tmp_path)]
    if case == "foreign":
        _write_samples(tmp_path, "hellaswag", [{"ctx": "x"}], [[0.0]])
    elif case == "missing":
        _write_samples(tmp_path, "cross_mmlu_zh", _docs("zh"), _one_hot([0] * 4))
        args += ["--langs", "en,zh,vi"]
    elif case == "limits":
        _write_samples(tmp_path, "cross_mmlu_zh", _docs("zh")[:3], _one_hot([0] * 3))
    else:
        _write_samples(tmp_path, "cross_mmlu_zh", _docs("zh", ids=("a", "b", "x", "d")), _one_hot([0] * 4))
    res = runner.invoke(app, args)
    assert res.exit_code == 2
    lines = res.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and expected in lines[0], res.output


def test_foreign_tasks_are_skipped_when_the_benchmark_is_named(tmp_path):
    for lang in ("en", "zh"):
        _write_samples(tmp_path, f"cross_mmlu_{lang}", _docs(lang), _one_hot([0, 1, 2, 3]))
    _write_samples(tmp_path, "hellaswag", [{"ctx": "x"}], [[0.0]])
    res = runner.invoke(app, ["score", "--lm-eval-samples", str(tmp_path), "--tasks", "cross-mmlu"])
    assert res.exit_code == 0, res.output
    assert "1.000" in res.output


def test_results_block_in_lm_evals_layout():
    bench = load_benchmark("cross-mmlu", "en,zh", data_dir=DATA_DIR, limit=3)
    golds = [s.gold for s in bench.sets]
    choices = {"en": golds, "zh": [golds[0], (golds[1] + 1) % 4, None]}
    samples = [{"id": s.id, "lang": lang, "prompt": "p", "option_scores": [0.0] * 4, "choice": choices[lang][i],
                "gold": s.gold} for i, s in enumerate(bench.sets) for lang in ("en", "zh")]
    results = {"consistency": {"2": 1 / 3}, "ac3": {"2": 0.5}, "kappa": {"2": 0.1}, "circular": False,
               "rankc": {"overall": 0.4, "pairwise": {"en-zh": 0.4}, "chance": 0.377}}
    block = lm_eval_block(EvalConfig(langs=["en", "zh"], limit=3), bench, samples, results)
    assert block["results"]["cross_mmlu_en"]["acc,none"] == 1.0
    assert block["results"]["cross_mmlu_zh"]["acc,none"] == pytest.approx(1 / 3)
    assert block["results"]["cross_mmlu_zh"]["acc_norm,none"] == pytest.approx(1 / 3)
    assert block["results"]["cross_mmlu"]["acc,none"] == pytest.approx(4 / 6)
    assert block["results"]["cross_mmlu"]["consistency@2,none"] == pytest.approx(1 / 3)
    assert block["results"]["cross_mmlu"]["rankc,none"] == 0.4
    assert block["group_subtasks"] == {"cross_mmlu": ["cross_mmlu_en", "cross_mmlu_zh"]}
    assert block["n-samples"]["cross_mmlu_zh"]["effective"] == 3 and block["versions"]["cross_mmlu_en"] == 1.0
    assert block["configs"]["cross_mmlu_zh"]["output_type"] == "multiple_choice"
    assert block["config"]["model_args"] == {"pretrained": "gemma-3-270m"} and block["config"]["limit"] == 3


def test_results_block_records_the_shots_and_sets_the_run_used(tiny, tiny_dir, tmp_path):
    """n-shot and n-samples come from the run: 5-shot on 2 of Cross-MMLU's 150 sets."""
    from crossin.evaluate import run_eval
    from crossin.lmeval.results import RESULT_BLOCKS
    from crossin.models.hf import model_identity

    model, tok = tiny
    config = EvalConfig(model=str(tiny_dir), bench=["cross-mmlu"], langs=["en", "zh"], limit=2, num_fewshot=5,
                        batch_size=2, data_dir=str(DATA_DIR), no_cache=True, n_boot=10)
    results = run_eval(config, model=model, tokenizer=tok, model_id=model_identity(str(tiny_dir), device="cpu"),
                       progress=False, blocks=RESULT_BLOCKS)["cross-mmlu"]
    block = results["lm_eval"]
    assert block["n-shot"] == {"cross_mmlu_en": 5, "cross_mmlu_zh": 5}
    assert block["n-samples"]["cross_mmlu_zh"] == {"original": 150, "effective": 2}
    assert block["config"]["limit"] == 2 and block["config"]["num_fewshot"] == 5


def lm_eval_then_score(tasks: Path, names: str, tmp_path: Path, *extra: str) -> tuple[dict, dict]:
    """Run lm-eval itself (hf backend, the embedded model, --log_samples) on the tasks in `tasks`, then `crossin score
    --lm-eval-samples` on its output: (lm-eval's results per task, crossin's results.json)."""
    from crossin.models.embedded import embedded_model_dir

    env = {**os.environ, **OFFLINE, "TOKENIZERS_PARALLELISM": "false"}
    run = subprocess.run([sys.executable, "-m", "lm_eval", "--model", "hf", "--model_args",
                          f"pretrained={embedded_model_dir()},dtype=float32", "--include_path", str(tasks), "--tasks",
                          names, *extra, "--log_samples", "--output_path", str(tmp_path / "lm"), "--device", "cpu",
                          "--batch_size", "4"], env=env, capture_output=True, text=True, timeout=1200)
    assert run.returncode == 0, run.stderr[-3000:]
    [lm_results] = (tmp_path / "lm").rglob("results_*.json")
    res = runner.invoke(app, ["score", "--lm-eval-samples", str(tmp_path / "lm"), "-o", str(tmp_path / "r.json")])
    assert res.exit_code == 0, res.output
    return json.loads(lm_results.read_text())["results"], json.loads((tmp_path / "r.json").read_text())


@pytest.mark.model
def test_lm_eval_on_the_embedded_model_matches_crossin_score(tmp_path):
    """Export, run lm-eval itself (--limit 3 --log_samples), score its samples: the same accuracy per language."""
    tasks = tmp_path / "tasks"
    res = runner.invoke(app, ["export", "lm-eval", "--bench", "cross-mmlu", "--langs", "en,zh", "--out", str(tasks)])
    assert res.exit_code == 0, res.output
    lm, ours = lm_eval_then_score(tasks, "cross_mmlu_en,cross_mmlu_zh", tmp_path, "--limit", "3")
    assert ours["n_sets"] == 3 and ours["languages"] == ["en", "zh"]
    for lang in ("en", "zh"):
        assert ours["language_accuracy"][lang] == pytest.approx(lm[f"cross_mmlu_{lang}"]["acc,none"])
