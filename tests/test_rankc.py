"""RankC (Qi et al. 2023): ranking consistency from option scores, per language pair and overall."""

import math

import numpy as np
import pytest

from crossin.metrics import compute_metrics, rankc, rankc_chance, rankc_weights

E = math.e


def test_weights_are_the_papers_softmax_over_n_down_to_1():
    z = E**4 + E**3 + E**2 + E
    assert rankc_weights(4) == pytest.approx([E**4 / z, E**3 / z, E**2 / z, E / z])


def test_hand_computed_three_languages_four_options():
    # One set. en ranks A>B>C>D, zh B>A>C>D, es D>C>B>A.
    scores = np.array([[[4.0, 3.0, 2.0, 1.0], [3.0, 4.0, 2.0, 1.0], [1.0, 2.0, 3.0, 4.0]]])
    w1, w2, w3, w4 = rankc_weights(4)
    # en-zh: top-1 {A} vs {B}: 0; top-2 {A,B} vs {B,A}: 2/2; top-3 and top-4: 1.
    en_zh = w1 * 0 + w2 * 1 + w3 * 1 + w4 * 1
    # en-es: top-1 A vs D: 0; top-2 {A,B} vs {D,C}: 0; top-3 {A,B,C} vs {D,C,B}: 2/3; top-4: 1. zh-es the same.
    en_es = w3 * 2 / 3 + w4
    summary, per_set = rankc(scores, ["en", "zh", "es"])
    assert summary["pairwise"] == pytest.approx({"en-zh": en_zh, "en-es": en_es, "zh-es": en_es})
    assert summary["overall"] == pytest.approx((en_zh + 2 * en_es) / 3)
    assert per_set == pytest.approx([(en_zh + 2 * en_es) / 3])
    # The numbers, written out: w = (0.6439, 0.2369, 0.0871, 0.0321).
    assert summary["pairwise"]["en-zh"] == pytest.approx(0.35609, abs=1e-5)
    assert summary["pairwise"]["en-es"] == pytest.approx(0.09015, abs=1e-5)
    assert summary["overall"] == pytest.approx(0.17880, abs=1e-5)


def test_identical_rankings_give_one_whatever_the_scores_scale():
    rng = np.random.default_rng(1)
    base = rng.normal(size=(50, 1, 4))
    scores = np.concatenate([base, base * 3 - 7, base + 0.5], axis=1)  # same order, different values
    summary, _ = rankc(scores, ["en", "zh", "es"])
    assert summary["overall"] == pytest.approx(1.0)
    assert list(summary["pairwise"].values()) == pytest.approx([1.0, 1.0, 1.0])


def test_independent_random_rankings_are_near_chance():
    rng = np.random.default_rng(0)
    scores = rng.normal(size=(4000, 3, 4))
    summary, per_set = rankc(scores, ["en", "zh", "es"])
    assert summary["chance"] == pytest.approx(rankc_chance(4))
    assert summary["overall"] == pytest.approx(rankc_chance(4), abs=0.01)
    assert summary["overall"] < 0.45  # far from 1.0


def test_sets_with_fewer_options_use_their_own_weights():
    # Two options out of a 10-wide matrix (NaN past the set's last option): the same ranking is 1.0, the reversed
    # one w_2 * 2/2 = 1 - w_1.
    scores = np.full((2, 2, 10), np.nan)
    scores[0, 0, :2], scores[0, 1, :2] = [1.0, 0.0], [1.0, 0.0]
    scores[1, 0, :2], scores[1, 1, :2] = [1.0, 0.0], [0.0, 1.0]
    summary, per_set = rankc(scores, ["en", "zh"])
    assert per_set == pytest.approx([1.0, 1 - rankc_weights(2)[0]])


def test_compute_metrics_reports_rankc_with_a_ci_beside_consistency():
    rng = np.random.default_rng(3)
    scores = rng.normal(size=(40, 3, 4))
    pred = scores.argmax(axis=2)
    gold = np.zeros(40, dtype=int)
    res = compute_metrics(pred, gold, ["en", "zh", "es"], 4, scores=scores, n_boot=200)
    assert res["rankc"]["overall"] == pytest.approx(rankc(scores, ["en", "zh", "es"])[0]["overall"])
    lo, hi = res["ci95"]["rankc"]
    assert lo <= res["rankc"]["overall"] <= hi and hi - lo > 0
    assert compute_metrics(pred, gold, ["en", "zh", "es"], 4)["rankc"] is None  # generate mode: no scores


def test_score_reads_option_scores_from_a_predictions_file(tmp_path):
    import json

    from typer.testing import CliRunner

    from crossin.cli import app
    from test_parallel_benchmarks import write_belebele

    root = write_belebele(tmp_path, n=4)
    lines = []
    for i in range(4):
        set_id = f"https://en.wikibooks.org/wiki/P{i // 2}#{1 + i % 2}"
        lines.append({"id": set_id, "lang": "en", "choice": 0, "option_scores": [4.0, 3.0, 2.0, 1.0]})
        lines.append({"id": set_id, "lang": "zh", "choice": 1, "option_scores": [3.0, 4.0, 2.0, 1.0]})
    preds = tmp_path / "p.jsonl"
    preds.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    res = CliRunner().invoke(app, ["score", "--bench", "belebele", "--langs", "en,zh", "--data-dir", str(root),
                                   "--predictions", str(preds), "--out", str(tmp_path / "r.json")])
    assert res.exit_code == 0, res.output
    results = json.loads((tmp_path / "r.json").read_text())
    assert results["rankc"]["overall"] == pytest.approx(1 - rankc_weights(4)[0])  # top choices differ, then agree
    lines[3]["option_scores"] = [1.0, 2.0]
    preds.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    res = CliRunner().invoke(app, ["score", "--bench", "belebele", "--langs", "en,zh", "--data-dir", str(root),
                                   "--predictions", str(preds)])
    assert res.exit_code == 2 and res.output.strip() == \
        f"error: {preds}:4: 'option_scores' must be a list of 4 numbers (one per option)", res.output


def test_all_pairs_at_once_equal_the_pairwise_definition():
    from crossin.metrics import pair_rankc, per_set_rankc

    rng = np.random.default_rng(5)
    scores = rng.normal(size=(60, 4, 5))
    scores[:20, :, 4] = np.nan  # a third of the sets have 4 options
    scores[:5] = np.round(scores[:5])  # ties: the earlier option ranks first
    every = pair_rankc(scores)
    for a in range(4):
        for b in range(a + 1, 4):
            assert every[:, a, b] == pytest.approx(per_set_rankc(scores, a, b), abs=1e-6)
