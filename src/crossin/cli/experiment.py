"""`crossin experiment run / status / list`: the paper's comparisons as one resumable run, on this machine or as
Slurm jobs or Ray tasks (see crossin.experiment)."""

from __future__ import annotations

import dataclasses
import functools
import inspect
import time
import typing
from pathlib import Path

import typer
from rich.table import Table

from ..experiment import ExecutorConfig, ExperimentConfig
from .app import console, experiment_app, user_errors
from .options import config_options, field_parameter

# Executor fields that are flags of `experiment run` (the others, Slurm's and Ray's details, too, under their name).
_EXECUTOR_FLAG = {"type": "--executor"}


def _current_context():
    """The running command's context (typer may carry its own copy of click: then it is that copy's)."""
    try:
        from typer._click.globals import get_current_context
    except ImportError:
        from click import get_current_context
    return get_current_context()


def executor_options(fn):
    """Add every ExecutorConfig field to `fn` as an option (`--executor`, `--max-parallel`, `--partition`, ...);
    `fn` gets the ones typed on the command line as `executor={field: value}`."""
    hints = typing.get_type_hints(ExecutorConfig)
    fields = dataclasses.fields(ExecutorConfig)
    params = []
    for f in fields:
        param = field_parameter(f, hints[f.name])
        if f.name in _EXECUTOR_FLAG:
            param.default.param_decls = (_EXECUTOR_FLAG[f.name],)
        params.append(param.replace(name=f"ex_{f.name}"))
    own = [p for p in inspect.signature(fn).parameters.values() if p.name != "executor"]

    @functools.wraps(fn)
    def command(*args, **kwargs):
        ctx = _current_context()
        typed = {}
        for f in fields:
            value = kwargs.pop(f"ex_{f.name}")
            source = ctx.get_parameter_source(f"ex_{f.name}")
            if source is not None and source.name in ("COMMANDLINE", "ENVIRONMENT"):
                if isinstance(value, (list, tuple)):
                    value = [v.strip() for item in value for v in item.split(",") if v.strip()]
                typed[f.name] = value
        return fn(*args, executor=typed, **kwargs)

    del command.__wrapped__
    command.__signature__ = inspect.Signature([*own, *params])
    return command


@experiment_app.command("run")
@user_errors
@config_options(ExperimentConfig, overrides_only=True)
@executor_options
def run(
    overrides: dict,
    experiment: Path = typer.Argument(..., help="Experiment YAML (configs/experiments/*.yaml)."),
    out: Path | None = typer.Option(None, "--out", "-o", help="Experiment folder; rerunning with the same folder resumes "
                                                             "(required unless --dry-run)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print every run, what it needs (model, data, GPU memory) "
                                                          "and estimated GPU-hours; run nothing."),
    only: list[str] = typer.Option(None, "--only", metavar="<str>", help="Run only these runs (repeatable); the others are left as they are."),
    no_report: bool = typer.Option(False, "--no-report", help="Do not write <out>/report at the end."),
    detach: bool = typer.Option(False, "--detach", help="slurm: submit, print the job ids and return; "
                                                        "`crossin experiment status` follows them."),
    executor: dict | None = None,
):
    """Build, train and evaluate every arm (skipping finished ones), then write <out>/report.

    The ExperimentConfig flags override the YAML, e.g. `--seeds 0,1 --benchmarks cross-mmlu`; the executor flags
    override its `executor:` section, e.g. `--executor slurm --gpus-per-run 1 --partition gpu`. Several
    processes may work on one folder at once: each run is claimed by one of them.
    """
    from ..errors import CrossinError
    from ..experiment import run_experiment
    from ..io import check_cache_writable, check_output_dir

    if dry_run:
        print_plan(experiment, overrides)
        return
    if out is None:
        raise CrossinError("--out is needed (the experiment folder), unless --dry-run")
    check_output_dir(out, "--out")
    check_cache_writable()  # the embedded model and eval requests are cached there
    result = run_experiment(experiment, out, overrides=overrides, only=only or None, report=not no_report,
                            log=lambda msg: console.print(msg, highlight=False, markup=False), executor=executor,
                            detach=detach)
    print_status(out, f"experiment {out}")
    if detach:
        return
    failed = [name for name, e in result["state"]["runs"].items() if e.get("status") != "done"
              and (only is None or not only or name in only)]
    if failed:
        console.print(f"{len(failed)} run(s) not finished: {', '.join(failed)}; rerun the same command to retry them.")
        raise typer.Exit(1)


