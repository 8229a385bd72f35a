"""crossin report: numbers from results.json as they are, paired bootstrap tests, figures and their skip rules.

Fixtures are eval folders made the way `crossin eval` makes them: `crossin.score.score` on seeded random
predictions over the real Cross-MMLU sets, plus samples_<bench>.jsonl with the same choices.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from crossin.benchmarks import load_benchmark
from crossin.cli import app
from crossin.errors import CrossinError
from crossin.io import write_json, write_jsonl
from crossin.report import Samples, build_report, find_runs, paired_bootstrap, read_samples
from crossin.score import score

DATA_DIR = Path(os.environ["CROSSIN_DATA_DIR"])  # set by conftest.py
LANGS = "en,zh,es,vi"


@pytest.fixture(scope="module")
def mmlu():
    return load_benchmark("cross-mmlu", LANGS, data_dir=DATA_DIR, limit=60)


def fake_predictions(bench, p_correct: float, agree: float, seed: int) -> np.ndarray:
    """A per-set answer (right with probability p_correct), kept in each language with probability `agree`."""
    rng = np.random.default_rng(seed)
    gold = np.array([s.gold for s in bench.sets])
    n = len(gold)
    base = np.where(rng.random(n) < p_correct, gold, rng.integers(0, 4, n))
    pred = np.stack([np.where(rng.random(n) < agree, base, rng.integers(0, 4, n)) for _ in bench.langs], axis=1)
    pred[rng.random(pred.shape) < 0.03] = -1  # a few unparsed answers, as in generate mode
    return pred


def write_eval(folder: Path, bench, pred: np.ndarray, *, meta: dict | None = None) -> dict:
    """<folder>/<bench>/results.json + samples_<bench>.jsonl (+ <folder>/arm.json), as crossin eval / experiment write them."""
    results = score(bench, pred, seed=0, n_boot=300)
    results.update(model="fake", adapter=None, mode="loglik", template=1, seed=0)
    write_json(folder / bench.name / "results.json", results)
    write_jsonl(folder / bench.name / f"samples_{bench.name}.jsonl", [
        {"id": s.id, "lang": lang, "prompt": "...", "option_scores": [0.0] * 4,
         "choice": None if pred[i, j] < 0 else int(pred[i, j]), "gold": s.gold}
        for i, s in enumerate(bench.sets) for j, lang in enumerate(bench.langs)])
    if meta is not None:
        write_json(folder / "arm.json", meta)
    return results


ARMS = [  # name, recipe, n, translation, sweep, p_correct
    ("zero-shot", "zero-shot", 0, 0, False, 0.25),
    ("en-only", "en-only", 0, 0, False, 0.35),
    ("en2x", "en2x", 64, 0, False, 0.45),
    ("x2x", "x2x", 64, 0, False, 0.55),
    ("x2x+trans", "x2x", 64, 16, False, 0.6),
    ("x2x-n32", "x2x", 32, 0, True, 0.5),
]


@pytest.fixture(scope="module")
def experiment(tmp_path_factory, mmlu):
    root = tmp_path_factory.mktemp("exp")
    results = {}
    for order, (name, recipe, n, trans, sweep, p) in enumerate(ARMS):
        meta = {"name": name, "recipe": recipe, "n": n, "translation": trans, "sweep": sweep, "seed": 0, "order": order}
        results[name] = write_eval(root / "arms" / name / "eval", mmlu, fake_predictions(mmlu, p, 0.6, order), meta=meta)
    return root, results


@pytest.fixture(scope="module")
def report(experiment, tmp_path_factory):
    root, _ = experiment
    out = tmp_path_factory.mktemp("report")
    return out, build_report([root], out, n_boot=2000, seed=0)


def test_table_numbers_are_those_of_results_json(experiment, report):
    _, results = experiment
    out, rep = report
    md = (out / "report.md").read_text()
    table3 = md.split("## Accuracy, consistency and AC3 (Table 3)")[1].split("## ")[0]
    for name, res in results.items():
        cell = rep["table"][name]["cross-mmlu"]
        assert cell["accuracy"]["value"] == res["accuracy"]
        assert cell["consistency"]["value"] == res["consistency"]["3"]
        assert cell["ac3"]["value"] == res["ac3"]["3"]
        assert cell["ac3"]["ci95"] == res["ci95"]["ac3_3"]
        # The markdown row shows the same numbers with their CIs.
        row = next(line for line in table3.splitlines() if line.startswith(f"| {name} |"))
        ci = res["ci95"]
        for value, (lo, hi) in ((res["accuracy"], ci["accuracy"]), (res["consistency"]["3"], ci["consistency_3"]),
                                (res["ac3"]["3"], ci["ac3_3"])):
            assert f"{value:.3f} ({lo:.3f}-{hi:.3f})" in row


def test_all_figures_exist_when_arms_allow_them(report):
    out, rep = report
    assert set(rep["figures"]) == {"accuracy_by_language:cross-mmlu", "pairwise_consistency:cross-mmlu",
                                   "ac3_by_formulation", "translation_effect", "ac3_vs_size"}
    for file in rep["figures"].values():
        data = (out / file).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
    md = (out / "report.md").read_text()
    for file in rep["figures"].values():
        assert f"]({file})" in md
    assert "Skipped" not in md


def test_figure_selection_follows_arm_metadata(experiment):
    from crossin.report import figure3_groups, figure4_pairs, figure5_series

    root, _ = experiment
    runs = find_runs([root])
    assert [label for label, _ in figure3_groups(runs)] == ["zero-shot", "en-only", "en2x", "x2x"]  # no sweep, no trans
    pairs = figure4_pairs(runs)
    assert [(w[0].name, t[0].name) for _, w, t in pairs] == [("x2x", "x2x+trans")]
    series = figure5_series(runs)
    assert list(series) == ["x2x"]
    assert [(n, g[0].name) for n, g in series["x2x"]] == [(0, "en-only"), (32, "x2x-n32"), (64, "x2x")]


def test_paired_comparisons_against_english_only(experiment, report):
    _, results = experiment
    _, rep = report
    got = {(c["a"], c["b"]) for c in rep["comparisons"]}
    assert got == {(name, "en-only") for name, *_ in ARMS if name != "en-only"}
    for c in rep["comparisons"]:
        a, b = results[c["a"]], results[c["b"]]
        m = c["metrics"]
        assert m["accuracy"]["diff"] == pytest.approx(a["accuracy"] - b["accuracy"])
        assert m["consistency"]["diff"] == pytest.approx(a["consistency"]["3"] - b["consistency"]["3"])
        assert m["ac3"]["diff"] == pytest.approx(a["ac3"]["3"] - b["ac3"]["3"])
        for metric in m.values():
            assert metric["ci95"][0] <= metric["diff"] <= metric["ci95"][1]
            assert 0 < metric["p_value"] <= 1


def _samples(pred, gold, langs=("en", "zh", "es")) -> Samples:
    return Samples(ids=[f"s{i}" for i in range(len(gold))], langs=list(langs), pred=np.asarray(pred), gold=np.asarray(gold),
                   path=Path("x"))


def test_paired_bootstrap_identical_runs_and_symmetry():
    rng = np.random.default_rng(1)
    gold = rng.integers(0, 4, 80)
    pa = rng.integers(0, 4, (80, 3))
    pb = np.where(rng.random((80, 3)) < 0.5, gold[:, None], rng.integers(0, 4, (80, 3)))
    same = paired_bootstrap(_samples(pa, gold), _samples(pa.copy(), gold), n_choices=4, n_boot=500)
    for m in same["metrics"].values():
        assert m["diff"] == 0 and m["p_value"] == 1.0 and m["ci95"] == [0.0, 0.0]
    ab = paired_bootstrap(_samples(pa, gold), _samples(pb, gold), n_choices=4, n_boot=2000, seed=3)
    ba = paired_bootstrap(_samples(pb, gold), _samples(pa, gold), n_choices=4, n_boot=2000, seed=3)
    for metric in ("accuracy", "consistency", "ac3"):
        assert ab["metrics"][metric]["diff"] == pytest.approx(-ba["metrics"][metric]["diff"])
        assert ab["metrics"][metric]["p_value"] == pytest.approx(ba["metrics"][metric]["p_value"])
    assert ab["metrics"]["accuracy"]["p_value"] < 0.01  # half the answers right vs chance on 80 sets


def test_paired_bootstrap_is_calibrated_under_the_null():
    """Two runs drawn from the same model: about 5% of p-values below 0.05, not many more."""
    rng = np.random.default_rng(7)
    gold = rng.integers(0, 4, 150)
    small = []
    for rep in range(120):
        pa, pb = (np.where(rng.random((150, 3)) < 0.4, gold[:, None], rng.integers(0, 4, (150, 3))) for _ in range(2))
        r = paired_bootstrap(_samples(pa, gold), _samples(pb, gold), n_choices=4, n_boot=400, seed=rep)
        small.append(r["metrics"]["accuracy"]["p_value"] < 0.05)
    assert np.mean(small) < 0.12


def test_paired_bootstrap_aligns_ids_and_languages():
    gold = np.array([0, 1, 2, 3])
    a = Samples(ids=["a", "b", "c", "d"], langs=["en", "zh", "es"], pred=np.array([[0, 0, 0], [1, 1, 1], [2, 2, 0], [0, 0, 0]]),
                gold=gold, path=Path("a"))
    # b has the sets in another order, an extra language and lacks set "d".
    b = Samples(ids=["c", "a", "b"], langs=["vi", "es", "zh", "en"],
                pred=np.array([[1, 2, 2, 2], [0, 0, 0, 0], [1, 3, 3, 3]]), gold=np.array([2, 0, 1]), path=Path("b"))
    r = paired_bootstrap(a, b, n_choices=4, n_boot=200)
    assert r["n_sets"] == 3 and r["languages"] == ["en", "zh", "es"]
    # a on (a, b, c): 3 + 3 + 2 right of 9; b: 3 + 0 + 3 right of 9
    assert r["metrics"]["accuracy"]["a"] == pytest.approx(8 / 9)
    assert r["metrics"]["accuracy"]["b"] == pytest.approx(6 / 9)
    wrong_gold = Samples(ids=["a"], langs=["en", "zh"], pred=np.array([[0, 0]]), gold=np.array([3]), path=Path("w"))
    with pytest.raises(CrossinError, match="gold"):
        paired_bootstrap(a, wrong_gold, n_choices=4)


def test_eval_folders_outside_an_experiment_skip_figures_with_a_note(tmp_path, mmlu):
    write_eval(tmp_path / "runs" / "model-a", mmlu, fake_predictions(mmlu, 0.3, 0.5, 1))
    write_eval(tmp_path / "runs" / "model-b", mmlu, fake_predictions(mmlu, 0.6, 0.8, 2))
    rep = build_report([tmp_path / "runs" / "model-a", tmp_path / "runs" / "model-b"], tmp_path / "rep", n_boot=300)
    assert sorted(r["name"] for r in rep["runs"]) == ["model-a", "model-b"]
    assert set(rep["skipped_figures"]) == {"ac3_by_formulation", "translation_effect", "ac3_vs_size"}
    md = (tmp_path / "rep" / "report.md").read_text()
    assert md.count("Skipped:") == 3
    assert not (tmp_path / "rep" / "ac3_vs_size.png").exists()
    assert [(c["a"], c["b"]) for c in rep["comparisons"]] == [("model-b", "model-a")]


def test_samples_that_disagree_with_results_are_left_out_with_a_note(tmp_path, mmlu):
    pred = fake_predictions(mmlu, 0.4, 0.6, 3)
    write_eval(tmp_path / "a", mmlu, pred)
    write_eval(tmp_path / "b", mmlu, fake_predictions(mmlu, 0.4, 0.6, 4))
    lines = (tmp_path / "b" / "cross-mmlu" / "samples_cross-mmlu.jsonl").read_text().splitlines()
    rows = [json.loads(line) for line in lines]
    rows[0]["choice"] = (rows[0]["gold"] + 1) % 4 if rows[0]["choice"] == rows[0]["gold"] else rows[0]["gold"]
    write_jsonl(tmp_path / "b" / "cross-mmlu" / "samples_cross-mmlu.jsonl", rows)
    rep = build_report([tmp_path / "a", tmp_path / "b"], tmp_path / "rep", n_boot=200)
    assert rep["comparisons"] == []
    assert any("does not match results.json" in n for n in rep["notes"])


@pytest.mark.parametrize("mutate, message", [
    (lambda rows: rows.append(dict(rows[0])), r"samples_cross-mmlu.jsonl:241: duplicate sample"),
    (lambda rows: rows[3].pop("gold"), r"samples_cross-mmlu.jsonl:4: sample line needs 'gold'"),
    (lambda rows: rows[5].update(choice="B"), r"samples_cross-mmlu.jsonl:6: 'choice' must be"),
    (lambda rows: rows[4].update(lang="xx"), r"samples_cross-mmlu.jsonl:5: unknown language"),
])
def test_bad_samples_name_file_and_line(tmp_path, mmlu, mutate, message):
    write_eval(tmp_path / "a", mmlu, fake_predictions(mmlu, 0.4, 0.6, 3))
    path = tmp_path / "a" / "cross-mmlu" / "samples_cross-mmlu.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    mutate(rows)
    write_jsonl(path, rows)
    with pytest.raises(CrossinError, match=message):
        read_samples(path)


def test_cli_report_and_one_line_errors(experiment, tmp_path):
    root, results = experiment
    runner = CliRunner()
    res = runner.invoke(app, ["report", str(root), "--out", str(tmp_path / "r"), "--compare", "x2x:en2x", "--n-boot", "300"])
    assert res.exit_code == 0, res.output
    rep = json.loads((tmp_path / "r" / "report.json").read_text())
    assert [(c["a"], c["b"]) for c in rep["comparisons"]] == [("x2x", "en2x")]
    bad = tmp_path / "bad" / "m" / "cross-mmlu"
    bad.mkdir(parents=True)
    (bad / "results.json").write_text('{"accuracy": 0.5}')
    res = runner.invoke(app, ["report", str(tmp_path / "bad"), "--out", str(tmp_path / "r2")])
    assert res.exit_code == 2
    assert re.search(r"error: .*results.json: not an eval results file: missing", res.output)
    assert "Traceback" not in res.output
    res = runner.invoke(app, ["report", str(root), "--out", str(tmp_path / "r3"), "--compare", "x2x:nope"])
    assert res.exit_code == 2 and "nope" in res.output


def test_accuracy_plot_titles_give_each_runs_set_count(tmp_path, mmlu, monkeypatch):
    """Runs over different numbers of sets: the title gives the range and the legend each run's count."""
    import crossin.report.figures as report_module

    titles: dict[str, list[str]] = {}
    real_save = report_module.save_figure

    def capture(fig, path, **kw):
        texts = [ax.get_title() for ax in fig.axes] + [fig._suptitle.get_text() if fig._suptitle else ""]
        texts += [t.get_text() for ax in fig.axes if ax.get_legend() for t in ax.get_legend().get_texts()]
        titles[Path(path).name] = texts
        real_save(fig, path, **kw)

    monkeypatch.setattr(report_module, "save_figure", capture)
    small = load_benchmark("cross-mmlu", LANGS, data_dir=DATA_DIR, limit=25)
    write_eval(tmp_path / "runs" / "full", mmlu, fake_predictions(mmlu, 0.4, 0.6, 1))
    write_eval(tmp_path / "runs" / "part", small, fake_predictions(small, 0.4, 0.6, 2))
    build_report([tmp_path / "runs"], tmp_path / "rep", n_boot=100)
    accuracy = next(v for k, v in titles.items() if "accuracy" in k)
    assert "cross-mmlu: accuracy per language (25-60 sets, per run in the legend)" in accuracy
    assert {"runs/full (60 sets)", "runs/part (25 sets)"} <= set(accuracy)
    heatmap = next(v for k, v in titles.items() if "pairwise" in k or "heatmap" in k)
    assert {"runs/full (60 sets)", "runs/part (25 sets)"} <= set(heatmap)

    titles.clear()
    build_report([tmp_path / "runs" / "full"], tmp_path / "rep1", n_boot=100)
    accuracy = next(v for k, v in titles.items() if "accuracy" in k)
    assert "cross-mmlu: accuracy per language (60 sets)" in accuracy


