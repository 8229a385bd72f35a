"""Size and round trip of the paper-config adapter on the embedded Gemma 3 270M (tied embeddings).

Trains `--max-steps` optimizer steps with configs/train/paper.yaml on short English Alpaca rows, saves the adapter
and a checkpoint, reloads the adapter through the eval loader and compares option log-likelihoods with the
in-memory model. Prints sizes in GB (1e9 bytes) and the largest score difference. Slow on CPU (minutes a step).

    python bench/adapter_size.py [--max-steps 1] [--out /tmp/adapter-size] [--adapter-format peft|tied-once]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def folder_gb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e9


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--max-steps", type=int, default=1)
    ap.add_argument("--out", default="")
    ap.add_argument("--adapter-format", default="peft", choices=("peft", "tied-once"))
    a = ap.parse_args()
    data_dir = Path(os.environ.get("CROSSIN_DATA_DIR") or REPO.parent / "shared" / "data")
    if not (data_dir / "parallel_instructions_en_zh_partial" / "en.jsonl").exists():
        sys.exit(f"no Alpaca data under {data_dir}; set CROSSIN_DATA_DIR")

    from crossin.benchmarks import load_benchmark
    from crossin.config import build_config
    from crossin.evaluate import score_options
    from crossin.models.hf import load_model_and_tokenizer
    from crossin.train import TrainConfig
    from crossin.train.trainer import build_trainer, save_adapter

    out = Path(a.out or tempfile.mkdtemp(prefix="adapter-size-"))
    rows = [json.loads(x) for x in (data_dir / "parallel_instructions_en_zh_partial" / "en.jsonl").open()][:16]
    (out / "data").mkdir(parents=True, exist_ok=True)
    (out / "data" / "train.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    cfg = build_config(TrainConfig, yaml_path=REPO / "configs/train/paper.yaml",
                       overrides={"model": "gemma-3-270m", "data": str(out / "data"), "out": str(out / "run"),
                                  "max_steps": a.max_steps, "save_steps": a.max_steps, "learning_rate": 2e-3,
                                  "warmup_ratio": 0.0, "adapter_format": a.adapter_format})  # a warmup would make the first step a no-op
    started = time.perf_counter()
    trainer = build_trainer(cfg)
    trainer.train()
    print(f"trained {a.max_steps} step(s) in {time.perf_counter() - started:.0f} s")
    trainer.optimizer = None
    gc.collect()
    adapter = out / "run" / "adapter"
    save_adapter(trainer, adapter)
    checkpoint = out / "run" / "checkpoints" / f"checkpoint-{a.max_steps}"
    print(f"adapter: {folder_gb(adapter):.3f} GB ({', '.join(sorted(p.name for p in adapter.iterdir()))})")
    print(f"checkpoint: {folder_gb(checkpoint):.3f} GB ({', '.join(sorted(p.name for p in checkpoint.iterdir()))})")

    bench = load_benchmark("cross_mmlu", "en,zh", limit=2)
    model, tok = trainer.model.eval(), trainer.processing_class
    in_memory = score_options(model, tok, bench, mode="loglik")
    with model.disable_adapter():
        base = score_options(model, tok, bench, mode="loglik")
    del trainer, model
    gc.collect()
    reloaded, tok2 = load_model_and_tokenizer("gemma-3-270m", adapter=adapter, device="cpu", dtype="fp32")
    again = score_options(reloaded, tok2, bench, mode="loglik")

    def max_diff(x, y):
        return max(abs(p - q) for k in x for p, q in zip(x[k], y[k]))

    print(f"training moved the scores by {max_diff(in_memory, base):.4f}; "
          f"reloaded vs in memory: {max_diff(again, in_memory):.2e} (must be < 1e-4)")


if __name__ == "__main__":
    main()
