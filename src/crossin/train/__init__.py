"""`crossin train`: LoRA instruction tuning with the CrossIn paper's settings (TRL SFTTrainer + PEFT).

`TrainConfig` (config.py) holds every hyperparameter; `train(config) -> <out>/adapter` runs it (trainer.py);
data.py formats samples with `crossin.prompts.format_instruction` (the same prompt `crossin eval` uses)
and masks the prompt out of the loss.
"""

from __future__ import annotations

from pathlib import Path

from .config import TrainConfig

__all__ = ["TrainConfig", "train"]


def train(config: TrainConfig, log=None, callbacks=()) -> Path:
    """Train as `config` says; returns the adapter folder `<out>/adapter`. Heavy imports happen here.
    `log(msg)` hears what resume did (skipped checkpoints, removed leftovers); default: stderr."""
    from .trainer import train as _train

    return _train(config, callbacks=callbacks) if log is None else _train(config, log=log, callbacks=callbacks)