def test_recipe_of_an_adapter_trained_outside_an_experiment(tmp_path, mmlu):
    """An eval of `<train>/adapter`: the report reads the recipe from `<train>/train_config.json` -> the data file's
    manifest.json (both as `crossin train` and `crossin data build` write them)."""
    from crossin.data import DataConfig, build_mix

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for lang, text in (("en", "Name a colour number {i}."), ("zh", "说出第{i}种颜色。")):
        (corpus / f"{lang}.jsonl").write_text("".join(
            json.dumps({"id": f"s{i}", "instruction": text.format(i=i), "input": "", "output": f"{text.format(i=i)} ok"},
                       ensure_ascii=False) + "\n" for i in range(6)), encoding="utf-8")
    mix = build_mix(DataConfig(parallel=str(corpus), recipe="x2en", n=4, translation=2, langid=False, seed=5,
                               out=str(tmp_path / "mix")))
    train_dir = tmp_path / "train"
    write_json(train_dir / "train_config.json", {"data_file": str(mix / "train.jsonl"), "config": {}})
    results = write_eval(tmp_path / "runs" / "tuned", mmlu, fake_predictions(mmlu, 0.4, 0.6, 1))
    results["adapter"] = str(train_dir / "adapter")
    write_json(tmp_path / "runs" / "tuned" / "cross-mmlu" / "results.json", results)
    write_eval(tmp_path / "runs" / "other", mmlu, fake_predictions(mmlu, 0.4, 0.6, 2))  # no adapter: blank
    rep = build_report([tmp_path / "runs"], tmp_path / "rep", n_boot=100)
    md = (tmp_path / "rep" / "report.md").read_text()
    tuned = next(line for line in md.splitlines() if line.startswith("| runs/tuned |"))
    assert "| x2en | 4 | 2 | 5 |" in tuned
    other = next(line for line in md.splitlines() if line.startswith("| runs/other |"))
    assert "|  |  |  |" in other
    assert next(r for r in rep["runs"] if r["name"] == "runs/tuned")["meta"]["recipe_from"] == str(mix / "manifest.json")


