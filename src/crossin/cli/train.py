"""CLI commands for train (see the module docstring of crossin.train)."""

from __future__ import annotations

from pathlib import Path

import typer

from ..train.config import TrainConfig
from .app import app, console, user_errors


def _fields_help() -> str:
    """Every TrainConfig field as a flag with its default and help (the config module is light to import)."""
    import dataclasses

    lines = []
    for f in dataclasses.fields(TrainConfig):
        default = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
        if isinstance(default, list):
            default = ",".join(default)
        lines.append(f"--{f.name.replace('_', '-')} ({default}): {f.metadata.get('help', '')}")
    return "\n\n".join(lines)


@app.command(
    "train",
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    epilog="Any TrainConfig field can be given as a flag, e.g. --lora-r 32 --learning-rate 2e-4 --precision bf16 "
           "--target-modules q_proj,v_proj. Order: defaults (the paper's) < --config YAML < flags. "
           "Multi-GPU: accelerate launch --config_file configs/accelerate/ddp.yaml -m crossin train ...\n\n"
           "Fields (default):\n\n" + _fields_help(),
)
@user_errors
def train_command(
    ctx: typer.Context,
    model: str = typer.Option(None, "--model", help="Base model: gemma-3-270m (embedded), a local folder or a Hub id."),
    data: str = typer.Option(None, "--data", help="Folder with train.jsonl (from `crossin data build`) or a JSONL file."),
    out: Path = typer.Option(None, "--out", help="Output folder (adapter/, train_log.jsonl, loss.png, ...)."),
    config: Path = typer.Option(None, "--config", help="YAML file of TrainConfig fields, e.g. configs/train/paper.yaml."),
    max_steps: int = typer.Option(None, "--max-steps", help="Stop after N optimizer steps."),
    resume: bool = typer.Option(False, "--resume", help="Continue from the last checkpoint in OUT/checkpoints."),
) -> None:
    """LoRA instruction tuning with the CrossIn paper's settings (TRL SFTTrainer + PEFT)."""
    from ..config import build_config, config_to_dict, parse_cli_overrides
    from ..train import train

    overrides = parse_cli_overrides(list(ctx.args))
    named = {"model": model, "data": data, "out": str(out) if out else None, "max_steps": max_steps,
             "resume": True if resume else None}
    overrides.update({k: v for k, v in named.items() if v is not None})
    cfg = build_config(TrainConfig, config, overrides)
    console.print(f"[bold]crossin train[/] {config_to_dict(cfg)}", highlight=False, soft_wrap=True)
    adapter = train(cfg, log=lambda msg: console.print(msg, highlight=False, markup=False))
    console.print(f"adapter: {adapter}", highlight=False)
