"""Time building Cross-XQuAD for all 12 XQuAD languages (acceptance: under 30 s on the 2-core dev machine).

Baseline, measured in the same run: only reading and parsing the 12 JSON files, which every build must do.
Also prints the en,zh,es,vi build's own report (the README's figures): sets kept, gold positions, the share of sets
whose four options all occur in the passage, and the trivial baselines' accuracy per language.
Usage: python bench/xquad_build_speed.py [XQUAD_DIR] [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

from crossin.benchmarks.xquad import XQUAD_LANGS, build_cross_xquad, norm_key

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    default_dir = Path(os.environ.get("CROSSIN_DATA_DIR") or REPO.parent / "shared" / "data") / "xquad"
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("xquad_dir", nargs="?", type=Path, default=default_dir)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    def parse_only():
        for lang in XQUAD_LANGS:
            json.loads((args.xquad_dir / f"xquad.{lang}.json").read_text(encoding="utf-8"))

    def build(langs):
        norm_key.cache_clear()  # each run starts cold, as a fresh process would
        return build_cross_xquad(args.xquad_dir, langs, seed=0)

    def timed(fn, *a):
        times = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            out = fn(*a)
            times.append(time.perf_counter() - t)
        return statistics.median(times), out

    t_parse, _ = timed(parse_only)
    t_four, four = timed(build, ("en", "zh", "es", "vi"))
    t_all, full = timed(build, XQUAD_LANGS)
    print(f"parse 12 XQuAD files (baseline): {t_parse:6.2f} s")
    print(f"build en,zh,es,vi:               {t_four:6.2f} s  ({t_four / t_parse:.1f}x baseline), {four.report['n_sets']} sets")
    print(f"build all 12 languages:          {t_all:6.2f} s  ({t_all / t_parse:.1f}x baseline), {full.report['n_sets']} sets")
    r = four.report
    print(f"en,zh,es,vi seed 0: {r['n_sets']} of {r['n_questions']} sets kept; gold A/B/C/D "
          + "/".join(str(r["gold_positions"][k]) for k in "ABCD"))
    print("all four options in the passage: " + ", ".join(f"{k} {v:.1%}" for k, v in r["options_in_context"].items()))
    accs = [a for per_lang in r["baselines"].values() for a in per_lang.values()]
    print(f"trivial baselines ({' / '.join(r['baselines'])}): {min(accs):.1%}-{max(accs):.1%} over every language "
          f"(chance {r['chance']:.0%})")
    print(f"median of {args.repeat}; acceptance: 12 languages under 30 s -> {'OK' if t_all < 30 else 'TOO SLOW'}")


if __name__ == "__main__":
    main()
