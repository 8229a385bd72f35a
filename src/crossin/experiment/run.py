"""Running an experiment: every run's steps in turn, resumable, and the report at the end.

Layout of `--out DIR`:

    experiment.json            the resolved config (what was asked)
    locks/<run>.lock           who runs the run now (an flock; see `state`)
    jobs/                      submitit's job files and logs (--executor slurm)
    arms/<run>/state.json      status (running / done / failed), finished steps, error, times, host, pid, job id:
                               written only by the process running the run
    arms/<run>/log.txt         the run's progress, every attempt
    arms/<run>/job.json        the Slurm job or Ray task submitted for it
    arms/<run>/arm.json        recipe, sizes, seed: what the report needs to place the run in Figures 3-5
    arms/<run>/data/           train.jsonl, manifest.json          (crossin data build)
    arms/<run>/train/          adapter/, train_log.jsonl, loss.png (crossin train)
    arms/<run>/eval/<bench>/   results.json, samples_<bench>.jsonl  (crossin eval)
    arms/<run>/error.txt       the traceback of a failed run
    report/                    report.md, report.json, plots       (crossin report)

Resume: a rerun skips finished runs and, inside an unfinished one, finished steps; training continues from
its last checkpoint and evaluation from its request cache. A run that fails is recorded and the others go
on. A run whose settings changed since it was started is an error rather than silently mixed. Where the runs
run (this process, local workers, Slurm, Ray) is `executors`; how one run is claimed and run, `execute`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

from ..config import config_to_dict, parse_pair
from ..errors import CrossinError
from ..io import remove_stale_tmp, sha256_text, write_json
from .config import NEW_ARM_FIELDS, ArmConfig, ExecutorConfig, ExperimentConfig, Run, executor_settings
from .load import load_experiment
from .execute import bench_names
from .executors import check_executor, dispatch
from .state import folder_lock, migrate_old_state, read_run_state, run_state_path
from .steps import Steps


def run_fingerprint(cfg: ExperimentConfig, run: Run) -> str:
    """What a run's outputs depend on; a finished run is reused only when this is unchanged."""
    shared = {k: v for k, v in config_to_dict(cfg).items()
              if k not in ("name", "arms", "sweep", "compare", "baseline", "n_boot", "seeds", "executor", "models",
                        "eval_checkpoints")}
    shared["model"] = run.model or cfg.model  # this run's model (one of `models:`, or an eval_only arm's)
    # Where the request cache lives does not change any result.
    shared["eval"] = {k: v for k, v in shared["eval"].items() if k not in ("cache_dir", "no_cache")}
    if run.zero_shot:
        shared = {k: shared[k] for k in ("model", "langs", "benchmarks", "eval")}
    elif cfg.train_config:
        path = Path(cfg.train_config)
        shared["train_config_text"] = path.read_text(encoding="utf-8") if path.exists() else None
    defaults = config_to_dict(ArmConfig())
    arm = {k: v for k, v in config_to_dict(run.arm).items()
           if k != "label" and not (k in NEW_ARM_FIELDS and v == defaults[k])}  # a label changes no result
    return sha256_text(repr(sorted({"shared": repr(sorted(shared.items())), "arm": repr(sorted(arm.items())),
                                    "seed": run.seed}.items())))[:16]


def arm_meta(run: Run, fingerprint: str) -> dict:
    """What the report reads (arm.json) to place a run in Figures 3-5 and label it in Table 3.

    `other_base`: the arm replaces the experiment's English base set (e.g. Alpaca-only in a Platypus grid), so it
    is a row of Table 3 but not a point of the figures, which compare recipes on the same base."""
    return {"name": run.name, "config_name": run.arm.name, "label": run.arm.label or run.name, "recipe": run.arm.recipe,
            "n": run.arm.n, "translation": run.arm.translation, "seed": run.seed, "sweep": run.sweep, "order": run.order,
            "other_base": "base" in run.arm.data, "fingerprint": fingerprint, "model": run.model,
            "model_name": run.model_name, "model_order": run.model_order, "eval_only": run.eval_only}


def executor_config(cfg: ExperimentConfig, overrides: dict | None) -> ExecutorConfig:
    """The YAML's `executor:` section, then the flags typed (`--executor slurm --gpus-per-run 4`)."""
    try:
        return executor_settings(cfg.executor, overrides)
    except CrossinError as e:
        raise CrossinError(f"executor: {e.reason}") from None


