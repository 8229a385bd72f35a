"""Wall-clock time of crossin's HF backend on whole benchmarks: the issue-11 table (loglik and cloze per benchmark).

One model object for every run; each (benchmark, mode) is timed after a warm-up on its first few questions, so CUDA
initialisation and kernel selection are not counted, and without the request cache (the backend is called
directly). Benchmark loading (building Cross-XQuAD the first time) is timed apart.

    python bench/eval_times.py                                 # GPU if there is one: all sets, en/zh/es/vi
    python bench/eval_times.py --limit 5 --device cpu          # a smoke run on a CPU
"""

from __future__ import annotations

import argparse
import os
import time


def timed(fn, device_type: str):
    import torch

    if device_type == "cuda":
        torch.cuda.synchronize()
    started = time.perf_counter()
    out = fn()
    if device_type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - started, out


def accuracy(requests, values, gold) -> float:
    from crossin.evaluate.runner import unrotate_scores

    hits = [max(range(len(s)), key=s.__getitem__) == gold[r.set_id]
            for r, v in zip(requests, values) for s in [unrotate_scores(v, r.rotation)]]
    return sum(hits) / max(len(hits), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="gemma-3-270m")
    parser.add_argument("--bench", default="cross-mmlu,cross-logiqa,cross-xquad-built")
    parser.add_argument("--langs", default="en,zh,es,vi")
    parser.add_argument("--modes", default="loglik,cloze")
    parser.add_argument("--limit", type=int, default=None, help="sets per benchmark (default: all)")
    parser.add_argument("--device", default=None, help="default: cuda if available, else cpu")
    parser.add_argument("--dtype", default=None, help="default: bf16 on GPUs that have it, else fp32")
    parser.add_argument("--batch-size", default="auto")
    parser.add_argument("--data-dir", default=os.environ.get("CROSSIN_DATA_DIR"))
    parser.add_argument("--json", default=None, help="also write the table here")
    args = parser.parse_args()

    import torch

    from crossin.benchmarks import load_benchmark
    from crossin.evaluate.hf_backend import HFBackend
    from crossin.evaluate.requests import build_requests
    from crossin.evaluate.runner import execute
    from crossin.models.hf import default_device, load_model_and_tokenizer

    device = args.device or default_device()
    seconds, (model, tok) = timed(lambda: load_model_and_tokenizer(args.model, device=device, dtype=args.dtype),
                                  device.split(":")[0])
    name = torch.cuda.get_device_name(0) if device.startswith("cuda") else f"cpu, {torch.get_num_threads()} threads"
    print(f"model {args.model} ({model.dtype}) on {name}: loaded in {seconds:.1f} s", flush=True)
    batch = args.batch_size if args.batch_size == "auto" else int(args.batch_size)
    rows = []
    for bench_name in args.bench.split(","):
        load_s, bench = timed(lambda: load_benchmark(bench_name, args.langs, data_dir=args.data_dir,
                                                     limit=args.limit), "cpu")
        gold = {s.id: s.gold for s in bench.sets}
        print(f"{bench_name}: {len(bench.sets)} sets x {len(bench.langs)} languages loaded in {load_s:.1f} s",
              flush=True)
        for mode in args.modes.split(","):
            requests = build_requests(bench, mode)
            backend = HFBackend(model=model, tokenizer=tok, batch_size=batch)
            execute(requests[:16], mode, backend)  # warm-up: CUDA context, kernels, the shared-prefix cache
            seconds, values = timed(lambda: execute(requests, mode, backend), device.split(":")[0])
            row = {"benchmark": bench_name, "mode": mode, "questions": len(requests), "seconds": round(seconds, 2),
                   "questions_per_s": round(len(requests) / seconds, 1),
                   "accuracy": round(accuracy(requests, values, gold), 4), "token_budget": backend._budget}
            rows.append(row)
            print(f"  {mode:7s} {len(requests):5d} questions {seconds:7.2f} s {row['questions_per_s']:8.1f} q/s "
                  f"acc {row['accuracy']:.3f} (token budget {backend._budget})", flush=True)
    if args.json:
        from crossin.io import write_json

        write_json(args.json, {"device": name, "dtype": str(model.dtype), "rows": rows})


if __name__ == "__main__":
    main()
