"""Training checkpoints on resume: which one is complete, and whether the run had already reached its end.

A kill can leave a checkpoint folder half written (transformers then refuses to resume from it) or stop a run
after its last checkpoint but before its adapter was saved (resuming would then train one step too many).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

from ..io import tmp_name
from .config import TrainConfig

CHECKPOINT_DIR = re.compile(r"^checkpoint-(\d+)$")
# What a transformers checkpoint holds besides the adapter and tokenizer (not part of a finished adapter).
TRAINER_FILES = ("trainer_state.json", "training_args.bin", "optimizer.pt", "scheduler.pt", "scaler.pt")


def checkpoint_step(path: Path) -> int | None:
    """The global step of a complete checkpoint, None for one a kill cut short. transformers writes
    trainer_state.json last, so a readable one (with the step the folder is named after) and the adapter
    weights mean the checkpoint is whole."""
    m = CHECKPOINT_DIR.match(path.name)
    state = path / "trainer_state.json"
    if not m or not state.is_file():
        return None
    if not any((path / name).is_file() for name in ("adapter_model.safetensors", "adapter_model.bin",
                                                      "adapter_model.tied-once.safetensors",  # --adapter-format
                                                      "model.safetensors", "pytorch_model.bin")):
        return None
    try:
        step = json.loads(state.read_text(encoding="utf-8")).get("global_step")
    except (OSError, ValueError, AttributeError):
        return None
    return step if step == int(m.group(1)) else None


def last_checkpoint(out: Path, say=lambda _msg: None) -> Path | None:
    """The newest complete checkpoint in <out>/checkpoints; incomplete ones (a kill while one was written)
    are skipped, said, and removed (by the main process) so that training can write that step again."""
    ckpt_dir = out / "checkpoints"
    if not ckpt_dir.is_dir():
        return None
    found = sorted((p for p in ckpt_dir.iterdir() if p.is_dir() and CHECKPOINT_DIR.match(p.name)),
                   key=lambda p: int(CHECKPOINT_DIR.match(p.name).group(1)), reverse=True)
    for path in found:
        if checkpoint_step(path) is not None:
            return path
        say(f"skipping incomplete checkpoint {path} (its run was killed while writing it)")
        if os.environ.get("RANK", "0") == "0":
            shutil.rmtree(path, ignore_errors=True)
    return None


def finish_from_checkpoint(checkpoint: Path, target: Path) -> None:
    """The adapter of a run that had reached its last step before it was killed: the checkpoint's adapter and
    tokenizer, written like `save_adapter` (complete or absent), with no further training."""
    tmp = target.with_name(tmp_name(target.name))
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for entry in checkpoint.iterdir():
        if entry.is_file() and entry.name not in TRAINER_FILES and not entry.name.startswith("rng_state"):
            shutil.copy2(entry, tmp / entry.name)
    if target.exists():
        shutil.rmtree(target)
    os.replace(tmp, target)


def reached_end(checkpoint: Path, cfg: TrainConfig, before: dict) -> bool:
    """Whether the checkpoint is at (or past) the last step this config asks for."""
    step = checkpoint_step(checkpoint) or 0
    if cfg.max_steps > 0:
        return step >= cfg.max_steps
    # Epoch-based: the plan is the checkpoint's own when the earlier run was epoch-based too.
    if before.get("config", {}).get("max_steps", -1) != -1:
        return False
    try:
        planned = json.loads((checkpoint / "trainer_state.json").read_text(encoding="utf-8")).get("max_steps")
    except (OSError, ValueError):
        return False
    return isinstance(planned, int) and 0 < planned <= step
