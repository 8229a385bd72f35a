"""Running an experiment: every run's steps in turn, resumable, and the report at the end.

Layout of `--out DIR`:

    experiment.json            the resolved config (what was asked)
    state.json                 per run: status (running / done / failed), finished steps, error, times
    arms/<run>/arm.json        recipe, sizes, seed: what the report needs to place the run in Figures 3-5
    arms/<run>/data/           train.jsonl, manifest.json          (crossin data build)
    arms/<run>/train/          adapter/, train_log.jsonl, loss.png (crossin train)
    arms/<run>/eval/<bench>/   results.json, samples_<bench>.jsonl  (crossin eval)
    arms/<run>/error.txt       the traceback of a failed run
    report/                    report.md, report.json, plots       (crossin report)

Resume: a rerun skips finished runs and, inside an unfinished one, finished steps; training continues from
its last checkpoint and evaluation from its request cache. A run that fails is recorded and the others go
on. A run whose settings changed since it was started is an error rather than silently mixed.
"""

from __future__ import annotations

import os
import shutil
import time
import traceback
from pathlib import Path
from typing import Callable

from ..config import config_to_dict
from ..errors import CrossinError
from ..io import RESULTS_FILE, atomic_write_text, confined, read_json, remove_stale_tmp, sha256_text, write_json
from .config import ExperimentConfig, Run, load_experiment
from .steps import Steps

STATE_FILE = "state.json"


def run_fingerprint(cfg: ExperimentConfig, run: Run) -> str:
    """What a run's outputs depend on; a finished run is reused only when this is unchanged."""
    shared = {k: v for k, v in config_to_dict(cfg).items()
              if k not in ("name", "arms", "sweep", "compare", "baseline", "n_boot", "seeds")}
    # Where the request cache lives does not change any result.
    shared["eval"] = {k: v for k, v in shared["eval"].items() if k not in ("cache_dir", "no_cache")}
    if run.zero_shot:
        shared = {k: shared[k] for k in ("model", "langs", "benchmarks", "eval")}
    elif cfg.train_config:
        path = Path(cfg.train_config)
        shared["train_config_text"] = path.read_text(encoding="utf-8") if path.exists() else None
    arm = {k: v for k, v in config_to_dict(run.arm).items() if k != "label"}  # a label changes no result
    return sha256_text(repr(sorted({"shared": repr(sorted(shared.items())), "arm": repr(sorted(arm.items())),
                                    "seed": run.seed}.items())))[:16]


def arm_meta(run: Run, fingerprint: str) -> dict:
    """What the report reads (arm.json) to place a run in Figures 3-5 and label it in Table 3.

    `other_base`: the arm replaces the experiment's English base set (e.g. Alpaca-only in a Platypus grid), so it
    is a row of Table 3 but not a point of the figures, which compare recipes on the same base."""
    return {"name": run.name, "config_name": run.arm.name, "label": run.arm.label or run.name, "recipe": run.arm.recipe,
            "n": run.arm.n, "translation": run.arm.translation, "seed": run.seed, "sweep": run.sweep, "order": run.order,
            "other_base": "base" in run.arm.data, "fingerprint": fingerprint}


class State:
    """state.json: read once, rewritten atomically after every change so a crash loses nothing."""

    def __init__(self, path: Path):
        self.path = path
        self.data: dict = read_json(path) if path.exists() else {"runs": {}}
        if not isinstance(self.data, dict) or not isinstance(self.data.get("runs"), dict):
            raise CrossinError("not an experiment state file (no 'runs')", path=str(path))

    def run(self, name: str) -> dict:
        return self.data["runs"].setdefault(name, {"status": "pending", "steps": {}})

    def save(self) -> None:
        write_json(self.path, self.data)


