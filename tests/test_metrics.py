"""Every metric derived by hand on small examples, and against a brute-force reference over subsets."""

from itertools import combinations

import numpy as np
import pytest

from crossin.metrics import UNPARSED, compute_metrics, expected_consistency, per_set_consistency

U = UNPARSED
# 4 sets x 3 languages (en, zh, es), 4 options; one unparsed answer (set 3, zh).
PRED = np.array([[0, 0, 0], [1, 1, 2], [2, U, 2], [3, 3, 3]])
GOLD = np.array([0, 1, 2, 0])
LANGS = ["en", "zh", "es"]


def test_hand_example_accuracy_consistency_ac3():
    r = compute_metrics(PRED, GOLD, LANGS, 4, n_boot=50)
    assert r["language_accuracy"] == {"en": 0.75, "zh": 0.5, "es": 0.5}
    assert r["accuracy"] == pytest.approx((0.75 + 0.5 + 0.5) / 3)
    # @2: set1 3/3 pairs agree, set2 1/3 (en-zh), set3 1/3 (en-es; zh unparsed agrees with nothing), set4 3/3
    assert r["consistency"]["2"] == pytest.approx((1 + 1 / 3 + 1 / 3 + 1) / 4)
    # @3 = k = number of languages: only sets 1 and 4 agree everywhere
    assert r["consistency"]["3"] == pytest.approx(0.5)
    acc = 7 / 12
    assert r["ac3"]["3"] == pytest.approx(2 * acc * 0.5 / (acc + 0.5))
    assert r["pairwise_consistency"] == {"en-zh": 0.75, "en-es": 0.75, "zh-es": 0.5}
    assert r["unparsed"] == {"en": 0, "zh": 1, "es": 0}
    assert r["answer_distribution"] == {"en": [1, 1, 1, 1], "zh": [1, 1, 0, 1], "es": [1, 0, 2, 1]}
    assert r["gold_distribution"] == [2, 1, 1, 0]
    assert r["n_sets"] == 4


def test_hand_example_kappa():
    r = compute_metrics(PRED, GOLD, LANGS, 4, n_boot=50)
    # p_en = (.25,.25,.25,.25), p_zh = (.25,.25,0,.25) (+ .25 unparsed), p_es = (.25,0,.5,.25)
    c_exp3 = 0.25**3 + 0 + 0 + 0.25**3
    assert expected_consistency(PRED, 3, 4) == pytest.approx(c_exp3)
    assert r["kappa"]["3"] == pytest.approx((0.5 - c_exp3) / (1 - c_exp3))
    c_exp2 = (0.1875 + 0.25 + 0.125) / 3
    assert r["kappa"]["2"] == pytest.approx((2 / 3 - c_exp2) / (1 - c_exp2))


def test_always_a_is_consistent_but_kappa_zero():
    rng = np.random.default_rng(1)
    gold = rng.integers(0, 4, size=40)
    pred = np.zeros((40, 7), dtype=int)
    r = compute_metrics(pred, gold, list("abcdefg"), 4, n_boot=50)
    assert r["accuracy"] == pytest.approx(np.mean(gold == 0))
    assert all(v == 1.0 for v in r["consistency"].values())
    assert all(v == 0.0 for v in r["kappa"].values())


def test_all_unparsed_agrees_with_nothing():
    pred = np.full((5, 4), U)
    r = compute_metrics(pred, np.zeros(5, dtype=int), list("abcd"), 4, n_boot=20)
    assert r["accuracy"] == 0.0
    assert all(v == 0.0 for v in r["consistency"].values())
    assert all(v == 0.0 for v in r["ac3"].values())
    assert r["unparsed"] == {x: 5 for x in "abcd"}


def _brute_consistency(pred, k):
    n_langs = pred.shape[1]
    scores = []
    for subset in combinations(range(n_langs), k):
        sub = pred[:, subset]
        agree = (sub == sub[:, :1]).all(axis=1) & (sub[:, 0] != U)
        scores.append(agree.mean())
    return float(np.mean(scores))


def _brute_expected(pred, k, n_choices):
    p = np.stack([(pred == o).mean(axis=0) for o in range(n_choices)], axis=1)  # langs x options
    vals = [sum(np.prod(p[list(s), o]) for o in range(n_choices)) for s in combinations(range(pred.shape[1]), k)]
    return float(np.mean(vals))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_seven_languages_match_brute_force_for_every_k(seed):
    rng = np.random.default_rng(seed)
    # Correlated answers so that agreement is neither 0 nor 1; some unparsed.
    base = rng.integers(0, 4, size=(60, 1))
    pred = np.where(rng.random((60, 7)) < 0.6, base, rng.integers(0, 4, size=(60, 7)))
    pred[rng.random((60, 7)) < 0.05] = U
    gold = rng.integers(0, 4, size=60)
    r = compute_metrics(pred, gold, ["en", "zh", "es", "vi", "id", "ms", "fil"], 4, n_boot=50)
    assert sorted(r["consistency"], key=int) == [str(k) for k in range(2, 8)]
    for k in range(2, 8):
        c = _brute_consistency(pred, k)
        assert r["consistency"][str(k)] == pytest.approx(c)
        e = _brute_expected(pred, k, 4)
        assert r["kappa"][str(k)] == pytest.approx((c - e) / (1 - e))
        acc = r["accuracy"]
        assert r["ac3"][str(k)] == pytest.approx(2 * acc * c / (acc + c))


def test_per_set_consistency_rejects_bad_k():
    with pytest.raises(ValueError):
        per_set_consistency(PRED, 4, 4)
    with pytest.raises(ValueError):
        per_set_consistency(PRED, 1, 4)


def test_bootstrap_ci_is_seeded_and_brackets_the_estimate():
    rng = np.random.default_rng(3)
    pred = rng.integers(0, 4, size=(80, 4))
    gold = rng.integers(0, 4, size=80)
    a = compute_metrics(pred, gold, list("abcd"), 4, seed=7, n_boot=300)
    b = compute_metrics(pred, gold, list("abcd"), 4, seed=7, n_boot=300)
    c = compute_metrics(pred, gold, list("abcd"), 4, seed=8, n_boot=300)
    assert a["ci95"] == b["ci95"]
    assert a["ci95"] != c["ci95"]
    for key, point in (("accuracy", a["accuracy"]), ("consistency_3", a["consistency"]["3"]), ("ac3_3", a["ac3"]["3"])):
        lo, hi = a["ci95"][key]
        assert lo <= point <= hi
        assert hi - lo > 0.01
