"""Speed of `crossin eval` through `crossin serve` against the same eval in-process, loglik and cloze in one run.

The server is a real `crossin serve` process on the same model, started (and loaded) before the clock starts; the
client is crossin's OpenAI backend (`--model openai:NAME --base-url ...`) as it is on this branch. Both sides get
the same torch threads; caches are off. Prints seconds per mode, the server / in-process ratio (goal <= 1.5x on a
CPU) and the largest option-score difference.

    python bench/serve_speed.py --sets 10 --langs en,zh --threads 2
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path


def start_server(model: str, threads: int) -> tuple[str, subprocess.Popen]:
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    proc = subprocess.Popen([sys.executable, "-m", "crossin", "serve", "--model", model, "--name", "bench", "--port",
                             "0", "--device", "cpu", "--log-level", "warning"], stdout=subprocess.PIPE, text=True,
                            env=env)
    line = proc.stdout.readline()
    if " at " not in line:
        proc.kill()
        raise SystemExit(f"crossin serve did not start: {line!r}")
    url = line.split(" at ", 1)[1].strip()
    for _ in range(600):
        try:
            urllib.request.urlopen(url + "/models", timeout=2).read()
            return url, proc
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise SystemExit("crossin serve did not answer")


def scores(folder: Path, bench: str) -> dict:
    lines = (folder / bench / f"samples_{bench}.jsonl").read_text(encoding="utf-8").splitlines()
    return {(s["id"], s["lang"]): s["option_scores"] for s in map(json.loads, lines)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="gemma-3-270m")
    parser.add_argument("--bench", default="cross-mmlu")
    parser.add_argument("--sets", type=int, default=10)
    parser.add_argument("--langs", default="en,zh")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--modes", default="loglik,cloze")
    args = parser.parse_args()

    import torch

    from crossin.evaluate import EvalConfig, run_eval
    from crossin.models.hf import load_model_and_tokenizer

    torch.set_num_threads(args.threads)
    model, tok = load_model_and_tokenizer(args.model, device="cpu")
    url, proc = start_server(args.model, args.threads)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for mode in args.modes.split(","):
                common = dict(bench=[args.bench], langs=args.langs.split(","), limit=args.sets, mode=mode,
                              no_cache=True, n_boot=10, data_dir=os.environ.get("CROSSIN_DATA_DIR"))
                t0 = time.perf_counter()
                run_eval(EvalConfig(out=f"{tmp}/{mode}-local", **common), model=model, tokenizer=tok, progress=False)
                local_s = time.perf_counter() - t0
                t0 = time.perf_counter()
                run_eval(EvalConfig(model="openai:bench", base_url=url, out=f"{tmp}/{mode}-served", **common),
                         progress=False)
                served_s = time.perf_counter() - t0
                a, b = scores(Path(tmp, f"{mode}-local"), args.bench), scores(Path(tmp, f"{mode}-served"), args.bench)
                diff = max(abs(x - y) for k in a for x, y in zip(a[k], b[k]))
                print(f"{mode}: {len(a)} questions, in-process {local_s:.1f} s, served {served_s:.1f} s, "
                      f"ratio {served_s / local_s:.2f}x, max option-score difference {diff:.1e}", flush=True)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


if __name__ == "__main__":
    main()
