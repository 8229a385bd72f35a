"""`crossin export lm-eval|merged|results`: the benchmarks as lm-evaluation-harness tasks (crossin.lmeval.export), a
merged model folder (crossin.models.merge), eval results in the Hub's and Every Eval Ever's formats
(crossin.report.export)."""

from __future__ import annotations

from pathlib import Path

import typer

from ..lmeval.export import ExportConfig
from ..models.merge import MergedExportConfig
from ..report.export import ResultsExportConfig
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


@export_app.command("merged")
@user_errors
@config_options(MergedExportConfig)
def merged_command(cfg: MergedExportConfig) -> None:
    """Merge an adapter into its base model and write a full model folder (safetensors + tokenizer) that vLLM and
    transformers load; for adapters vLLM cannot serve as LoRA (trained embeddings)."""
    from ..models.merge import export_merged

    done = export_merged(cfg.adapter, cfg.out, cfg.model, cfg.dtype)
    console.print(f"wrote {done['out']} ({done['base']} + {done['adapter']}, merged"
                  f"{'; embeddings untied' if done['untied'] else ''}): {', '.join(done['files'])}", highlight=False,
                  soft_wrap=True)
    console.print(f"serve it: vllm serve {done['out']}   or   crossin serve --model {done['out']}", highlight=False,
                  soft_wrap=True)


@export_app.command("results")
@user_errors
@config_options(ResultsExportConfig, skip=("dirs",), names={"out": ("-o",)})
def results_command(cfg: ResultsExportConfig, folders: list[Path] = typer.Argument(
        None, metavar="DIRS...", show_default=False, help="Eval result folders (<run>/<bench>/results.json), "
        "experiment folders, or results.json files.")) -> None:
    """Eval results for other tools: --format hf (a model repo's README.md model-index and .eval_results/*.yaml) or
    every-eval-ever (records checked against its published schema)."""
    from ..report.export import export_results

    if folders:
        cfg.dirs = [str(f) for f in folders]
    written = export_results(cfg)
    console.print(f"wrote {len(written)} files ({cfg.format}) to {cfg.out}", highlight=False)
    for path in written:
        console.print(f"  {path}", highlight=False)
