"""The experiment config: `ExperimentConfig` (YAML + flags) with its arms and size sweep, and `load_experiment`,
which lists the runs it asks for and checks all of it, down to the config each run's steps will get, before
any work starts."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..config import arg, build_config, expand_path, parse_pair
from ..errors import CrossinError
from ..io import short
from ..langs import PAPER_LANGS, parse_langs
from ..metrics import MAX_N_BOOT
from ..recipe_names import ARM_RECIPES, EN_ONLY, X2X, ZERO_SHOT

OWN_PLACES = ("out",)  # section keys only the experiment sets (see _check_sections)
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
    then: dict = arg({}, help="A preference stage after the arm's SFT (StageConfig fields: method, pool, pairs, "
                              "train): pairs from the tuned model's own disagreements, then dpo/dco on its adapter.")


@dataclass
class SweepConfig:
    recipe: str = arg(X2X, help="Recipe whose size is swept (the paper's Figure 5).")
    sizes: list[int] = arg([], min=1, help="Numbers of CrossIn samples, one arm each.")
    translation: int = arg(0, min=0, help="Translation samples added to every sweep arm.")


EXECUTORS = ("local", "slurm", "ray")


@dataclass
class ExecutorConfig:
    """Where an experiment's runs run (the YAML `executor:` section; flags override it). It changes no result."""

    type: str = arg("local", choices=EXECUTORS, help="local: this machine; slurm: one Slurm job per run (a submitit "
                                                     "job array); ray: one Ray task per run.")
    max_parallel: int = arg(0, min=0, help="Runs at once. local: on this machine, one GPU each when there are several "
                                           "(0: 1); slurm: jobs of the array running at once (0: as many as Slurm "
                                           "allows); ray: Ray decides from each run's resources.")
    gpus_per_run: int = arg(0, min=0, help="GPUs per run; more than 1 trains through `accelerate launch` (data parallel).")
    accelerate_config: str = arg("ddp", help="accelerate config for gpus_per_run > 1: ddp, zero2, zero3 "
                                             "(shipped in crossin/experiment/accelerate/) or a YAML file.")
    cpus_per_run: int = arg(4, min=1, help="CPU cores per run (Slurm cpus-per-task, Ray num_cpus).")
    mem_gb: int = arg(0, min=0, help="slurm: memory per job in GB (0: the partition's default).")
    time_min: int = arg(24 * 60, min=1, help="slurm: time limit per job in minutes; a job that reaches it is requeued "
                                             "and resumes from its last checkpoint.")
    partition: str = arg("", help="slurm: partition (default: the cluster's default).")
    account: str = arg("", help="slurm: account to charge.")
    qos: str = arg("", help="slurm: quality of service.")
    sbatch: list[str] = arg([], pattern=r"[A-Za-z][A-Za-z0-9_-]*(=.*)?", help="slurm: extra #SBATCH options as "
                                                                              "KEY=VALUE (e.g. constraint=a100).")
    max_requeues: int = arg(3, min=0, help="slurm: times a timed-out job is requeued before it is given up.")
    ray_address: str = arg("", help="ray: a running cluster (e.g. ray://head:10001 or auto); default: a local one.")
    ray_cpus: int = arg(0, min=0, help="ray: CPUs of the local cluster started when there is no --ray-address (0: all).")
    max_retries: int = arg(3, min=0, help="ray: times a run whose worker died (node lost, killed) is retried.")
    poll_s: float = arg(10.0, above=0, help="slurm/ray: seconds between two looks at the runs while following them.")


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
    n_boot: int = arg(10000, min=1, max=MAX_N_BOOT, help="Paired bootstrap resamples in the report.")
    executor: dict = arg({}, help="Where the runs run (ExecutorConfig fields: type, max_parallel, gpus_per_run, "
                                  "partition, ...); flags override it.")


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


def _resolve(value: str | None, config_dir: Path) -> str | None:
    """A path from the config: $VARS expanded; a relative path is taken from the config file's folder when it
    exists there (shipped configs point at each other), else from the working directory."""
    value = expand_path(value)
    if value is None or os.path.isabs(value) or value.startswith("hf:"):
        return value
    beside = config_dir / value
    return str(beside) if beside.exists() else value


