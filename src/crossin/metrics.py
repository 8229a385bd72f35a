"""Cross-lingual metrics: accuracy, consistency@k, AC3@k, kappa@k, pairwise consistency, bootstrap CIs.

Input is one matrix `pred[set, lang]` of chosen option indices, with -1 for an unparsed answer, and the
gold index per set (the same in every language). An unparsed answer is wrong and agrees with nothing.

- accuracy[lang] = share of sets answered correctly; accuracy = mean over languages.
- consistency@k = for each k-subset of languages, the share of sets whose chosen options are identical in
  all of them; averaged over subsets (SeaEval's definition). For one set, the share of its k-subsets that
  agree is sum_o C(n_o, k) / C(L, k), where n_o = languages that chose option o.
- AC3@k = harmonic mean of accuracy and consistency@k.
- kappa@k = (C_obs - C_exp) / (1 - C_exp): consistency corrected for the agreement expected if each language
  answered independently with its own answer distribution p_l. For a subset S that is sum_o prod_{l in S}
  p_l(o); averaged over subsets that is sum_o e_k(p_1(o), ..., p_L(o)) / C(L, k), e_k the elementary
  symmetric polynomial. A model that always answers "A" has C_obs = C_exp = 1 and kappa 0.
"""

from __future__ import annotations

from itertools import combinations
from math import comb

import numpy as np

UNPARSED = -1


# The most bootstrap resamples a command accepts: 10x the report's default; more would only cost memory (the
# resample indices are n_boot x n_sets integers) for CIs no more precise in any printed digit.
MAX_N_BOOT = 100_000


def _check(pred: np.ndarray, gold: np.ndarray) -> None:
    if pred.ndim != 2 or gold.ndim != 1 or pred.shape[0] != gold.shape[0]:
        raise ValueError(f"pred must be (sets, langs) and gold (sets,); got {pred.shape} and {gold.shape}")


def option_counts(pred: np.ndarray, n_choices: int) -> np.ndarray:
    """(sets, options): how many languages chose each option in each set; unparsed answers are not counted."""
    counts = np.zeros((pred.shape[0], n_choices), dtype=np.int64)
    for o in range(n_choices):
        counts[:, o] = (pred == o).sum(axis=1)
    return counts


def per_set_consistency(pred: np.ndarray, k: int, n_choices: int) -> np.ndarray:
    """Share of each set's k-subsets of languages that chose one and the same (parsed) option."""
    n_langs = pred.shape[1]
    if not 2 <= k <= n_langs:
        raise ValueError(f"k must be in 2..{n_langs}, got {k}")
    counts = option_counts(pred, n_choices)
    agreeing = np.vectorize(lambda n: comb(int(n), k), otypes=[np.int64])(counts).sum(axis=1) if counts.size else np.zeros(0)
    return agreeing / comb(n_langs, k)


def per_set_accuracy(pred: np.ndarray, gold: np.ndarray) -> np.ndarray:
    return (pred == gold[:, None]).mean(axis=1)


