"""The report's numbers: Table 3 from results.json as it is, the order of its rows, and paired bootstrap
comparisons of two runs on the sets and languages they share."""

from __future__ import annotations

import numpy as np

from ..errors import CrossinError
from ..metrics import (answer_warnings, expected_consistency, harmonic, headline_k, kappa, kappa_resamples,
                       per_set_accuracy, per_set_consistency, rankc)
from ..recipe_names import EN_ONLY, ZERO_SHOT
from .loading import Run, Samples, present

# Table 3's columns, plus kappa: a model that always answers "A" is perfectly consistent, kappa shows it.
TABLE_METRICS = ("accuracy", "consistency", "ac3", "kappa")
# Paired comparisons: the same, plus RankC where both runs have option scores (issue 33: CALM/DCO are judged by it).
PAIRED_METRICS = ("accuracy", "consistency", "ac3", "kappa", "rankc")


# --------------------------------------------------------------------------------------------- table


def ordered_names(runs: list[Run]) -> list[str]:
    """Evaluation-only models first (Table 3's general LLMs), then per base model (arm.json `model_order`) its
    zero-shot run and the experiment's order (arm.json `order`), then by name."""
    first: dict[str, tuple] = {}
    for r in runs:
        key = (0 if r.meta.get("eval_only") else 1, r.meta.get("model_order", 0),
               0 if r.meta.get("recipe") == ZERO_SHOT else 1, r.meta.get("order", 10**6), r.name)
        first[r.name] = min(first.get(r.name, key), key)
    return sorted(first, key=lambda n: first[n])


def build_table(names: list[str], benches: list[str], by: dict[tuple[str, str], Run]) -> dict:
    """Table 3: per run and benchmark, each metric's value and 95% CI as results.json has them."""
    table: dict = {name: {} for name in names}
    for name, bench, r in present(names, benches, by):
        table[name][bench] = {m: {"value": r.metric(m), "ci95": r.ci(m)} for m in TABLE_METRICS}
        table[name][bench]["k"] = r.k
        # Beside the numbers: what the model answered, and why the numbers may mean nothing.
        table[name][bench]["answers"] = [int(sum(c)) for c in zip(*r.results["answer_distribution"].values())]
        table[name][bench]["warnings"] = r.results.get("warnings") or answer_warnings(r.results)
        unread = sum(r.results.get("unparsed", {}).values())  # answers no option was read from (count as wrong)
        table[name][bench]["unread_share"] = unread / max(r.results["n_sets"] * len(r.results["languages"]), 1)
        table[name][bench]["n_sets"] = r.results["n_sets"]
        table[name][bench]["languages"] = r.results["languages"]
    return table


# -------------------------------------------------------------------------------------- comparisons


def default_comparisons(names: list[str], runs: list[Run], baseline: str | None) -> list[tuple[str, str]]:
    """Every run against the baseline: the named one, else the English-only arm, else the first run. With several
    base models and no named baseline: each model's runs against that model's English-only arm."""
    models = {r.meta.get("model_name") for r in runs if r.meta.get("model_name") and not r.meta.get("eval_only")}
    if baseline is None and len(models) > 1:
        pairs = []
        for model in sorted(models):
            mine = [n for n in names if any(r.name == n and r.meta.get("model_name") == model
                                            and not r.meta.get("eval_only") for r in runs)]
            en_only = [r.name for r in runs if r.name in mine and r.meta.get("recipe") == EN_ONLY]
            if en_only:
                pairs += [(n, en_only[0]) for n in mine if n != en_only[0]]
        return pairs
    if baseline is None:
        en_only = [r.name for r in runs if r.meta.get("recipe") == EN_ONLY]
        baseline = en_only[0] if en_only else names[0]
    if baseline not in names:
        raise CrossinError(f"baseline {baseline!r} is not one of the runs: {', '.join(names)}")
    return [(name, baseline) for name in names if name != baseline]


def run_comparisons(pairs: list[tuple[str, str]], names: list[str], benches: list[str], by: dict[tuple[str, str], Run],
                    samples: dict[tuple[str, str], Samples], notes: list[str], *, n_boot: int, seed: int) -> list[dict]:
    """paired_bootstrap for each pair on each benchmark both ran; a pair that cannot be compared gets a note."""
    comparisons = []
    for a, b in pairs:
        for name in (a, b):
            if name not in names:
                raise CrossinError(f"cannot compare {name!r}: not one of the runs ({', '.join(names)})")
        for bench in benches:
            if (a, bench) not in by or (b, bench) not in by:
                continue
            sa, sb = samples.get((a, bench)), samples.get((b, bench))
            if sa is None or sb is None:
                notes.append(f"{a} vs {b} on {bench}: skipped (no usable samples for one of them).")
                continue
            n_choices = max(len(by[(a, bench)].results.get("gold_distribution", [])),
                            len(by[(b, bench)].results.get("gold_distribution", [])),
                            int(max(sa.pred.max(), sb.pred.max(), sa.gold.max())) + 1)
            try:
                result = paired_bootstrap(sa, sb, n_choices=n_choices, n_boot=n_boot, seed=seed)
            except CrossinError as e:
                notes.append(f"{a} vs {b} on {bench}: skipped ({e.reason}).")
                continue
            comparisons.append({"a": a, "b": b, "bench": bench, **result})
    return comparisons


