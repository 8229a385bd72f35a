"""CLI commands for train (see the module docstring of crossin.train)."""

from __future__ import annotations

from rich.text import Text

from ..train.config import TrainConfig
from .app import app, console, user_errors
from .options import config_options


@app.command(
    "train",
    epilog="Order: defaults (the paper's) < --config YAML < flags. "
           "Multi-GPU: accelerate launch --config_file configs/accelerate/ddp.yaml -m crossin train ...",
)
@user_errors
@config_options(TrainConfig)
def train_command(cfg: TrainConfig) -> None:
    """LoRA instruction tuning with the CrossIn paper's settings (TRL SFTTrainer + PEFT)."""
    from ..config import config_to_dict
    from ..train import train

    console.print(Text.assemble(("crossin train", "bold"), f" {config_to_dict(cfg)}"), highlight=False, soft_wrap=True)
    from ..train.trainer import cpu_hint

    hint = cpu_hint(cfg)
    if hint:
        console.print(hint, style="yellow", highlight=False, soft_wrap=True)
    adapter = train(cfg, log=lambda msg: console.print(msg, highlight=False, markup=False))
    console.print(f"adapter: {adapter}", highlight=False)
