"""CLI commands for train (see the module docstring of crossin.train)."""

from __future__ import annotations


from ..train.config import TrainConfig
from .app import app, console, user_errors
from .options import config_options


@app.command(
    "train",
    epilog="Order: defaults (the paper's) < --config YAML < flags. "
           "Multi-GPU: accelerate launch --config_file <crossin>/experiment/accelerate/ddp.yaml -m crossin train ... "
           "(README: Multi-GPU).",
)
@user_errors
@config_options(TrainConfig)
def train_command(cfg: TrainConfig) -> None:
    """LoRA instruction tuning with the CrossIn paper's settings (TRL SFTTrainer + PEFT)."""
    from ..train import train

    cfg.validate()  # before the config is printed, so a refusal is the only line
    console.print(config_summary(cfg), highlight=False, markup=False)
    from ..train.trainer import cpu_hint

    hint = cpu_hint(cfg)
    if hint:
        console.print(hint, style="yellow", highlight=False, soft_wrap=True)
    adapter = train(cfg, log=lambda msg: console.print(msg, highlight=False, markup=False))
    console.print(f"adapter: {adapter}", highlight=False)


def config_summary(cfg: TrainConfig) -> str:
    """The run's config, one field a line: where it reads and writes first, then what differs from the paper's
    defaults (the whole config is in <out>/train_config.json)."""
    import dataclasses

    from ..config import config_to_dict, differs

    values = config_to_dict(cfg)
    shown = ["model", "data", "out"] + [f.name for f in dataclasses.fields(cfg)
                                        if f.name not in ("model", "data", "out") and differs(cfg, f.name)]
    width = max(map(len, shown))

    def text(v):
        return ",".join(map(str, v)) if isinstance(v, list) else str(v)

    lines = ["crossin train (fields not listed: the paper's defaults; all in <out>/train_config.json)"]
    return "\n".join(lines + [f"  {name.ljust(width)}  {text(values[name])}" for name in shown])
