"""`crossin experiment run`: the paper's comparisons as one resumable run (see crossin.experiment)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from ..experiment import ExperimentConfig
from .app import console, experiment_app, user_errors
from .options import config_options


@experiment_app.command("run")
@user_errors
@config_options(ExperimentConfig, overrides_only=True)
def run(
    overrides: dict,
    experiment: Path = typer.Argument(..., help="Experiment YAML (configs/experiments/*.yaml)."),
    out: Path = typer.Option(..., "--out", "-o", help="Experiment folder; rerunning with the same folder resumes."),
    only: list[str] = typer.Option(None, "--only", metavar="<str>", help="Run only these runs (repeatable); the others are left as they are."),
    no_report: bool = typer.Option(False, "--no-report", help="Do not write <out>/report at the end."),
):
    """Build, train and evaluate every arm (skipping finished ones), then write <out>/report.

    The ExperimentConfig flags override the YAML, e.g. `--seeds 0,1 --benchmarks cross-mmlu`.
    """
    from ..experiment import run_experiment, summary_rows
    from ..io import check_cache_writable, check_output_dir

    check_output_dir(out, "--out")
    check_cache_writable()  # the embedded model and eval requests are cached there
    result = run_experiment(experiment, out, overrides=overrides, only=only or None, report=not no_report,
                            log=lambda msg: console.print(msg, highlight=False, markup=False))
    table = Table(title=f"experiment {out}")
    for column in ("run", "status", "time", "error"):
        table.add_column(column)
    for row in summary_rows(result["state"]):
        table.add_row(*row, style="red" if row[1] == "failed" else None)
    console.print(table)
    failed = [name for name, e in result["state"]["runs"].items() if e.get("status") != "done"]
    if failed:
        console.print(f"{len(failed)} run(s) not finished: {', '.join(failed)}; rerun the same command to retry them.")
        raise typer.Exit(1)


@experiment_app.command("list")
@user_errors
def list_runs(config: Path = typer.Argument(..., help="Experiment YAML, or an experiment's --out folder.")):
    """Print the runs a config asks for without running anything, or an experiment folder's runs and their status."""
    if config.is_dir():
        _list_folder(config)
        return
    from ..experiment import load_experiment

    cfg, runs = load_experiment(config)
    table = Table(title=f"{cfg.name}: {len(runs)} runs")
    for column in ("run", "recipe", "CrossIn n", "translation", "seed", "sweep"):
        table.add_column(column)
    for r in runs:
        table.add_row(r.name, r.arm.recipe, str(r.arm.n), str(r.arm.translation), str(r.seed), "yes" if r.sweep else "")
    console.print(table)


def _list_folder(folder: Path) -> None:
    """An experiment folder: its runs as state.json records them (status, time, error)."""
    from ..errors import CrossinError
    from ..experiment import summary_rows
    from ..experiment.run import STATE_FILE
    from ..io import read_json

    if not (folder / STATE_FILE).is_file():
        raise CrossinError(f"not an experiment folder (no {STATE_FILE}); give an experiment YAML or the --out "
                           "folder of `crossin experiment run`", path=str(folder))
    state = read_json(folder / STATE_FILE)
    rows = summary_rows(state)
    table = Table(title=f"experiment {folder}: {len(rows)} runs")
    for column in ("run", "status", "time", "error"):
        table.add_column(column)
    for row in rows:
        table.add_row(*row, style="red" if row[1] == "failed" else None)
    console.print(table)
