"""What RankC adds to scoring a run: `compute_metrics` on random predictions with and without random option scores,
at the sizes of all of MMLU-ProX (11,829 sets x 29 languages x 10 options) and Belebele (900 sets x 122 languages x
4 options). The README's "RankC's cost, on random scores".

Usage: python bench/rankc_speed.py [--n-boot N] [--repeat N]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from crossin.metrics import compute_metrics

SIZES = {"MMLU-ProX": (11_829, 29, 10), "Belebele": (900, 122, 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-boot", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    for name, (n_sets, n_langs, n_options) in SIZES.items():
        pred = rng.integers(0, n_options, size=(n_sets, n_langs))
        gold = rng.integers(0, n_options, size=n_sets)
        scores = rng.standard_normal((n_sets, n_langs, n_options))
        langs = [f"l{i}" for i in range(n_langs)]

        def timed(**kw) -> float:
            times = []
            for _ in range(args.repeat):
                started = time.perf_counter()
                compute_metrics(pred, gold, langs, n_options, n_boot=args.n_boot, **kw)
                times.append(time.perf_counter() - started)
            return statistics.median(times)

        with_rankc, without = timed(scores=scores), timed()
        print(f"{name} ({n_sets:,} sets x {n_langs} languages x {n_options} options): {with_rankc:5.1f} s with RankC, "
              f"{without:5.1f} s without")


if __name__ == "__main__":
    main()
