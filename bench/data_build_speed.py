"""Speed and memory of `crossin data build`: the 52,002-sample base + 15,000 x2x samples from the shared corpus.

Goal (issue 5): under 15 s and under 2 GiB peak memory. Each measurement runs in a fresh child process, so
its peak RSS is its own. Baseline, measured in the same run: just parsing the corpus files (en.jsonl +
zh.jsonl) with json.loads, the least any build must do; the build is reported as a ratio to it.
Also measured: the build without language identification, to show what lingua costs. Wall time on a
shared machine depends on the load, so CPU seconds (user + sys, the child's own) are printed too.

    python bench/data_build_speed.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

DATA_DIR = Path(os.environ.get("CROSSIN_DATA_DIR") or Path(__file__).resolve().parents[1].parent / "shared" / "data")
CORPUS = DATA_DIR / "parallel_instructions_en_zh_partial"

CHILD = r"""
import json, resource, sys, time
start = time.perf_counter()
what, corpus, out, langid = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "1"
if what == "baseline":
    rows = 0
    for lang in ("en", "zh"):
        with open(f"{corpus}/{lang}.jsonl", encoding="utf-8") as f:
            rows += sum(1 for line in f if json.loads(line))
else:
    from crossin.data import DataConfig, build_mix
    cfg = DataConfig(parallel=corpus, recipe="x2x", n=15000, seed=0, langid=langid, out=out)
    manifest = json.load(open(build_mix(cfg) / "manifest.json"))
    rows = manifest["counts"]["total"]
elapsed = time.perf_counter() - start
ru = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"s": elapsed, "cpu_s": ru.ru_utime + ru.ru_stime, "peak_rss_mib": ru.ru_maxrss / 1024, "rows": rows}))
"""


def run(what: str, out: str, langid: bool = True) -> dict:
    proc = subprocess.run([sys.executable, "-c", CHILD, what, str(CORPUS), out, "1" if langid else "0"],
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.exit(f"{what} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="runs per measurement; the median time is reported")
    args = parser.parse_args()
    if not (CORPUS / "en.jsonl").exists():
        sys.exit(f"shared corpus not found at {CORPUS} (set CROSSIN_DATA_DIR)")
    with tempfile.TemporaryDirectory() as tmp:
        results = {}
        for name, what, langid in (("baseline: parse corpus", "baseline", True),
                                   ("build, no lang-id", "build", False),
                                   ("build (default, lang-id on)", "build", True)):
            runs = [run(what, f"{tmp}/{name[:5]}{i}", langid) for i in range(args.repeats)]
            results[name] = {"s": statistics.median(r["s"] for r in runs), "min_s": min(r["s"] for r in runs),
                             "cpu_s": statistics.median(r["cpu_s"] for r in runs),
                             "peak_rss_mib": max(r["peak_rss_mib"] for r in runs), "rows": runs[0]["rows"]}
    base = results["baseline: parse corpus"]["s"]
    print(f"corpus: {CORPUS}  (cpus: {os.cpu_count()}, load avg: {os.getloadavg()[0]:.2f})")
    print(f"{'measurement':30} {'median s':>9} {'min s':>7} {'CPU s':>6} {'x baseline':>11} {'peak RSS MiB':>13} "
          f"{'rows':>7}")
    for name, r in results.items():
        print(f"{name:30} {r['s']:9.2f} {r['min_s']:7.2f} {r['cpu_s']:6.2f} {r['s'] / base:11.1f} "
              f"{r['peak_rss_mib']:13.0f} {r['rows']:7d}")
    build = results["build (default, lang-id on)"]
    ok = build["s"] < 15 and build["peak_rss_mib"] < 2048
    print(f"goal < 15 s and < 2048 MiB: {'met' if ok else 'NOT met'} "
          f"({build['s']:.2f} s, {build['peak_rss_mib']:.0f} MiB)")


if __name__ == "__main__":
    main()