def _arm_name(arm: ArmConfig) -> str:
    if arm.recipe == EN_ONLY:
        name = EN_ONLY
    else:
        name = f"{arm.recipe}-n{arm.n}"
    name += f"+trans{arm.translation}" if arm.translation else ""
    return name + (f"+{arm.then.get('method', 'dco')}" if arm.then else "")



def load_experiment(path: str | os.PathLike, overrides: dict[str, Any] | None = None) -> tuple[ExperimentConfig, list[Run]]:
    """Read and validate the YAML config; return it with the runs it asks for (zero-shot first)."""
    cfg = build_config(ExperimentConfig, path, overrides)
    where = str(path)
    _resolve_paths(cfg, Path(path).resolve().parent, where)
    cfg.langs = list(parse_langs(cfg.langs))
    if cfg.data_langs is not None:
        cfg.data_langs = list(parse_langs(cfg.data_langs))
    if not cfg.benchmarks:
        raise CrossinError("benchmarks: at least one benchmark is needed", path=where)
    if not cfg.seeds or len(set(cfg.seeds)) != len(cfg.seeds):
        raise CrossinError(f"seeds: need distinct seeds, got {cfg.seeds}", path=where)
    arms = _arms(cfg, where)
    runs = _runs(cfg, arms, where)
    _check_sections(cfg, runs, arms, where)
    _check_report_names(cfg, [r.name for r in runs], where)
    return cfg, runs


def _resolve_paths(cfg: ExperimentConfig, config_dir: Path, where: str) -> None:
    for key in ("parallel", "base", "train_config"):
        try:
            setattr(cfg, key, _resolve(getattr(cfg, key), config_dir) if getattr(cfg, key) else getattr(cfg, key))
        except CrossinError as e:
            raise CrossinError(f"{key}: {e.reason}", path=where) from None
    if cfg.train_config and not Path(cfg.train_config).is_file():
        raise CrossinError(f"train_config: {cfg.train_config} not found (relative paths are read from the config's "
                           "folder, then the working directory)", path=where)


def _section(cls, raw: Any, label: str, where: str):
    """A nested mapping of the experiment YAML read as `cls`; its errors name the section."""
    if not isinstance(raw, dict):
        raise CrossinError(f"{label}: expected a mapping, got {short(raw)}", path=where)
    try:
        return build_config(cls, None, raw)
    except CrossinError as e:
        raise CrossinError(f"{label}: {e.reason}", path=where) from None


def _arms(cfg: ExperimentConfig, where: str) -> list[tuple[ArmConfig, bool]]:
    """(arm, from the sweep) for the listed arms, then one per sweep size."""
    from .steps import StageConfig

    arms = [(_section(ArmConfig, raw, f"arms[{i}]", where), False) for i, raw in enumerate(cfg.arms)]
    for i, (arm, _) in enumerate(arms):
        if arm.then:
            stage = _section(StageConfig, arm.then, f"arms[{i}].then", where)
            if not stage.pool:
                raise CrossinError(f"arms[{i}].then.pool: a training pool is needed", path=where)
            arm.then = {**arm.then, "pool": _resolve(stage.pool, Path(where).resolve().parent)}
    if cfg.sweep:
        sweep = _section(SweepConfig, cfg.sweep, "sweep", where)
        arms += [(ArmConfig(recipe=sweep.recipe, n=n, translation=sweep.translation), True) for n in sweep.sizes]
    return arms


def _check_arm(arm: ArmConfig, label: str, where: str) -> None:
    if arm.recipe not in ARM_RECIPES:
        raise CrossinError(f"{label}: unknown recipe {arm.recipe!r}; choose from {', '.join(ARM_RECIPES)}", path=where)
    if arm.recipe == EN_ONLY and arm.n:
        raise CrossinError(f"{label}: {EN_ONLY} takes no CrossIn samples (n must be 0)", path=where)
    if arm.recipe != EN_ONLY and arm.n <= 0:
        raise CrossinError(f"{label}: recipe {arm.recipe} needs n > 0 CrossIn samples", path=where)


