"""Seconds per optimizer step of `crossin train --method dpo|dco` (and sft, for scale) on a CPU, with
configs/train/cpu_small.yaml (embedded Gemma 3 270M, LoRA r 8 on the projections, 16 records a step).

    python bench/preference_step.py --steps 3                 # sft, dpo and dco
    python bench/preference_step.py --steps 3 --methods dco
    python bench/preference_step.py --steps 2 --batch 4       # 4 records a step (a busy machine)

Preference rows for timing only (the cost depends on the sequence lengths, not on where the answers come from):
the first 64 Cross-MMLU questions' evaluation prompts (alpaca, template 1, loglik) in English and Chinese, the gold
letter as chosen and the next letter as rejected; DPO rows in English, DCO records English + Chinese. A DCO step
runs 4 sequences per record (chosen/rejected x 2 languages) with gradients and 4 for the reference; a DPO step 2
and 2. Each step's wall and process CPU seconds come from bench/cpu_train_step.py's timing callback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO / "bench"))


def preference_rows(folder: Path) -> dict[str, Path]:
    from crossin.benchmarks import LETTERS, load_benchmark
    from crossin.evaluate.requests import build_requests

    bench = load_benchmark("cross-mmlu", "en,zh", limit=64)
    prompts = {(r.set_id, r.lang): r.prompt for r in build_requests(bench, "loglik")}
    dpo, dco = folder / "dpo.jsonl", folder / "dco.jsonl"
    with open(dpo, "w", encoding="utf-8") as f, open(dco, "w", encoding="utf-8") as g:
        for s in bench.sets:
            good, bad = LETTERS[s.gold], LETTERS[(s.gold + 1) % s.n_choices]
            f.write(json.dumps({"prompt": prompts[(s.id, "en")], "chosen": good, "rejected": bad}) + "\n")
            g.write(json.dumps({"prompt_1": prompts[(s.id, "en")], "chosen_1": good, "rejected_1": bad,
                                "prompt_2": prompts[(s.id, "zh")], "chosen_2": good, "rejected_2": bad},
                               ensure_ascii=False) + "\n")
    return {"dpo": dpo, "dco": dco}


def main() -> None:
    from cpu_train_step import run

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--methods", default="sft,dpo,dco")
    parser.add_argument("--batch", type=int, default=16, help="records (sft: samples) per optimizer step")
    args = parser.parse_args()
    data_dir = Path(os.environ.get("CROSSIN_DATA_DIR") or REPO.parent / "shared" / "data")
    print(f"cpu cores {os.cpu_count()}, load average before {os.getloadavg()[0]:.1f}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        files = {"sft": data_dir / "parallel_instructions_en_zh_partial" / "en.jsonl", **preference_rows(Path(tmp))}
        for method in args.methods.split(","):
            batch = {"effective_batch_size": args.batch, "per_device_batch_size": min(4, args.batch)}
            r = run(args.steps, files[method], Path(tmp) / method, {"method": method, **batch}, False)
            later = r["steps_s"][1:] or r["steps_s"]
            later_cpu = r["cpu_s"][1:] or r["cpu_s"]
            print(f"{method}: steps " + ", ".join(f"{t:.1f}" for t in r["steps_s"]) + " s wall (CPU "
                  + ", ".join(f"{t:.1f}" for t in r["cpu_s"]) + " s); after the first: "
                  f"{sum(later) / len(later):.1f} s wall, {sum(later_cpu) / len(later_cpu):.1f} s CPU per step",
                  flush=True)
    print(f"load average after {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