def print_plan(experiment: Path, overrides: dict | None) -> list[dict]:
    """The --dry-run table and its totals."""
    from ..experiment import load_experiment
    from ..experiment.plan import MEASUREMENT, plan_rows

    cfg, runs = load_experiment(experiment, overrides)
    rows = plan_rows(cfg, runs)
    table = Table(title=f"{cfg.name}: {len(rows)} runs (dry run: nothing is run)")
    for column in ("run", "model", "data", "eval", "GPU memory", "GPU-hours"):
        table.add_column(column, overflow="fold")
    for r in rows:
        table.add_row(r["run"], r["model"], r["data"], r["eval"],
                      "-" if r["gpu_memory_gib"] is None else f"~{r['gpu_memory_gib']} GiB",
                      "-" if r["gpu_hours"] is None else f"{r['gpu_hours']:.2f}")
    console.print(table)
    known = [r["gpu_hours"] for r in rows if r["gpu_hours"] is not None]
    console.print(f"total: ~{sum(known):.1f} GPU-hours for {len(known)} runs of known size"
                  + (f"; {len(rows) - len(known)} run(s) behind an API or of unknown size not counted" if len(known) < len(rows) else "")
                  + f". Estimate from: {MEASUREMENT}.", highlight=False, markup=False)
    return rows


def print_status(out: Path, title: str) -> list[dict]:
    from ..experiment import status_rows

    rows = status_rows(out)
    table = Table(title=title)
    for column in ("run", "status", "where", "job", "elapsed", "last log line", "error"):
        table.add_column(column, overflow="fold")
    colors = {"failed": "red", "running": "cyan", "done": "green", "interrupted": "yellow", "queued": "blue"}
    for row in rows:
        job = row["job"] if len(row["job"]) <= 20 else row["job"][:16] + "..."  # Ray's task ids are 48 digits
        table.add_row(row["run"], row["status"], row["where"], job, _duration(row["elapsed_s"]),
                      row["last_log"], row["error"], style=colors.get(row["status"]))
    console.print(table)
    return rows


def _duration(seconds: float) -> str:
    if not seconds:
        return ""
    minutes, s = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{s:02d}s" if minutes else f"{s}s"


@experiment_app.command("status")
@user_errors
def status(
    out: Path = typer.Argument(..., help="Experiment folder (the --out of `crossin experiment run`)."),
    watch: bool = typer.Option(False, "--watch", "-w", help="Refresh the table until every run has ended (Ctrl-C stops watching)."),
    interval: float = typer.Option(10.0, "--interval", min=0.1, max=86400.0, help="Seconds between two refreshes with --watch."),
):
    """One table of the experiment's runs: status, where each runs, its job, elapsed time, last log line, error."""
    from ..errors import CrossinError

    if not (out / "experiment.json").exists() and not (out / "arms").is_dir():
        raise CrossinError("not an experiment folder (no experiment.json, no arms/)", path=str(out))
    while True:
        if watch:
            console.clear()
        rows = print_status(out, f"experiment {out} at {time.strftime('%H:%M:%S')}")
        if not watch or not any(r["status"] in ("running", "queued") for r in rows):
            return
        time.sleep(interval)


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
    several = len({r.model for r in runs}) > 1  # the model column only when runs differ in it (models:, eval_only)
    for column in ("run", *(("model",) if several else ()), "recipe", "CrossIn n", "translation", "seed", "sweep"):
        table.add_column(column)
    for r in runs:
        recipe = "eval only" if r.eval_only else r.arm.recipe
        table.add_row(r.name, *((r.model,) if several else ()), recipe, str(r.arm.n), str(r.arm.translation),
                      str(r.seed), "yes" if r.sweep else "")
    console.print(table)


def _list_folder(folder: Path) -> None:
    """An experiment folder: its runs as their state files record them (the `status` table)."""
    from ..errors import CrossinError

    if not (folder / "experiment.json").exists() and not (folder / "arms").is_dir():
        raise CrossinError("not an experiment folder (no experiment.json, no arms/); give an experiment YAML or the "
                           "--out folder of `crossin experiment run`", path=str(folder))
    print_status(folder, f"experiment {folder}")