def harmonic(a, b):
    """Harmonic mean, 0 where both are 0 (AC3 = harmonic(accuracy, consistency)); floats or arrays (bootstrap)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    total = a + b
    out = np.where(total > 0, 2 * a * b / np.where(total > 0, total, 1.0), 0.0)
    return float(out) if out.ndim == 0 else out


def answer_distribution(pred: np.ndarray, n_choices: int) -> np.ndarray:
    """(langs, options) counts of chosen options; unparsed answers are left out."""
    return np.stack([(pred == o).sum(axis=0) for o in range(n_choices)], axis=1)


def expected_consistency(pred: np.ndarray, k: int, n_choices: int) -> float:
    """Agreement@k expected if languages answered independently with their observed distributions."""
    n_sets, n_langs = pred.shape
    p = answer_distribution(pred, n_choices) / max(n_sets, 1)  # (langs, options); unparsed mass agrees with nothing
    total = 0.0
    for o in range(n_choices):
        e = np.zeros(k + 1)  # e[j] = elementary symmetric polynomial of degree j over the languages seen so far
        e[0] = 1.0
        for lang in range(n_langs):
            e[1:] = e[1:] + p[lang, o] * e[:-1]
        total += e[k]
    return total / comb(n_langs, k)


def kappa(observed: float, expected: float) -> float:
    if expected >= 1.0:
        return 0.0
    # Rounding away float noise keeps "no agreement beyond chance" at 0.0 rather than -1e-17 (shown as -0.000).
    return round((observed - expected) / (1.0 - expected), 12) + 0.0


def pairwise_consistency(pred: np.ndarray, langs: list[str]) -> dict[str, float]:
    out = {}
    for i, j in combinations(range(len(langs)), 2):
        agree = (pred[:, i] == pred[:, j]) & (pred[:, i] != UNPARSED)
        out[f"{langs[i]}-{langs[j]}"] = float(agree.mean())
    return out


def bootstrap_ci(per_set_acc: np.ndarray, per_set_cons3: np.ndarray | None, n_boot: int, seed: int) -> dict:
    """95% percentile intervals over sets resampled with replacement."""
    rng = np.random.default_rng(seed)
    n = len(per_set_acc)
    idx = rng.integers(0, n, size=(n_boot, n))
    acc = per_set_acc[idx].mean(axis=1)
    out = {"accuracy": _interval(acc)}
    if per_set_cons3 is not None:
        cons = per_set_cons3[idx].mean(axis=1)
        out["consistency_3"] = _interval(cons)
        out["ac3_3"] = _interval(harmonic(acc, cons))
    return out


def _interval(samples: np.ndarray) -> list[float]:
    lo, hi = np.percentile(samples, [2.5, 97.5])
    return [float(lo), float(hi)]


def compute_metrics(
    pred: np.ndarray,
    gold: np.ndarray,
    langs: list[str],
    n_choices: int,
    *,
    seed: int = 0,
    n_boot: int = 1000,
) -> dict:
    """Every metric of a run, as plain JSON-able values. Keys of consistency/ac3/kappa are str(k)."""
    pred = np.asarray(pred, dtype=np.int64)
    gold = np.asarray(gold, dtype=np.int64)
    _check(pred, gold)
    langs = list(langs)
    n_sets, n_langs = pred.shape
    correct = pred == gold[:, None]
    language_accuracy = {lang: float(correct[:, i].mean()) for i, lang in enumerate(langs)}
    accuracy = float(np.mean(list(language_accuracy.values())))
    consistency, ac3, kap = {}, {}, {}
    per_set_c3 = None
    for k in range(2, n_langs + 1):
        per_set = per_set_consistency(pred, k, n_choices)
        c = float(per_set.mean())
        consistency[str(k)] = c
        ac3[str(k)] = harmonic(accuracy, c)
        kap[str(k)] = kappa(c, expected_consistency(pred, k, n_choices))
        if k == 3:
            per_set_c3 = per_set
    dist = answer_distribution(pred, n_choices)
    return {
        "n_sets": int(n_sets),
        "languages": langs,
        "accuracy": accuracy,
        "language_accuracy": language_accuracy,
        "consistency": consistency,
        "ac3": ac3,
        "kappa": kap,
        "pairwise_consistency": pairwise_consistency(pred, langs),
        "answer_distribution": {lang: [int(x) for x in dist[i]] for i, lang in enumerate(langs)},
        "gold_distribution": [int((gold == o).sum()) for o in range(n_choices)],
        "unparsed": {lang: int((pred[:, i] == UNPARSED).sum()) for i, lang in enumerate(langs)},
        "ci95": bootstrap_ci(per_set_accuracy(pred, gold), per_set_c3, n_boot, seed),
        "bootstrap": {"n": n_boot, "seed": seed},
    }