def paired_bootstrap(a: Samples, b: Samples, *, n_choices: int, n_boot: int = 10000, seed: int = 0) -> dict:
    """Difference a - b in accuracy, consistency@k, AC3@k and kappa@k on the sets and languages both have, and in
    RankC when both runs' samples carry option scores (loglik, cloze).

    k = headline_k(number of shared languages). Each resample draws the same sets for a and b; each resample's
    kappa has its own expected agreement (metrics.kappa_resamples), as the runs' own kappa CIs do.
    """
    ids, langs, pa, pb, gold, scores = _align(a, b)
    k = headline_k(len(langs))  # _align keeps at least 2 languages
    n = len(ids)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, n, size=(n_boot, n))
    out: dict = {"n_sets": n, "languages": langs, "k": k, "n_boot": n_boot, "seed": seed, "metrics": {}}
    point, boot = {}, {}
    for side, pred, sc in (("a", pa, scores[0]), ("b", pb, scores[1])):
        acc, cons = per_set_accuracy(pred, gold), per_set_consistency(pred, k, n_choices)
        point[side] = {"accuracy": float(acc.mean()), "consistency": float(cons.mean())}
        point[side]["ac3"] = harmonic(point[side]["accuracy"], point[side]["consistency"])
        point[side]["kappa"] = kappa(point[side]["consistency"], expected_consistency(pred, k, n_choices))
        bacc, bcons = acc[idx].mean(axis=1), cons[idx].mean(axis=1)
        boot[side] = {"accuracy": bacc, "consistency": bcons, "ac3": harmonic(bacc, bcons),
                      "kappa": kappa_resamples(pred, idx, bcons, k, n_choices)}
        if sc is not None:
            _, per_set = rankc(sc, langs)
            point[side]["rankc"], boot[side]["rankc"] = float(per_set.mean()), per_set[idx].mean(axis=1)
    for metric in PAIRED_METRICS:
        if metric in point["a"]:
            out["metrics"][metric] = _difference(point["a"][metric], point["b"][metric],
                                                 boot["a"][metric] - boot["b"][metric], n_boot)
    return out


def _align(a: Samples, b: Samples) -> tuple[list[str], list[str], np.ndarray, np.ndarray, np.ndarray, tuple]:
    """The set ids and languages both runs have, each run's choices on them, the (shared) gold, and each run's
    option scores on them (None unless both runs have them)."""
    langs = [lang for lang in a.langs if lang in b.langs]
    row_a = {i: r for r, i in enumerate(a.ids)}
    row_b = {i: r for r, i in enumerate(b.ids)}
    ids = [i for i in a.ids if i in row_b]
    if not ids:
        raise CrossinError("the two runs share no set ids", path=str(b.path))
    if len(langs) < 2:
        raise CrossinError(f"the two runs share fewer than 2 languages ({','.join(langs) or 'none'})", path=str(b.path))
    ra = np.array([row_a[i] for i in ids])
    rb = np.array([row_b[i] for i in ids])
    ca = [a.langs.index(lang) for lang in langs]
    cb = [b.langs.index(lang) for lang in langs]
    gold = a.gold[ra]
    if not np.array_equal(gold, b.gold[rb]):
        bad = ids[int(np.argmax(gold != b.gold[rb]))]
        raise CrossinError(f"the two runs disagree on the gold answer of set {bad!r}", path=str(b.path))
    scores = (None, None)
    if a.scores is not None and b.scores is not None and a.scores.shape[2] == b.scores.shape[2]:
        scores = (a.scores[np.ix_(ra, ca)], b.scores[np.ix_(rb, cb)])  # RankC only where both ranked every option
    return ids, langs, a.pred[np.ix_(ra, ca)], b.pred[np.ix_(rb, cb)], gold, scores


def _difference(a: float, b: float, d: np.ndarray, n_boot: int) -> dict:
    """Observed a - b, the percentile 95% CI of the bootstrap differences d, and the two-sided p-value of d
    shifted to the null: p = (1 + #{|d* - d| >= |d|}) / (B + 1)."""
    d_obs = a - b
    lo, hi = np.percentile(d, [2.5, 97.5])
    extreme = int(np.sum(np.abs(d - d_obs) >= abs(d_obs) - 1e-12))
    return {"a": a, "b": b, "diff": d_obs, "ci95": [float(lo), float(hi)], "p_value": (1 + extreme) / (n_boot + 1)}


# ----------------------------------------------------------------------------------------- the paper


def paper_comparison(table: dict, names: list[str], by: dict[tuple[str, str], Run]) -> dict:
    """For each run that stands for a row of the paper's Table 3 (`crossin.paper_table3.paper_row`): per benchmark
    and metric, the paper's value, ours with its 95% CI, ours - paper, and whether the paper's value is in our CI.
    Runs that match no row are absent."""
    from ..langs import PAPER_LANGS
    from ..paper_table3 import paper_cells, paper_row

    out: dict = {}
    for name in names:
        meta = next((r.meta for (n, _), r in by.items() if n == name), {})
        row = paper_row(meta)
        if row is None:
            continue
        cells = paper_cells(*row)
        entry: dict = {"row": {"base": row[0] or None, "label": row[1]}, "benchmarks": {}}
        for bench, theirs in cells.items():
            ours = table[name].get(bench)
            if ours is None:
                continue
            metrics = {}
            for metric, paper in theirs.items():
                value, ci = ours[metric]["value"], ours[metric]["ci95"]
                metrics[metric] = {"paper": paper, "ours": value, "ci95": ci,
                                   "diff": None if value is None else round(value - paper, 4),
                                   "paper_in_ci": None if not ci else bool(ci[0] <= paper <= ci[1])}
            # The paper's numbers are over its four languages, consistency between any three of them.
            same = ours["k"] == 3 and sorted(ours["languages"]) == sorted(PAPER_LANGS)
            entry["benchmarks"][bench] = {"metrics": metrics, "same_languages": same}
        out[name] = entry
    return out
