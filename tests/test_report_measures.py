"""The report's RankC heatmaps and its RankC / answer-language / subsets table, from results.json."""

from __future__ import annotations

import numpy as np
import pytest

from crossin.benchmarks import MCQ, Benchmark, ParallelSet
from crossin.io import write_json, write_jsonl
from crossin.report import build_report, find_runs
from crossin.report.figures import _pairwise_matrix
from crossin.score import score

LANGS = ("en", "zh-Hant", "es")  # a code with a hyphen: pairs are "en-zh-Hant"


def _bench(n=30) -> Benchmark:
    sets = [ParallelSet(f"q{i}", {lang: MCQ(f"{lang} {i}", ("a", "b", "c", "d"), i % 4) for lang in LANGS})
            for i in range(n)]
    ids = [s.id for s in sets]
    return Benchmark("belebele", LANGS, sets, meta={"subsets": {"cs": ids[:10], "ca": ids[10:]}})


def _write(folder, bench, scores, answer_language=None):
    pred = scores.argmax(axis=2)
    results = score(bench, pred, seed=0, n_boot=200, scores=scores)
    results.update(model="fake", adapter=None, mode="loglik", template=1, seed=0)
    if answer_language:
        results["answer_language"] = answer_language
    write_json(folder / bench.name / "results.json", results)
    write_jsonl(folder / bench.name / f"samples_{bench.name}.jsonl", [
        {"id": s.id, "lang": lang, "prompt": "...", "option_scores": scores[i, j].tolist(), "choice": int(pred[i, j]),
         "gold": s.gold} for i, s in enumerate(bench.sets) for j, lang in enumerate(bench.langs)])
    return results


@pytest.fixture
def report(tmp_path):
    bench = _bench()
    rng = np.random.default_rng(0)
    same = np.repeat(rng.normal(size=(len(bench), 1, 4)), 3, axis=1)
    noisy = rng.normal(size=(len(bench), 3, 4))
    lang = {"overall": 0.75, "languages": {"en": {"share": 1.0}, "zh-Hant": {"share": 0.5}, "es": {"share": None}}}
    a = _write(tmp_path / "same", bench, same)
    b = _write(tmp_path / "noisy", bench, noisy, answer_language=lang)
    return build_report([tmp_path / "same", tmp_path / "noisy"], tmp_path / "report", n_boot=200), a, b, tmp_path


def test_rankc_heatmap_reads_each_pair(report):
    rep, a, b, tmp_path = report
    assert rep["figures"]["rankc:belebele"] == "rankc_belebele.png"
    assert (tmp_path / "report" / "rankc_belebele.png").stat().st_size > 1000
    runs = {r.name: r for r in find_runs([tmp_path / "same", tmp_path / "noisy"])}
    m = _pairwise_matrix(runs["noisy"], "rankc")
    assert m[0, 1] == m[1, 0] == pytest.approx(b["rankc"]["pairwise"]["en-zh-Hant"])
    assert m[1, 2] == pytest.approx(b["rankc"]["pairwise"]["zh-Hant-es"]) and np.isnan(m[0, 0])
    assert np.allclose(_pairwise_matrix(runs["same"], "rankc")[[0, 0, 1], [1, 2, 2]], 1.0)
    consistency = _pairwise_matrix(runs["noisy"])  # the Figure 2 matrix reads hyphenated codes too
    assert consistency[0, 1] == pytest.approx(b["pairwise_consistency"]["en-zh-Hant"])


def test_measures_table(report):
    rep, a, b, tmp_path = report
    rows = {r["run"]: r for r in rep["measures"]}
    assert rows["same"]["rankc"]["value"] == pytest.approx(1.0)
    assert rows["noisy"]["rankc"]["value"] == pytest.approx(b["rankc"]["overall"])
    assert rows["noisy"]["answer_language"]["languages"] == {"en": 1.0, "zh-Hant": 0.5, "es": None}
    assert rows["noisy"]["subsets"]["cs"]["n_sets"] == 10
    assert rows["noisy"]["subsets"]["ca"]["accuracy"] == pytest.approx(b["subsets"]["ca"]["accuracy"])
    md = (tmp_path / "report" / "report.md").read_text()
    lo, hi = b["ci95"]["rankc"]
    assert f"| noisy | belebele | {b['rankc']['overall']:.3f} ({lo:.3f}-{hi:.3f}) | 0.377 | 0.750 (en 1.00, zh-Hant 0.50, es n/a)" in md
    assert "![RankC on belebele](rankc_belebele.png)" in md
