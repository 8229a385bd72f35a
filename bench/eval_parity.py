"""Option scores of two crossin versions on the same items: max |difference| and argmax agreement.

    python bench/eval_parity.py dump --out new.json                 # this checkout
    PYTHONPATH=/path/to/old/src python bench/eval_parity.py dump --out old.json
    python bench/eval_parity.py compare old.json new.json
    python bench/eval_parity.py against 291cb11                     # all three: the old code from git, in a temp dir

Dumps loglik, cloze and circular (loglik under every rotation) scores of the embedded model (fp32, CPU) on the first
`--sets` sets of every benchmark. Uses only `crossin.evaluate.score_options`, which both versions have.
"""

from __future__ import annotations

import argparse
import json
import os
import time


def dump(args) -> None:
    import torch

    torch.set_num_threads(args.threads)
    from crossin.benchmarks import load_benchmark
    from crossin.evaluate import score_options
    from crossin.models.hf import load_model_and_tokenizer

    model, tok = load_model_and_tokenizer(args.model, device="cpu", dtype="fp32")
    out: dict = {}
    started = time.perf_counter()
    for name in args.bench.split(","):
        bench = load_benchmark(name, args.langs, data_dir=os.environ.get("CROSSIN_DATA_DIR"), limit=args.sets)
        runs = [("loglik", 0), ("cloze", 0)] + [("loglik", r) for r in range(1, 4)]
        for mode, rotation in runs:
            scores = score_options(model, tok, bench, mode=mode, batch_size=args.batch_size, rotation=rotation)
            out[f"{name}/{mode}/r{rotation}"] = {f"{s}|{lang}": v for (s, lang), v in scores.items()}
            print(f"{name} {mode} rotation {rotation}: {len(scores)} items, {time.perf_counter() - started:.0f} s", flush=True)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(out, f)


def compare(args) -> None:
    a, b = (json.load(open(p, encoding="utf-8")) for p in (args.a, args.b))
    worst = 0.0
    for key in sorted(a):
        diffs = [abs(x - y) for item in a[key] for x, y in zip(a[key][item], b[key][item])]
        same = sum(max(range(len(v)), key=v.__getitem__) == max(range(len(b[key][i])), key=b[key][i].__getitem__)
                   for i, v in a[key].items())
        worst = max(worst, max(diffs))
        print(f"{key:28s} items {len(a[key]):4d}  max |diff| {max(diffs):.2e}  same argmax {same}/{len(a[key])}")
    print(f"overall max |diff| {worst:.2e} (goal <= 1e-4)")


def against(args) -> None:
    """Extract `args.commit`'s src/ into a temp dir, dump both versions (one after the other), compare."""
    import subprocess
    import sys
    import tempfile
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(["git", "-C", str(root), "archive", args.commit, "src"], check=True,
                                 capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
        common = [sys.executable, __file__, "dump", "--sets", str(args.sets), "--langs", args.langs,
                  "--batch-size", str(args.batch_size), "--threads", str(args.threads)]
        for name, src in (("old", Path(tmp) / "src"), ("new", root / "src")):
            print(f"--- {name}: {src}", flush=True)
            env = {**os.environ, "PYTHONPATH": str(src)}
            subprocess.run(common + ["--out", str(Path(tmp) / f"{name}.json")], check=True, env=env)
        args.a, args.b = str(Path(tmp) / "old.json"), str(Path(tmp) / "new.json")
        compare(args)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("dump")
    d.add_argument("--out", required=True)
    d.add_argument("--model", default="gemma-3-270m")
    d.add_argument("--bench", default="cross-mmlu,cross-logiqa,cross-xquad-built")
    d.add_argument("--langs", default="en,zh")
    d.add_argument("--sets", type=int, default=20)
    d.add_argument("--batch-size", default=8, type=lambda v: v if v == "auto" else int(v))
    d.add_argument("--threads", type=int, default=1)
    c = sub.add_parser("compare")
    c.add_argument("a")
    c.add_argument("b")
    g = sub.add_parser("against")
    g.add_argument("commit")
    g.add_argument("--langs", default="en,zh")
    g.add_argument("--sets", type=int, default=20)
    g.add_argument("--batch-size", default="auto")
    g.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    {"dump": dump, "compare": compare, "against": against}[args.cmd](args)


if __name__ == "__main__":
    main()