def run_experiment(config_path: str | os.PathLike, out: str | os.PathLike, *, overrides: dict | None = None,
                   only: list[str] | None = None, steps: Steps | None = None, report: bool = True,
                   log: Callable[[str], None] = print, executor: dict | None = None, detach: bool = False) -> dict:
    """Run (or resume) every run of the experiment where `executor` says; return the final state (plus `report`
    when written). Other processes may work on the same folder at the same time (see `state`)."""
    cfg, runs = load_experiment(config_path, overrides)
    ex = executor_config(cfg, executor)
    check_executor(ex, detach)
    bench_names(cfg)  # unknown benchmark names fail here, before any work
    out = Path(out)
    if only:
        unknown = sorted(set(only) - {r.name for r in runs})
        if unknown:
            raise CrossinError(f"--only: unknown run(s) {', '.join(unknown)}; runs: {', '.join(r.name for r in runs)}")
        selected = [r for r in runs if r.name in only]
    else:
        selected = runs
    out.mkdir(parents=True, exist_ok=True)
    for path in remove_stale_tmp(out / "report"):
        log(f"removed {path} (left by a killed run)")
    fingerprints = {r.name: run_fingerprint(cfg, r) for r in runs}
    with folder_lock(out):
        migrate_old_state(out, log)
        # Every fingerprint is checked before any work, so a changed config fails fast.
        for r in selected:
            entry = read_run_state(out, r.name)
            old = entry.get("fingerprint")
            if old is not None and old != fingerprints[r.name] and entry.get("status") == "done":
                raise CrossinError(f"run {r.name!r} in this folder was made with different settings; use a new --out, "
                                   f"or delete {out / 'arms' / r.name} to redo it", path=str(run_state_path(out, r.name)))
        # Written only once the settings are accepted, so a refused rerun leaves the folder describing its runs.
        write_json(out / "experiment.json", {"config": config_to_dict(cfg), "config_file": str(config_path),
                                             "runs": [{"name": r.name, **config_to_dict(r.arm), "seed": r.seed,
                                                       "sweep": r.sweep, "model": r.model} for r in runs]})
    jobs = [(cfg, r, str(out), fingerprints[r.name], arm_meta(r, fingerprints[r.name])) for r in selected]
    dispatch(ex, jobs, out, steps, log, detach=detach)
    entries = {r.name: read_run_state(out, r.name) for r in runs}
    result = {"state": {"runs": entries}, "out": str(out), "executor": ex.type}
    if detach:
        return result
    # A run finished under other settings (possible when --only skipped its check) is not mixed into the report.
    done = [r for r in runs if entries[r.name].get("status") == "done"
            and entries[r.name].get("fingerprint") == fingerprints[r.name]]
    if report and done:
        from ..report import build_report

        pairs = [parse_pair(p) for p in cfg.compare]
        compare = [p for p in pairs if all(x in {r.name for r in done} for x in p)] or None
        baseline = cfg.baseline if cfg.baseline in {r.name for r in done} else None
        unfinished = [f"run `{r.name}` is not in this report: " + _why_not_done(r.name, entries[r.name])
                      for r in runs if r not in done]
        result["report"] = build_report([out / "arms" / r.name for r in done], out / "report", compare=compare,
                                        baseline=baseline, n_boot=cfg.n_boot, seed=cfg.seeds[0], title=cfg.name,
                                        notes=unfinished)
        log(f"report: {out / 'report' / 'report.md'}")
    return result


def _why_not_done(name: str, entry: dict) -> str:
    status = entry.get("status")
    if status == "failed":
        return f"it failed ({entry.get('error')}); see arms/{name}/error.txt"
    if status == "done":
        return "it was made with different settings than this config (rerun it with a new --out)"
    return "it has not finished"


def summary_rows(state: dict) -> list[tuple[str, str, str, str]]:
    """(run, status, wall time, error) per run, for the CLI's table."""
    rows = []
    for name, entry in state["runs"].items():
        rows.append((name, entry.get("status", ""), f"{entry.get('wall_s', 0):.0f} s", entry.get("error") or ""))
    return rows
