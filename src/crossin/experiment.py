"""`crossin experiment`: the paper's comparisons as one resumable run.

An experiment is a grid of arms. Each arm is a training-data recipe and size (English base only,
monolingual, en2x, x2en, x2x, x2x + translation, a sweep of CrossIn sizes), run once per seed: build the
mix (`crossin.data`), LoRA-tune the base model on it (`crossin.train`), evaluate the adapter
(`crossin.evaluate`). The zero-shot base model is always an arm (evaluation only). At the end a report
(`crossin.report`) is written over every finished arm.

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
import re
import shutil
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from .config import arg, build_config, config_to_dict
from .errors import CrossinError
from .io import RESULTS_FILE, atomic_write_text, confined, read_json, remove_stale_tmp, sha256_text, write_json
from .langs import PAPER_LANGS, parse_langs
from .recipe_names import ARM_RECIPES, EN_ONLY, X2X, ZERO_SHOT, data_recipe

STEPS = ("data", "train", "eval")
STATE_FILE = "state.json"
RUN_NAME = re.compile(r"[A-Za-z0-9_+=-][A-Za-z0-9_.+=-]{0,99}")


@dataclass
class ArmConfig:
    recipe: str = arg(X2X, help=f"Training data: {EN_ONLY} (the English base set alone), {', '.join(ARM_RECIPES[1:-1])} "
                                f"or {ARM_RECIPES[-1]}.")
    n: int = arg(0, min=0, help=f"Number of CrossIn samples of the recipe added to the English base set (0 for {EN_ONLY}).")
    translation: int = arg(0, min=0, help="Number of translation samples added (the paper's Trans part).")
    name: str = arg("", help="Arm name (folder and label in the report); default: recipe, size and translation.")
    label: str = arg("", help="Row label in the report's Table 3 (e.g. the paper's 'Tuning w/ Alpaca'); default: the name.")
    data: dict = arg({}, help="Extra `crossin data build` settings for this arm only (DataConfig fields).")
    train: dict = arg({}, help="Extra `crossin train` settings for this arm only (TrainConfig fields).")


@dataclass
class SweepConfig:
    recipe: str = arg(X2X, help="Recipe whose size is swept (the paper's Figure 5).")
    sizes: list[int] = arg([], min=1, help="Numbers of CrossIn samples, one arm each.")
    translation: int = arg(0, min=0, help="Translation samples added to every sweep arm.")


@dataclass
class ExperimentConfig:
    name: str = arg("experiment", help="Experiment name (report title).")
    model: str = arg("gemma-3-270m", help="Base model: the embedded `gemma-3-270m`, a local folder or a Hub id.")
    langs: list[str] = arg(list(PAPER_LANGS), help="Evaluation languages (codes).")
    data_langs: list[str] | None = arg(None, help="Languages of the training mixes (default: langs); the parallel corpus must have them.")
    benchmarks: list[str] = arg(["cross-mmlu", "cross-logiqa"], help="Benchmarks every run is evaluated on.")
    seeds: list[int] = arg([0], min=0, max=2**32 - 1, help="Seeds; every arm runs once per seed (data sampling, LoRA init, data order).")
    parallel: str = arg("", help="Parallel instruction corpus (folder of per-language files; $VARS are expanded).")
    base: str | None = arg(None, help="English base corpus (default: the English side of the parallel corpus).")
    base_n: int | None = arg(None, min=-1, help="Samples of the English base set (None = all of it).")
    data: dict = arg({}, help="Extra `crossin data build` settings for every arm (DataConfig fields).")
    train_config: str | None = arg(None, help="A `crossin train` YAML config (TrainConfig) every arm starts from.")
    train: dict = arg({}, help="`crossin train` settings for every arm (TrainConfig fields), over train_config.")
    eval: dict = arg({}, help="`crossin eval` settings (EvalConfig fields: mode, limit, batch_size, ...).")
    arms: list[dict] = arg([], help="The arms (ArmConfig fields: recipe, n, translation, name, data, train).")
    sweep: dict | None = arg(None, help="A size sweep (SweepConfig fields: recipe, sizes, translation).")
    compare: list[str] = arg([], help="Paired comparisons for the report, as 'A:B' run names (default: every run vs the English-only arm).")
    baseline: str | None = arg(None, help="Run every other run is compared with in the report (default: the English-only arm).")
    n_boot: int = arg(10000, min=1, help="Paired bootstrap resamples in the report.")


@dataclass
class Run:
    """One arm at one seed: the unit that is built, trained, evaluated and resumed."""

    name: str
    arm: ArmConfig
    seed: int
    order: int
    sweep: bool = False

    @property
    def zero_shot(self) -> bool:
        return self.arm.recipe == ZERO_SHOT


def _expand(value: str | None) -> str | None:
    if value is None:
        return None
    expanded = os.path.expandvars(os.path.expanduser(value))
    left = re.findall(r"\$\{?(\w+)", expanded)
    if left:
        raise CrossinError(f"{value!r}: environment variable ${left[0]} is not set")
    return expanded


def _resolve(value: str | None, config_dir: Path) -> str | None:
    """A path from the config: $VARS expanded; a relative path is taken from the config file's folder when it
    exists there (shipped configs point at each other), else from the working directory."""
    value = _expand(value)
    if value is None or os.path.isabs(value) or value.startswith("hf:"):
        return value
    beside = config_dir / value
    return str(beside) if beside.exists() else value


def _arm_name(arm: ArmConfig) -> str:
    if arm.recipe == EN_ONLY:
        name = EN_ONLY
    else:
        name = f"{arm.recipe}-n{arm.n}"
    return name + (f"+trans{arm.translation}" if arm.translation else "")


def load_experiment(path: str | os.PathLike, overrides: dict[str, Any] | None = None) -> tuple[ExperimentConfig, list[Run]]:
    """Read and validate the YAML config; return it with the runs it asks for (zero-shot first)."""
    cfg = build_config(ExperimentConfig, path, overrides)
    where = str(path)
    config_dir = Path(path).resolve().parent
    for key in ("parallel", "base", "train_config"):
        try:
            setattr(cfg, key, _resolve(getattr(cfg, key), config_dir) if getattr(cfg, key) else getattr(cfg, key))
        except CrossinError as e:
            raise CrossinError(f"{key}: {e.reason}", path=where) from None
    if cfg.train_config and not Path(cfg.train_config).is_file():
        raise CrossinError(f"train_config: {cfg.train_config} not found (relative paths are read from the config's "
                           "folder, then the working directory)", path=where)
    cfg.langs = list(parse_langs(cfg.langs))
    if cfg.data_langs is not None:
        cfg.data_langs = list(parse_langs(cfg.data_langs))
    if not cfg.benchmarks:
        raise CrossinError("benchmarks: at least one benchmark is needed", path=where)
    if not cfg.seeds or len(set(cfg.seeds)) != len(cfg.seeds):
        raise CrossinError(f"seeds: need distinct seeds, got {cfg.seeds}", path=where)
    arms: list[tuple[ArmConfig, bool]] = []
    for i, raw in enumerate(cfg.arms):
        if not isinstance(raw, dict):
            raise CrossinError(f"arms[{i}]: expected a mapping, got {raw!r}", path=where)
        try:
            arms.append((build_config(ArmConfig, None, raw), False))
        except CrossinError as e:
            raise CrossinError(f"arms[{i}]: {e.reason}", path=where) from None
    if cfg.sweep:
        try:
            sweep = build_config(SweepConfig, None, cfg.sweep)
        except CrossinError as e:
            raise CrossinError(f"sweep: {e.reason}", path=where) from None
        for n in sweep.sizes:
            arms.append((ArmConfig(recipe=sweep.recipe, n=n, translation=sweep.translation), True))
    runs: list[Run] = []
    seen: dict[tuple, str] = {}
    order = 1
    for i, (arm, is_sweep) in enumerate(arms):
        label = f"arms[{i}]" if not is_sweep else "sweep"
        if arm.recipe not in ARM_RECIPES:
            raise CrossinError(f"{label}: unknown recipe {arm.recipe!r}; choose from {', '.join(ARM_RECIPES)}", path=where)
        if arm.recipe == EN_ONLY and arm.n:
            raise CrossinError(f"{label}: {EN_ONLY} takes no CrossIn samples (n must be 0)", path=where)
        if arm.recipe != EN_ONLY and arm.n <= 0:
            raise CrossinError(f"{label}: recipe {arm.recipe} needs n > 0 CrossIn samples", path=where)
        if arm.translation < 0:
            raise CrossinError(f"{label}: translation must be >= 0", path=where)
        key = (arm.recipe, arm.n, arm.translation, sorted(arm.data.items()), sorted(arm.train.items()))
        if str(key) in seen:
            if is_sweep:
                continue  # the sweep may contain a size also listed as an explicit arm: run it once
            raise CrossinError(f"{label}: same recipe, size and translation as arm {seen[str(key)]!r}", path=where)
        arm.name = arm.name or _arm_name(arm)
        # The name is a folder under <out>/arms: one plain component ('..' would be <out> itself).
        if not RUN_NAME.fullmatch(arm.name) or arm.name == ZERO_SHOT:
            raise CrossinError(f"{label}: arm name {arm.name!r} must be letters, digits, _ . + = - (not starting "
                               f"with a dot, at most 100 characters) and not {ZERO_SHOT!r}", path=where)
        seen[str(key)] = arm.name
        for seed in cfg.seeds:
            runs.append(Run(name=arm.name if len(cfg.seeds) == 1 else f"{arm.name}-s{seed}", arm=arm, seed=seed,
                            order=order, sweep=is_sweep))
        order += 1
    names = [r.name for r in runs]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise CrossinError(f"arm names must be unique: {', '.join(dupes)}", path=where)
    if runs and not cfg.parallel:
        raise CrossinError("parallel: a parallel instruction corpus is needed to build the training mixes", path=where)
    # The zero-shot base model does not depend on the seed of training; it is evaluated once.
    zero = ArmConfig(recipe=ZERO_SHOT, name=ZERO_SHOT, label="Base model")
    runs.insert(0, Run(name=ZERO_SHOT, arm=zero, seed=cfg.seeds[0], order=0))
    _check_sections(cfg, runs, arms, where)
    for pair in cfg.compare:
        a, sep, b = pair.partition(":")
        if not sep or a not in [r.name for r in runs] or b not in [r.name for r in runs]:
            raise CrossinError(f"compare: {pair!r} must be 'A:B' with A and B run names ({', '.join(r.name for r in runs)})", path=where)
    return cfg, runs


def _check_sections(cfg: ExperimentConfig, runs: list[Run], arms: list[tuple[ArmConfig, bool]], where: str) -> None:
    """Every nested section (data:, train:, eval:, arms[].data, arms[].train) through its own config class and the
    config each run will get, so a typo or a bad value fails now rather than after other arms ran."""
    from .data import DataConfig
    from .evaluate import EvalConfig
    from .train import TrainConfig

    def check(label: str, make) -> None:
        try:
            make()
        except CrossinError as e:
            raise CrossinError(f"{label}: {e.reason}", path=where if e.path in (None, "flags", "config") else e.path,
                               line=e.line) from None

    check("eval", lambda: build_config(EvalConfig, None, cfg.eval))
    check("data", lambda: build_config(DataConfig, None, cfg.data))
    check("train", lambda: build_config(TrainConfig, None, cfg.train))
    for i, (arm, is_sweep) in enumerate(arms):
        if not is_sweep:
            check(f"arms[{i}].data", lambda: build_config(DataConfig, None, arm.data))
            check(f"arms[{i}].train", lambda: build_config(TrainConfig, None, arm.train))
    scratch = Path(os.devnull)  # configs only: nothing is read or written there
    for r in runs:
        check(f"run {r.name}: eval", lambda: eval_config(cfg, r, None, scratch))
        if not r.zero_shot:
            check(f"run {r.name}: data", lambda: data_config(cfg, r, scratch).validate())
            check(f"run {r.name}: train", lambda: train_config(cfg, r, scratch, scratch))


# --------------------------------------------------------------------------------- the three steps


def data_config(cfg: ExperimentConfig, run: Run, out: Path):
    """The `crossin data build` config of a run (the data module's own DataConfig)."""
    from .data import DataConfig

    values: dict[str, Any] = {
        "parallel": cfg.parallel,
        "langs": list(cfg.data_langs or cfg.langs),
        "recipe": data_recipe(run.arm.recipe),
        "n": run.arm.n,
        "translation": run.arm.translation,
        "seed": run.seed,
        "out": str(out),
    }
    if cfg.base is not None:
        values["base"] = cfg.base
    if cfg.base_n is not None:
        values["base_n"] = cfg.base_n
    values.update(cfg.data)
    values.update(run.arm.data)
    return build_config(DataConfig, None, values)


def train_config(cfg: ExperimentConfig, run: Run, data_dir: Path, out: Path):
    from .train import TrainConfig

    values: dict[str, Any] = {**cfg.train, **run.arm.train}
    values.update(model=cfg.model, data=str(data_dir), out=str(out), seed=run.seed)
    # Continue an interrupted training run from its last checkpoint instead of starting over.
    values.setdefault("resume", (out / "checkpoints").is_dir() and any((out / "checkpoints").iterdir()))
    return build_config(TrainConfig, cfg.train_config, values)


def eval_config(cfg: ExperimentConfig, run: Run, adapter: Path | None, out: Path):
    from .evaluate import EvalConfig

    values: dict[str, Any] = {**cfg.eval}
    values.update(model=cfg.model, adapter=str(adapter) if adapter else None, bench=list(cfg.benchmarks),
                  langs=list(cfg.langs), out=str(out), seed=run.seed)
    return build_config(EvalConfig, None, values)


class Steps:
    """The three steps of a run, each calling the module that owns it. Tests subclass this to simulate crashes.

    The parallel corpus is loaded and validated (language identification) once and shared by every arm
    whose corpus settings are the same."""

    def __init__(self) -> None:
        self._corpora: dict[str, Any] = {}

    def data(self, cfg: ExperimentConfig, run: Run, folder: Path) -> Path:
        from .data import build_mix
        from .data.mix import corpus_key, load_corpus

        config = data_config(cfg, run, folder / "data")
        config.validate()
        key = corpus_key(config)
        if key not in self._corpora:
            self._corpora[key] = load_corpus(config)
        return Path(build_mix(config, corpus=self._corpora[key]))

    def train(self, cfg: ExperimentConfig, run: Run, folder: Path, data_dir: Path) -> Path:
        from .train import train

        return Path(train(train_config(cfg, run, data_dir, folder / "train")))

    def eval(self, cfg: ExperimentConfig, run: Run, folder: Path, adapter: Path | None) -> dict:
        from .evaluate import run_eval

        return run_eval(eval_config(cfg, run, adapter, folder / "eval"))


# ------------------------------------------------------------------------------------------ running


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
        from .report import build_report

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
    from .benchmarks.registry import get_spec

    return [get_spec(b).name for b in cfg.benchmarks]


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def summary_rows(state: dict) -> list[tuple[str, str, str, str]]:
    """(run, status, wall time, error) per run, for the CLI's table."""
    rows = []
    for name, entry in state["runs"].items():
        rows.append((name, entry.get("status", ""), f"{entry.get('wall_s', 0):.0f} s", entry.get("error") or ""))
    return rows


__all__ = ["ArmConfig", "ExperimentConfig", "SweepConfig", "Run", "Steps", "load_experiment", "run_experiment",
           "data_config", "train_config", "eval_config"]
