"""Training speed: `crossin train` against a plain TRL SFTTrainer script, same model, data, LoRA config and batch.

    python bench/train_speed.py                      # scaled-down Gemma 3 (4 layers, real 262k vocab), CPU-friendly
    python bench/train_speed.py --model gemma-3-270m # the embedded model itself (about 10 s per step on 2 cores)

Both runs train the same samples (Alpaca, English, from $CROSSIN_DATA_DIR) for the same number of optimizer
steps with the paper's LoRA config (r 64, alpha 128, all projections, embed_tokens + lm_head in full),
the same device batch and accumulation, fp32 on CPU / bf16 on GPU. tokens/s = tokens of the trained samples
(prompt + response, no padding) / wall time of `trainer.train()`.

The baseline is what a user would write from the TRL docs: a prompt-completion dataset, `SFTConfig` defaults
(gradient checkpointing on, padded batches), `peft_config=LoraConfig(...)`. It is also run with gradient
checkpointing off, to separate that gain from crossin's own (padding-free batches, logits only at response
positions, one tied embedding matrix instead of two).
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


def load_rows(n: int) -> list[dict]:
    data_dir = Path(os.environ.get("CROSSIN_DATA_DIR") or REPO.parent / "shared" / "data")
    rows = []
    with open(data_dir / "parallel_instructions_en_zh_partial" / "en.jsonl", encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            if len(r["instruction"]) + len(r["input"]) + len(r["output"]) < 600:  # keep CPU steps short
                rows.append(r)
            if len(rows) == n:
                break
    return rows


def make_model_dir(arch: str, root: Path) -> str:
    """The embedded model, or its architecture scaled down to 4 layers (random weights, same vocab and width)."""
    if arch == "gemma-3-270m":
        return arch
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    from crossin.models.embedded import embedded_model_dir
    from crossin.models.hf import load_tokenizer

    config = AutoConfig.from_pretrained(embedded_model_dir())
    config.num_hidden_layers = 4
    config.layer_types = config.layer_types[:4]
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    model.save_pretrained(root / "scaled")
    load_tokenizer("gemma-3-270m").save_pretrained(root / "scaled")
    return str(root / "scaled")


def lora_kwargs() -> dict:
    """The baseline gets crossin's LoRA defaults (the paper's), so the two runs cannot drift apart."""
    from crossin.train import TrainConfig

    cfg = TrainConfig()
    return dict(r=cfg.lora_r, lora_alpha=cfg.lora_alpha, lora_dropout=cfg.lora_dropout, task_type="CAUSAL_LM",
                target_modules=list(cfg.target_modules), modules_to_save=list(cfg.modules_to_save))


def run_trl(model_dir: str, rows: list[dict], out: Path, batch: int, accum: int, bf16: bool, checkpointing: bool):
    import torch
    from datasets import Dataset
    from peft import LoraConfig
    from transformers import AutoModelForCausalLM
    from trl import SFTConfig, SFTTrainer

    from crossin.models.hf import load_tokenizer, resolve_model_path
    from crossin.prompts import format_instruction

    tok = load_tokenizer(model_dir)
    model = AutoModelForCausalLM.from_pretrained(resolve_model_path(model_dir), dtype=torch.float32)
    ds = Dataset.from_list([{"prompt": format_instruction(r["instruction"], r["input"]), "completion": r["output"]}
                            for r in rows])
    args = SFTConfig(output_dir=str(out), per_device_train_batch_size=batch, gradient_accumulation_steps=accum,
                     learning_rate=1e-4, num_train_epochs=1, warmup_steps=0.03, weight_decay=0.0, seed=42,
                     bf16=bf16, gradient_checkpointing=checkpointing, save_strategy="no", report_to="none",
                     logging_steps=1, disable_tqdm=True, dataloader_pin_memory=torch.cuda.is_available())
    trainer = SFTTrainer(model=model, args=args, train_dataset=ds, processing_class=tok,
                         peft_config=LoraConfig(**lora_kwargs()))
    tokens = sum(len(x) for x in trainer.train_dataset["input_ids"])
    return _timed(trainer, tokens)


def run_crossin(model_dir: str, rows: list[dict], out: Path, batch: int, accum: int, bf16: bool):
    from crossin.train import TrainConfig
    from crossin.train.trainer import build_trainer

    data = out / "train.jsonl"
    out.mkdir(parents=True, exist_ok=True)
    data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    cfg = TrainConfig(model=model_dir, data=str(data), out=str(out), per_device_batch_size=batch,
                      effective_batch_size=batch * accum, precision="bf16" if bf16 else "fp32", save_steps=10**6)
    trainer = build_trainer(cfg)
    trainer.args.disable_tqdm = True
    tokens = sum(len(x) for x in trainer.train_dataset["input_ids"])
    return _timed(trainer, tokens, crossin_scope=True)


def _timed(trainer, tokens: int, crossin_scope: bool = False) -> dict:
    import contextlib

    from crossin.models.hf import attention_without_cudnn

    # crossin's train() runs under attention_without_cudnn; the TRL baseline runs as a user's script would.
    scope = attention_without_cudnn(trainer.args.device) if crossin_scope else contextlib.nullcontext()
    start = time.perf_counter()
    with scope:
        trainer.train()
    seconds = time.perf_counter() - start
    steps = trainer.state.global_step
    losses = [h["loss"] for h in trainer.state.log_history if "loss" in h]
    del trainer
    gc.collect()
    return {"tokens": tokens, "seconds": round(seconds, 2), "tokens_per_s": round(tokens / seconds, 1),
            "steps": steps, "first_loss": round(losses[0], 4), "last_loss": round(losses[-1], 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="scaled", help="'scaled' (4-layer Gemma 3, random) or gemma-3-270m")
    parser.add_argument("--steps", type=int, default=4, help="optimizer steps per run")
    parser.add_argument("--batch", type=int, default=4, help="device batch")
    parser.add_argument("--accum", type=int, default=2, help="gradient accumulation steps")
    parser.add_argument("--skip-checkpointing-baseline", action="store_true")
    a = parser.parse_args()

    import torch

    bf16 = torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    rows = load_rows(a.steps * a.batch * a.accum)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        model_dir = make_model_dir(a.model, root)
        results = {}
        if not a.skip_checkpointing_baseline:
            results["trl (defaults: gradient checkpointing)"] = run_trl(model_dir, rows, root / "trl_gc", a.batch,
                                                                         a.accum, bf16, True)
        results["trl (no gradient checkpointing)"] = run_trl(model_dir, rows, root / "trl", a.batch, a.accum, bf16,
                                                             False)
        results["crossin"] = run_crossin(model_dir, rows, root / "crossin", a.batch, a.accum, bf16)
    device = torch.cuda.get_device_name() if torch.cuda.is_available() else f"CPU, {torch.get_num_threads()} threads"
    print(f"model: {a.model}; {len(rows)} samples, {a.steps} steps of {a.batch}x{a.accum}; "
          f"{'bf16' if bf16 else 'fp32'}; {device}")
    for name, r in results.items():
        print(f"{name:42s} {r['tokens_per_s']:9.1f} tokens/s  ({r['tokens']} tokens in {r['seconds']} s, "
              f"loss {r['first_loss']} -> {r['last_loss']})")
    ours = results["crossin"]["tokens_per_s"]
    for name, r in results.items():
        if name != "crossin":
            print(f"ratio crossin / {name}: {ours / r['tokens_per_s']:.2f}x")
    json.dump(results, sys.stderr)
    print(file=sys.stderr)


if __name__ == "__main__":
    main()