def test_paired_bootstrap_compares_kappa_and_rankc():
    """CALM/DCO arms are judged by kappa@k and RankC too (issue 33): both are compared, each as the runs' own
    metrics compute it; RankC only when both runs' samples have option scores."""
    from crossin.metrics import expected_consistency, kappa, per_set_consistency, rankc

    rng = np.random.default_rng(5)
    gold = rng.integers(0, 4, 60)
    pa = np.repeat(gold[:, None], 3, axis=1)  # a: one answer in every language
    pb = rng.integers(0, 4, (60, 3))  # b: independent answers
    a, b = _samples(pa, gold), _samples(pb, gold)
    no_scores = paired_bootstrap(a, b, n_choices=4, n_boot=300)
    assert set(no_scores["metrics"]) == {"accuracy", "consistency", "ac3", "kappa"}
    k_a = kappa(per_set_consistency(pa, 3, 4).mean(), expected_consistency(pa, 3, 4))
    k_b = kappa(per_set_consistency(pb, 3, 4).mean(), expected_consistency(pb, 3, 4))
    assert no_scores["metrics"]["kappa"]["diff"] == pytest.approx(k_a - k_b)
    assert no_scores["metrics"]["kappa"]["diff"] > 0.5 and no_scores["metrics"]["kappa"]["p_value"] < 0.01
    a.scores = np.repeat(rng.normal(size=(60, 1, 4)), 3, axis=1)  # the same ranking in every language
    b.scores = rng.normal(size=(60, 3, 4))
    r = paired_bootstrap(a, b, n_choices=4, n_boot=300)
    want = rankc(a.scores, a.langs)[0]["overall"] - rankc(b.scores, b.langs)[0]["overall"]
    assert r["metrics"]["rankc"]["diff"] == pytest.approx(want) and want > 0.3
    assert r["metrics"]["rankc"]["ci95"][0] > 0
