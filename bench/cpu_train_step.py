"""Seconds per optimizer step and peak memory of `crossin train --config configs/train/cpu_small.yaml` on a CPU.

    python bench/cpu_train_step.py --steps 3              # embedded Gemma 3 270M, cpu_small.yaml, English Alpaca
    python bench/cpu_train_step.py --steps 3 --profile    # plus torch.profiler's top operators of the second step
    python bench/cpu_train_step.py --steps 3 --embeddings # baseline: the same with embed_tokens + lm_head trained

Prints the load average before and after (the numbers scale with it on a shared machine), the model load time,
each step's wall seconds, the peak RSS of this process and what the run wrote to disk. With --embeddings it also
runs the config as it was before (the 262k x 640 embedding trained in full and saved with the adapter) and prints
the ratio of the two in the same run.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))


def folder_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def run(steps: int, data: Path, out: Path, overrides: dict, profile: bool) -> dict:
    from transformers import TrainerCallback

    from crossin.config import build_config
    from crossin.train import TrainConfig, train

    times: list[float] = []
    cpu: list[float] = []  # process CPU seconds per step: steadier than wall time on a shared machine
    started = {"t": time.perf_counter(), "train": None}
    profiler = {}

    class StepTimes(TrainerCallback):
        def on_train_begin(self, args, state, control, **kwargs):
            started["train"] = time.perf_counter()

        def on_step_begin(self, args, state, control, **kwargs):
            started["step"], started["cpu"] = time.perf_counter(), time.process_time()
            if profile and state.global_step == 1:
                import torch

                profiler["p"] = torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU])
                profiler["p"].__enter__()

        def on_step_end(self, args, state, control, **kwargs):
            times.append(time.perf_counter() - started["step"])
            cpu.append(time.process_time() - started["cpu"])
            if "p" in profiler and state.global_step == 2:
                profiler["p"].__exit__(None, None, None)

    cfg = build_config(TrainConfig, REPO / "configs/train/cpu_small.yaml",
                       {"model": "gemma-3-270m", "data": str(data), "out": str(out), "max_steps": steps, **overrides})
    train(cfg, log=lambda msg: print(f"  | {msg}", flush=True), callbacks=[StepTimes()])
    result = {"load_s": started["train"] - started["t"], "steps_s": times, "cpu_s": cpu,
              "written_bytes": folder_bytes(out)}
    if "p" in profiler:
        result["profile"] = profiler["p"].key_averages().table(sort_by="cpu_time_total", row_limit=15)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--embeddings", action="store_true", help="also run with embed_tokens + lm_head trained")
    args = parser.parse_args()
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    data_dir = Path(os.environ.get("CROSSIN_DATA_DIR") or REPO.parent / "shared" / "data")
    data = data_dir / "parallel_instructions_en_zh_partial" / "en.jsonl"
    print(f"cpu cores {os.cpu_count()}, load average before {os.getloadavg()[0]:.1f}", flush=True)
    variants = {"cpu_small.yaml": {}}
    if args.embeddings:
        variants["+ embed_tokens, lm_head trained"] = {"modules_to_save": ["embed_tokens", "lm_head"]}
    results = {}
    for name, overrides in variants.items():
        with tempfile.TemporaryDirectory() as tmp:
            print(f"{name}: training {args.steps} steps ...", flush=True)
            r = run(args.steps, data, Path(tmp) / "out", overrides, args.profile and not results)
        results[name] = r
        later = r["steps_s"][1:] or r["steps_s"]
        print(f"{name}: model + data load {r['load_s']:.1f} s; steps " + ", ".join(f"{t:.1f}" for t in r["steps_s"])
              + f" s (CPU " + ", ".join(f"{t:.1f}" for t in r["cpu_s"]) + " s, all threads); after the first: "
              f"{sum(later) / len(later):.1f} s per step; wrote {r['written_bytes'] / 1e6:.0f} MB",
              flush=True)
        if "profile" in r:
            print(r["profile"])
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2  # KiB -> GiB (Linux)
    print(f"peak RSS {peak:.2f} GiB (of the whole bench); load average after {os.getloadavg()[0]:.1f}")
    if len(results) == 2:
        (a, ra), (b, rb) = results.items()
        mean = lambda r: sum(r["steps_s"][1:] or r["steps_s"]) / len(r["steps_s"][1:] or r["steps_s"])  # noqa: E731
        print(f"{b} / {a}: {mean(rb) / mean(ra):.2f}x the seconds per step")


if __name__ == "__main__":
    main()