def run_experiment(config_path: str | os.PathLike, out: str | os.PathLike, *, overrides: dict | None = None,
                   only: list[str] | None = None, steps: Steps | None = None, report: bool = True,
                   log: Callable[[str], None] = print) -> dict:
    """Run (or resume) every run of the experiment; return the final state (plus `report` when written)."""
    cfg, runs = load_experiment(config_path, overrides)
    _bench_names(cfg)  # unknown benchmark names fail here, before any work
    steps = steps or Steps()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for path in remove_stale_tmp(out):
        log(f"removed {path} (left by a killed run)")
    if only:
        unknown = sorted(set(only) - {r.name for r in runs})
        if unknown:
            raise CrossinError(f"--only: unknown run(s) {', '.join(unknown)}; runs: {', '.join(r.name for r in runs)}")
        selected = [r for r in runs if r.name in only]
    else:
        selected = runs
    state = State(out / STATE_FILE)
    # Check every fingerprint before doing any work, so a changed config fails fast.
    fingerprints = {r.name: run_fingerprint(cfg, r) for r in runs}
    for r in selected:
        entry = state.data["runs"].get(r.name, {})
        old = entry.get("fingerprint")
        if old is not None and old != fingerprints[r.name] and entry.get("status") == "done":
            raise CrossinError(f"run {r.name!r} in this folder was made with different settings; use a new --out, "
                               f"or delete {out / 'arms' / r.name} and its entry in state.json to redo it", path=str(out / STATE_FILE))
    for r in selected:
        entry = state.data["runs"].get(r.name, {})
        if entry.get("fingerprint") not in (None, fingerprints[r.name]):
            # An unfinished run whose settings changed (say, a smaller batch after running out of memory) starts
            # over: its partial data, checkpoints and cache-backed eval belong to the old settings.
            shutil.rmtree(confined(out / "arms", r.name), ignore_errors=True)
            state.data["runs"].pop(r.name)
            state.save()
            log(f"{r.name}: settings changed since its unfinished attempt; starting it over")
    # Written only once the settings are accepted, so a refused rerun leaves the folder describing its runs.
    write_json(out / "experiment.json", {"config": config_to_dict(cfg), "config_file": str(config_path),
                                         "runs": [{"name": r.name, **config_to_dict(r.arm), "seed": r.seed,
                                                   "sweep": r.sweep} for r in runs]})
    for index, r in enumerate(selected, 1):
        entry = state.run(r.name)
        if entry.get("status") == "done":
            log(f"[{index}/{len(selected)}] {r.name}: done earlier, skipped")
            continue
        folder = confined(out / "arms", r.name)
        write_json(folder / "arm.json", arm_meta(r, fingerprints[r.name]))
        entry.update(status="running", fingerprint=fingerprints[r.name], error=None, started=_now())
        entry.setdefault("steps", {})
        state.save()
        log(f"[{index}/{len(selected)}] {r.name}: running")
        t0 = time.time()
        try:
            _run_steps(cfg, r, folder, entry, state, steps, log)
        except Exception as e:  # one failed run must not stop the others; KeyboardInterrupt still does
            entry.update(status="failed", error=f"{type(e).__name__}: {e}", finished=_now())
            entry["wall_s"] = round(entry.get("wall_s", 0) + time.time() - t0, 1)
            atomic_write_text(folder / "error.txt", traceback.format_exc())
            state.save()
            log(f"[{index}/{len(selected)}] {r.name}: FAILED: {type(e).__name__}: {e} (see {folder / 'error.txt'})")
            continue
        entry.update(status="done", finished=_now())
        entry["wall_s"] = round(entry.get("wall_s", 0) + time.time() - t0, 1)
        state.save()
        log(f"[{index}/{len(selected)}] {r.name}: done in {time.time() - t0:.0f} s")
    result = {"state": state.data, "out": str(out)}
    entries = {r.name: state.data["runs"].get(r.name, {}) for r in runs}
    # A run finished under other settings (possible when --only skipped its check) is not mixed into the report.
    done = [r for r in runs if entries[r.name].get("status") == "done"
            and entries[r.name].get("fingerprint") == fingerprints[r.name]]
    if report and done:
        from ..report import build_report

        compare = [tuple(p.split(":", 1)) for p in cfg.compare if all(
            x in {r.name for r in done} for x in p.split(":", 1))] or None
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


def _run_steps(cfg: ExperimentConfig, run: Run, folder: Path, entry: dict, state: State, steps: Steps, log) -> None:
    done = entry["steps"]
    adapter: Path | None = None
    if not run.zero_shot:
        if "data" not in done:
            data_dir = steps.data(cfg, run, folder)
            done["data"] = {"path": _relative(data_dir, folder), "finished": _now()}
            state.save()
            log(f"    data: {data_dir}")
        data_dir = folder / done["data"]["path"]
        if "train" not in done:
            adapter = steps.train(cfg, run, folder, data_dir)
            done["train"] = {"adapter": _relative(adapter, folder), "finished": _now()}
            state.save()
            log(f"    train: {adapter}")
        adapter = folder / done["train"]["adapter"]
    results = steps.eval(cfg, run, folder, adapter)
    done["eval"] = {"finished": _now(), "benchmarks": sorted(results) if isinstance(results, dict) else list(cfg.benchmarks)}
    missing = [b for b in _bench_names(cfg) if not (folder / "eval" / b / RESULTS_FILE).exists()]
    if missing:
        raise CrossinError(f"evaluation wrote no results for {', '.join(missing)}", path=str(folder / "eval"))
    state.save()


def _relative(path: Path, folder: Path) -> str:
    """Paths in state.json are relative to the run folder, so a moved experiment folder still resumes."""
    try:
        return str(Path(path).resolve().relative_to(folder.resolve()))
    except ValueError:
        return str(Path(path).resolve())


def _bench_names(cfg: ExperimentConfig) -> list[str]:
    from ..benchmarks.registry import get_spec

    return [get_spec(b).name for b in cfg.benchmarks]


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def summary_rows(state: dict) -> list[tuple[str, str, str, str]]:
    """(run, status, wall time, error) per run, for the CLI's table."""
    rows = []
    for name, entry in state["runs"].items():
        rows.append((name, entry.get("status", ""), f"{entry.get('wall_s', 0):.0f} s", entry.get("error") or ""))
    return rows
