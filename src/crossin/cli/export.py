"""`crossin export lm-eval`: the benchmarks as lm-evaluation-harness tasks (see crossin.lmeval.export)."""

from __future__ import annotations

from ..lmeval.export import ExportConfig
from .app import console, export_app, user_errors
from .options import config_options


@export_app.command("lm-eval")
@user_errors
@config_options(ExportConfig, names={"bench": ("-b",), "out": ("-o",)})
def lm_eval_command(cfg: ExportConfig) -> None:
    """Write one lm-eval multiple_choice task per benchmark and language (acc, acc_norm), a group per benchmark."""
    from ..lmeval.export import export_lm_eval

    groups = export_lm_eval(cfg)
    tasks = ",".join(t for group in groups.values() for t in group)
    console.print(f"wrote {sum(map(len, groups.values()))} tasks in {len(groups)} groups ({', '.join(groups)}) "
                  f"to {cfg.out}", highlight=False)
    console.print(f"run: lm_eval --model hf --model_args pretrained=MODEL --include_path {cfg.out} --tasks {tasks} "
                  "--log_samples --output_path OUT", highlight=False, soft_wrap=True)
