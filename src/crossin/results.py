"""results.json's body for one benchmark: every metric of a (sets x languages) prediction matrix, plus the inputs
that produced it. `crossin eval` (evaluate/runner.py) and `crossin score` (score.py) both build their results here."""

from __future__ import annotations

import platform
from typing import TYPE_CHECKING

import numpy as np

from . import __version__
from .metrics import compute_metrics

if TYPE_CHECKING:
    from .benchmarks import Benchmark


def gold_vector(bench: Benchmark) -> np.ndarray:
    return np.array([s.gold for s in bench.sets], dtype=np.int64)


SUBSET_METRICS = ("n_sets", "accuracy", "language_accuracy", "consistency", "ac3", "kappa", "pairwise_consistency",
                  "rankc", "ci95")


def score(bench: Benchmark, pred: np.ndarray, *, seed: int = 0, n_boot: int = 1000, extra_inputs: dict | None = None,
          scores: np.ndarray | None = None) -> dict:
    """The results dict: every metric plus the inputs that produced it.

    `scores`: (sets, langs, options) option scores, when the mode records them (RankC). A benchmark with subsets
    (`bench.meta["subsets"]`: name -> set ids, e.g. Global-MMLU's culturally sensitive / agnostic questions) gets
    each subset's metrics under `subsets`."""
    gold = gold_vector(bench)
    results = compute_metrics(pred, gold, list(bench.langs), bench.n_choices, seed=seed, n_boot=n_boot, scores=scores)
    if bench.meta.get("subsets"):
        row_of = {s.id: i for i, s in enumerate(bench.sets)}
        results["subsets"] = {}
        for name, ids in bench.meta["subsets"].items():
            rows = [row_of[i] for i in ids if i in row_of]
            if not rows:
                results["subsets"][name] = {"n_sets": 0}
                continue
            part = compute_metrics(pred[rows], gold[rows], list(bench.langs), bench.n_choices, seed=seed,
                                   n_boot=n_boot, scores=None if scores is None else scores[rows])
            results["subsets"][name] = {k: part[k] for k in SUBSET_METRICS}
    results["inputs"] = {
        "benchmark": bench.name,
        "languages": list(bench.langs),
        "benchmark_source": bench.source,
        "benchmark_sha256": bench.sha256,
        "seed": seed,
        **({"alignment": bench.meta["source"]["alignment"]} if "alignment" in bench.meta.get("source", {}) else {}),
        **({"subset": bench.meta["source"]["subset"]} if "subset" in bench.meta.get("source", {}) else {}),
        **(extra_inputs or {}),
    }
    results["versions"] = {"crossin": __version__, "python": platform.python_version(), "numpy": np.__version__}
    return results
