"""Degenerate answers are flagged in words wherever numbers are shown (results.json, the CLI tables, the
`--template all` table, report.md Table 3), and kappa@3 has a bootstrap CI computed like the others."""

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from crossin.cli import app
from crossin.cli.app import results_table, templates_table
from crossin.evaluate.template_summary import summarize_templates
from crossin.metrics import (answer_warnings, compute_metrics, expected_consistency, kappa, per_set_consistency)

LANGS = ["en", "zh", "es", "vi"]
runner = CliRunner()


def balanced(n=40, seed=0):
    """Gold spread over A-D and a model that mostly gets it right: no warning applies."""
    gold = np.arange(n) % 4
    pred = np.stack([gold] * 4, axis=1)
    rng = np.random.default_rng(seed)
    wrong = rng.random(pred.shape) < 0.15
    return np.where(wrong, (pred + 1) % 4, pred), gold


def render(table) -> str:
    from rich.console import Console

    console = Console(width=200, record=True)
    console.print(table)
    return console.export_text()


def test_all_a_is_warned_in_words():
    gold = np.arange(20) % 4
    r = compute_metrics(np.zeros((20, 4), dtype=int), gold, LANGS, 4)
    assert r["consistency"]["3"] == 1.0  # the number a reader would take for a good one
    assert r["warnings"][0] == ("answers A to 20/20 in en, zh, es, vi: consistency here measures the bias toward A, "
                                "not knowledge")
    assert any(w.startswith("kappa@3 0.000 [0.000, 0.000] includes 0") for w in r["warnings"])
    assert "answers A to 20/20" in render(results_table(r))


def test_balanced_answers_get_no_warning():
    pred, gold = balanced()
    r = compute_metrics(pred, gold, LANGS, 4)
    assert r["kappa"]["3"] > 0.5 and r["ci95"]["kappa_3"][0] > 0
    assert r["warnings"] == [] and answer_warnings(r) == []
    assert "warning" not in render(results_table(r))


def test_threshold_is_ninety_percent_of_a_language():
    pred, gold = balanced(20)
    pred[:, 2] = 1
    pred[:1, 2] = 0  # 19/20 = 95% B in es only
    assert answer_warnings(compute_metrics(pred, gold, LANGS, 4))[0].startswith("answers B to 19/20 in es:")
    pred[:3, 2] = 0  # 17/20 = 85%: below the threshold
    assert not any(w.startswith("answers") for w in answer_warnings(compute_metrics(pred, gold, LANGS, 4)))


def test_kappa_zero_within_ci_is_warned():
    rng = np.random.default_rng(3)
    gold = rng.integers(0, 4, 40)
    r = compute_metrics(rng.integers(0, 4, (40, 4)), gold, LANGS, 4)  # independent random answers
    lo, hi = r["ci95"]["kappa_3"]
    assert lo < 0 < hi
    assert [w for w in r["warnings"] if w.startswith("kappa@3")]


def test_kappa_ci_is_the_percentiles_of_resampled_kappas():
    """The vectorised interval equals kappa recomputed from scratch on the same resamples."""
    rng = np.random.default_rng(1)
    gold = rng.integers(0, 4, 30)
    pred = np.where(rng.random((30, 4)) < 0.6, gold[:, None], rng.integers(0, 4, (30, 4)))
    r = compute_metrics(pred, gold, LANGS, 4, seed=7, n_boot=200)
    idx = np.random.default_rng(7).integers(0, 30, size=(200, 30))
    direct = [kappa(float(per_set_consistency(pred[i], 3, 4).mean()), expected_consistency(pred[i], 3, 4)) for i in idx]
    assert r["ci95"]["kappa_3"] == pytest.approx(list(np.percentile(direct, [2.5, 97.5])), abs=1e-9)
    assert r["ci95"]["kappa_3"][0] <= r["kappa"]["3"] <= r["ci95"]["kappa_3"][1]


def test_template_table_shows_kappa_answers_and_warning():
    gold = np.arange(20) % 4
    all_a = compute_metrics(np.zeros((20, 4), dtype=int), gold, LANGS, 4)
    good = compute_metrics(*balanced(20), LANGS, 4)
    for r in (all_a, good):
        r["inputs"] = {"benchmark": "cross-mmlu"}
    summary = summarize_templates({"1": all_a, "2": good})
    assert summary["templates"]["1"]["answers"] == [80, 0, 0, 0] and summary["templates"]["2"]["warnings"] == []
    assert "kappa@3" in summary["median"]
    text = render(templates_table(summary))
    assert "kappa@3" in text and "80 0 0 0" in text and "bias toward A" in text


def test_score_cli_and_report_show_the_warning(tmp_path, data_dir):
    from crossin.benchmarks import load_benchmark
    from crossin.report import build_report

    bench = load_benchmark("cross-mmlu", LANGS)
    preds = tmp_path / "p.jsonl"
    preds.write_text("".join(json.dumps({"id": s.id, "lang": lang, "choice": 0}) + "\n"
                             for s in bench.sets for lang in LANGS))
    run = tmp_path / "run" / "cross-mmlu"
    run.mkdir(parents=True)
    res = runner.invoke(app, ["score", "--bench", "cross-mmlu", "-p", str(preds), "-o", str(run / "results.json")],
                        terminal_width=250)
    assert res.exit_code == 0, res.output
    assert "warning: answers A to 150/150 in en, zh, es, vi" in " ".join(res.output.split())
    results = json.loads((run / "results.json").read_text())
    assert results["warnings"][0].startswith("answers A to 150/150")
    del results["warnings"]  # a results.json written before warnings existed gets them in the report too
    (run / "results.json").write_text(json.dumps(results))
    build_report([tmp_path / "run"], tmp_path / "report", n_boot=100)
    md = (tmp_path / "report" / "report.md").read_text()
    assert "600 0 0 0 **warning 1**" in md
    assert "1. run on cross-mmlu: answers A to 150/150 in en, zh, es, vi" in md