def _runs(cfg: ExperimentConfig, arms: list[tuple[ArmConfig, bool]], where: str) -> list[Run]:
    """One run per arm and seed (a sweep size that is also a listed arm runs once), the zero-shot run first."""
    runs: list[Run] = []
    seen: dict[str, str] = {}
    order = 1
    for i, (arm, is_sweep) in enumerate(arms):
        label = f"arms[{i}]" if not is_sweep else "sweep"
        _check_arm(arm, label, where)
        key = str((arm.recipe, arm.n, arm.translation, sorted(arm.data.items()), sorted(arm.train.items()),
                   sorted(map(str, arm.then.items()))))
        if key in seen:
            if is_sweep:
                continue  # the sweep may contain a size also listed as an explicit arm: run it once
            raise CrossinError(f"{label}: same recipe, size and translation as arm {seen[key]!r}", path=where)
        arm.name = arm.name or _arm_name(arm)
        # The name is a folder under <out>/arms: one plain component ('..' would be <out> itself).
        if not RUN_NAME.fullmatch(arm.name) or arm.name == ZERO_SHOT:
            raise CrossinError(f"{label}: arm name {arm.name!r} must be letters, digits, _ . + = - (not starting "
                               f"with a dot, at most 100 characters) and not {ZERO_SHOT!r}", path=where)
        seen[key] = arm.name
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
    return [Run(name=ZERO_SHOT, arm=zero, seed=cfg.seeds[0], order=0), *runs]


def _check_report_names(cfg: ExperimentConfig, names: list[str], where: str) -> None:
    """baseline and compare name runs; compare is kept as stripped 'A:B'."""
    if cfg.baseline is not None and cfg.baseline not in names:
        raise CrossinError(f"baseline: {short(cfg.baseline)} is not a run name ({', '.join(names)})", path=where)
    for i, pair in enumerate(cfg.compare):
        try:
            a, b = parse_pair(pair, "compare")
        except CrossinError:
            a = b = None
        if a not in names or b not in names:
            raise CrossinError(f"compare: {pair!r} must be 'A:B' with A and B run names ({', '.join(names)})", path=where)
        cfg.compare[i] = f"{a}:{b}"


def _check_sections(cfg: ExperimentConfig, runs: list[Run], arms: list[tuple[ArmConfig, bool]], where: str) -> None:
    """Every nested section (data:, train:, eval:, arms[].data, arms[].train) through its own config class and the
    config each run will get, so a typo or a bad value fails now rather than after other arms ran."""
    from ..data import DataConfig
    from ..evaluate import EvalConfig
    from ..train import TrainConfig
    from .steps import data_config, eval_config, pairs_config, stage_train_config, train_config

    def check(label: str, make) -> None:
        try:
            make()
        except CrossinError as e:
            raise CrossinError(f"{label}: {e.reason}", path=where if e.path in (None, "flags", "config") else e.path,
                               line=e.line) from None

    # Every run writes under <out>/runs/<name>: a section naming its own output folder would write outside --out
    # (an absolute path) or make arms overwrite each other, so the experiment's places are the only ones.
    sections = [("data", cfg.data), ("train", cfg.train), ("eval", cfg.eval)]
    sections += [(f"arms[{i}].{part}", getattr(arm, part)) for i, (arm, is_sweep) in enumerate(arms) if not is_sweep
                 for part in ("data", "train")]
    for label, section in sections:
        for key in OWN_PLACES:
            if key in section:
                raise CrossinError(f"{label}.{key}: the experiment places each run's output under its --out folder; "
                                   f"remove {key}", path=where)
    check("executor", lambda: build_config(ExecutorConfig, None, cfg.executor))
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
            check(f"run {r.name}: train", lambda: train_config(cfg, r, scratch, scratch).validate())
        if r.arm.then:
            check(f"run {r.name}: then.pairs", lambda: pairs_config(cfg, r, scratch, scratch).validate())
            check(f"run {r.name}: then.train", lambda: stage_train_config(cfg, r, scratch, scratch, scratch).validate())
