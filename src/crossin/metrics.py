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
- RankC (Qi, Fernandez, Bisazza 2023, "Cross-Lingual Consistency of Factual Knowledge in Multilingual Language
  Models"): reads the whole ranking of the options, not only the top choice. For a set with N options ranked by
  their scores in languages a and b, P@j = |top-j(a) & top-j(b)| / j and consist = sum_j w_j P@j with
  w_j = exp(N - j + 1) / sum_k exp(N - k + 1) (the paper's softmax weights, heaviest on the top). RankC(a, b) is its
  mean over sets; the overall RankC is the mean over language pairs. Identical rankings give 1.0; independent random
  rankings give sum_j w_j j / N (`rankc.chance`; 0.377 for 4 options, 0.158 for 10).
- answer_warnings: the numbers a reader must not take at face value (one option for >= 90% of a language's
  items; kappa@3's CI containing 0), in words, for every place that shows the numbers.
"""

from __future__ import annotations

from itertools import combinations
from math import comb

import numpy as np

UNPARSED = -1


# The most bootstrap resamples a command accepts: 10x the report's default; more would only cost memory (the
# resample indices are n_boot x n_sets integers) for CIs no more precise in any printed digit.
MAX_N_BOOT = 100_000


# The paper's headline order: consistency, AC3 and kappa at k = 3 languages (the bootstrap CIs are at this k).
HEADLINE_K = 3


def headline_k(n_langs: int) -> int | None:
    """The k every table and summary shows for a run over `n_langs` languages: 3, or all of them when fewer; None
    for one language (no consistency)."""
    return min(HEADLINE_K, n_langs) if n_langs >= 2 else None


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


def bootstrap_ci(per_set_acc: np.ndarray, per_set_cons3: np.ndarray | None, n_boot: int, seed: int,
                 per_set_rankc: np.ndarray | None = None, pred: np.ndarray | None = None, n_choices: int = 0) -> dict:
    """95% percentile intervals over sets resampled with replacement (the same resamples for every metric);
    kappa@3 too when `pred` is given."""
    rng = np.random.default_rng(seed)
    n = len(per_set_acc)
    idx = rng.integers(0, n, size=(n_boot, n))
    acc = per_set_acc[idx].mean(axis=1)
    out = {"accuracy": _interval(acc)}
    if per_set_cons3 is not None:
        cons = per_set_cons3[idx].mean(axis=1)
        out["consistency_3"] = _interval(cons)
        out["ac3_3"] = _interval(harmonic(acc, cons))
        if pred is not None:
            out["kappa_3"] = _interval(kappa_resamples(pred, idx, cons, 3, n_choices))
    if per_set_rankc is not None:
        out["rankc"] = _interval(per_set_rankc[idx].mean(axis=1))
    return out


def kappa_resamples(pred: np.ndarray, idx: np.ndarray, observed: np.ndarray, k: int, n_choices: int) -> np.ndarray:
    """kappa@k of every resample (the same resampled sets as the other intervals): each resample's expected
    agreement from its own answer distributions, as `expected_consistency` computes it for the whole run."""
    n_boot, n = idx.shape
    n_langs = pred.shape[1]
    weights = np.zeros((n_boot, n))  # how often each set is drawn in each resample
    np.add.at(weights, (np.repeat(np.arange(n_boot), n), idx.ravel()), 1.0)
    chosen = np.stack([(pred == o) for o in range(n_choices)], axis=2).reshape(n, -1).astype(float)
    p = (weights @ chosen / n).reshape(n_boot, n_langs, n_choices)
    expected = np.zeros(n_boot)
    for o in range(n_choices):
        e = np.zeros((n_boot, k + 1))
        e[:, 0] = 1.0
        for lang in range(n_langs):
            e[:, 1:] = e[:, 1:] + p[:, lang, o, None] * e[:, :-1]
        expected += e[:, k]
    expected /= comb(n_langs, k)
    safe = np.where(expected >= 1.0, 0.0, expected)
    return np.where(expected >= 1.0, 0.0, (observed - safe) / (1.0 - safe))


def rankc_weights(n_options: int) -> np.ndarray:
    """The paper's weights w_1..w_N: softmax of (N, N-1, ..., 1)."""
    order = np.arange(n_options, 0, -1, dtype=float)
    e = np.exp(order - order.max())
    return e / e.sum()


def option_ranks(scores: np.ndarray) -> np.ndarray:
    """(..., options) scores -> each option's rank (0 = best); ties go to the earlier option, as `best_option`
    breaks them; NaN (an option the set does not have) ranks last."""
    filled = np.where(np.isnan(scores), -np.inf, scores)
    order = np.argsort(-filled, axis=-1, kind="stable")
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(scores.shape[-1]), axis=-1)
    return ranks


def per_set_rankc(scores: np.ndarray, a: int, b: int, ranks: np.ndarray | None = None) -> np.ndarray:
    """RankC of languages a and b for each set. scores: (sets, langs, options), NaN past a set's last option;
    `ranks`: option_ranks(scores), when the caller has it (every pair of a run reads the same ranks)."""
    ranks = option_ranks(scores) if ranks is None else ranks
    n_options = (~np.isnan(scores[:, a, :])).sum(axis=1)
    out = np.zeros(scores.shape[0])
    for n in np.unique(n_options):
        rows = n_options == n
        w = rankc_weights(int(n))
        ra, rb = ranks[rows, a, :], ranks[rows, b, :]
        for j in range(1, int(n) + 1):
            overlap = ((ra < j) & (rb < j)).sum(axis=1)
            out[rows] += w[j - 1] * overlap / j
    return out


def rankc_chance(n_options: int) -> float:
    """Expected RankC of two independent uniformly random rankings: E|top-j(a) & top-j(b)| = j^2 / N."""
    w = rankc_weights(n_options)
    return float(sum(w[j - 1] * j / n_options for j in range(1, n_options + 1)))


def pair_rankc(scores: np.ndarray, chunk: int = 2048) -> np.ndarray:
    """(sets, langs, langs) RankC of every language pair on every set, all pairs at once: the top-j overlaps are
    one batched product of the languages' top-j masks (a loop over pairs costs minutes on 122 languages)."""
    ranks = option_ranks(scores)
    n_options = (~np.isnan(scores[:, 0, :])).sum(axis=1)
    n_sets, n_langs, _ = scores.shape
    out = np.zeros((n_sets, n_langs, n_langs), dtype=np.float32)
    for n in np.unique(n_options):
        w = rankc_weights(int(n))
        rows = np.flatnonzero(n_options == n)
        for start in range(0, len(rows), chunk):
            part = rows[start:start + chunk]
            acc = np.zeros((len(part), n_langs, n_langs), dtype=np.float32)
            for j in range(1, int(n) + 1):
                top = (ranks[part] < j).astype(np.float32)  # (sets, langs, options): in the top j
                acc += np.float32(w[j - 1] / j) * np.einsum("slo,sko->slk", top, top)
            out[part] = acc
    return out


def rankc(scores: np.ndarray, langs: list[str]) -> tuple[dict, np.ndarray]:
    """({"overall", "pairwise", "chance"}, per-set RankC averaged over language pairs) from option scores."""
    scores = np.asarray(scores, dtype=float)
    upper = np.triu_indices(len(langs), k=1)
    per_pair = pair_rankc(scores)[:, upper[0], upper[1]].astype(float)  # (sets, pairs)
    per_set = per_pair.mean(axis=1) if per_pair.shape[1] else np.zeros(scores.shape[0])
    n_options = (~np.isnan(scores[:, 0, :])).sum(axis=1)
    chance = float(np.mean([rankc_chance(int(n)) for n in n_options])) if len(n_options) else 0.0
    pairwise = {f"{langs[i]}-{langs[j]}": float(per_pair[:, k].mean()) for k, (i, j) in enumerate(zip(*upper))}
    summary = {"overall": float(per_set.mean()) if len(per_set) else 0.0, "pairwise": pairwise, "chance": chance}
    return summary, per_set


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
    scores: np.ndarray | None = None,
) -> dict:
    """Every metric of a run, as plain JSON-able values. Keys of consistency/ac3/kappa are str(k).

    `scores`: (sets, langs, options) option scores (higher = preferred; NaN past a set's last option) when the mode
    records them (loglik, cloze, circular): RankC is computed from them, else `rankc` is None."""
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
    rank_summary, rank_per_set = rankc(scores, langs) if scores is not None and n_langs >= 2 else (None, None)
    results = {
        "n_sets": int(n_sets),
        "languages": langs,
        "accuracy": accuracy,
        "language_accuracy": language_accuracy,
        "consistency": consistency,
        "ac3": ac3,
        "kappa": kap,
        "pairwise_consistency": pairwise_consistency(pred, langs),
        "rankc": rank_summary,
        "answer_distribution": {lang: [int(x) for x in dist[i]] for i, lang in enumerate(langs)},
        "gold_distribution": [int((gold == o).sum()) for o in range(n_choices)],
        "unparsed": {lang: int((pred[:, i] == UNPARSED).sum()) for i, lang in enumerate(langs)},
        "ci95": bootstrap_ci(per_set_accuracy(pred, gold), per_set_c3, n_boot, seed, rank_per_set, pred, n_choices),
        "bootstrap": {"n": n_boot, "seed": seed},
    }
    results["warnings"] = answer_warnings(results)
    return results


# One option for at least this share of a language's items: the numbers measure that bias, not knowledge.
DOMINANT_SHARE = 0.9
# More than this share of a language's answers unread: accuracy and consistency are lower bounds.
UNREAD_SHARE = 0.05


def answer_warnings(results: dict) -> list[str]:
    """Why a results dict's numbers may mean nothing, in words (empty when nothing is wrong); computed from the
    results alone, so results.json files written before warnings existed get them too (reports, tables).

    - one option chosen for >= 90% of a language's items: accuracy is the share of gold answers at that
      position and consistency measures the bias, not knowledge;
    - kappa@3's 95% CI contains 0: the languages agree no more than their answer distributions alone predict;
    - more than UNREAD_SHARE of a language's answers unread (unparsed): they count as wrong, so accuracy and
      consistency are lower bounds.
    """
    warnings = []
    n = int(results["n_sets"])
    dominant: dict[int, dict[int, list[str]]] = {}  # option -> count -> languages
    for lang, counts in results["answer_distribution"].items():
        top = int(np.argmax(counts)) if len(counts) else 0
        if n and len(counts) and counts[top] >= DOMINANT_SHARE * n:
            dominant.setdefault(top, {}).setdefault(int(counts[top]), []).append(lang)
    for option, by_count in dominant.items():
        letter = chr(ord("A") + option)
        where = "; ".join(f"{count}/{n} in {', '.join(langs)}" for count, langs in sorted(by_count.items(), reverse=True))
        warnings.append(f"answers {letter} to {where}: consistency here measures the bias toward {letter}, not knowledge")
    ci = results.get("ci95", {}).get("kappa_3")
    if ci is not None and ci[0] <= 0.0 <= ci[1]:
        warnings.append(f"kappa@3 {results['kappa']['3']:.3f} [{ci[0]:.3f}, {ci[1]:.3f}] includes 0: the languages agree "
                        "no more than their answer distributions alone predict")
    high = {lang: k / n for lang, k in results.get("unparsed", {}).items() if n and k / n > UNREAD_SHARE}
    if high:
        where = ", ".join(f"{lang} {share:.0%}" for lang, share in high.items())
        warnings.append(f"unread answers above {UNREAD_SHARE:.0%} ({where}): they count as wrong, so accuracy and "
                        "consistency are lower bounds")
    return warnings
