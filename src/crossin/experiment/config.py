"""The experiment config: `ExperimentConfig` (YAML + flags) with its arms and size sweep, and `load_experiment`,
which lists the runs it asks for and checks all of it, down to the config each run's steps will get, before
any work starts."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..config import arg, build_config, differs, expand_path, parse_pair
from ..errors import CrossinError
from ..io import short
from ..langs import PAPER_LANGS, parse_langs
from ..metrics import MAX_N_BOOT
from ..recipe_names import ARM_RECIPES, EN_ONLY, X2X, ZERO_SHOT

OPENAI_PREFIX = "openai:"  # as crossin eval's --model openai:NAME
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
    eval_only: str = arg("", help="Evaluate this model as it is, untrained (a Hub id, a local folder, or openai:NAME with "
                                  "base_url): a row such as Table 3's general LLMs. Runs once, not per base model or seed.")
    base_url: str | None = arg(None, help="eval_only openai:NAME: the OpenAI-compatible server's URL.")
    eval: dict = arg({}, help="Extra `crossin eval` settings for this arm only (EvalConfig fields, e.g. prompt_format).")
    then: dict = arg({}, help="A preference stage after the arm's SFT (StageConfig fields: method, pool, pairs, "
                              "train): pairs from the tuned model's own disagreements, then dpo/dco on its adapter.")


# Fields added to ArmConfig after experiments were run: left at their default they are not part of a run's
# fingerprint, so a folder made before them still resumes.
NEW_ARM_FIELDS = ("eval_only", "base_url", "eval", "then")


@dataclass
class StageConfig:
    """An arm's `then:` stage: `crossin data pairs` with the SFT adapter on `pool`, then `crossin train --method
    METHOD --adapter <the SFT adapter>` on those pairs; the arm is evaluated with the stage's adapter."""

    method: str = arg("dco", choices=("dpo", "dco"), help="dpo (CALM pairs) or dco (DCO records).")
    pool: str = arg("", help="Training pool (SeaEval-format parallel JSONL; $VARS expanded, relative paths from the "
                             "config's folder).")
    pairs: dict = arg({}, help="`crossin data pairs` settings (PairsConfig fields; default mode, template and "
                               "prompt_format: the experiment's eval ones).")
    train: dict = arg({}, help="`crossin train` settings of the stage (TrainConfig fields).")


def stage_config(arm) -> StageConfig | None:
    """The arm's `then:` stage, or None."""
    return build_config(StageConfig, None, arm.then) if arm.then else None


@dataclass
class SweepConfig:
    recipe: str = arg(X2X, help="Recipe whose size is swept (the paper's Figure 5).")
    sizes: list[int] = arg([], min=1, help="Numbers of CrossIn samples, one arm each.")
    translation: int = arg(0, min=0, help="Translation samples added to every sweep arm.")


EXECUTORS = ("local", "slurm", "ray")
# A Slurm partition/account/qos (or a comma list of them): the names Slurm itself allows. Checked so strictly
# because each goes into the job script as an #SBATCH line: a newline would add a line of the user's choosing, a
# space or leading '-' another option.
SLURM_NAMES = r"([A-Za-z0-9_][A-Za-z0-9_.+-]{0,127}(,[A-Za-z0-9_][A-Za-z0-9_.+-]{0,127})*)?"
MAX_PARALLEL = 4096


def ray_address_problem(value: str) -> str | None:
    """Why `value` is not what ray.init(address=...) takes (auto, local, HOST:PORT, ray://HOST:PORT), or None."""
    from urllib.parse import urlsplit

    if value in ("", "auto", "local"):
        return None
    try:
        parts = urlsplit(value if "://" in value else f"ray://{value}")
        port = parts.port
    except ValueError as e:
        return f"{short(value)} is not a Ray address ({e})"
    if (parts.scheme not in ("ray", "rays") or not parts.hostname or not port or parts.path not in ("", "/")
            or not re.fullmatch(r"[A-Za-z0-9_.:\[\]-]+", parts.netloc)):
        return f"{short(value)} is not a Ray address (auto, HOST:PORT or ray://HOST:PORT)"
    return None


@dataclass
class ExecutorConfig:
    """Where an experiment's runs run (the YAML `executor:` section; flags override it). It changes no result."""

    type: str = arg("local", choices=EXECUTORS, help="local: this machine; slurm: one Slurm job per run (a submitit "
                                                     "job array); ray: one Ray task per run.")
    max_parallel: int = arg(0, min=0, max=MAX_PARALLEL,
                            help="Runs at once. local: on this machine, one GPU each when there are several (0: 1); "
                                 "slurm: jobs of the array running at once (0: as many as Slurm allows); ray: Ray "
                                 "decides from each run's resources.")
    gpus_per_run: int = arg(0, min=0, help="GPUs per run; more than 1 trains through `accelerate launch` (data parallel).")
    accelerate_config: str = arg("ddp", help="accelerate config for gpus_per_run > 1: ddp, zero2, zero3 "
                                             "(shipped in crossin/experiment/accelerate/) or a YAML file.")
    cpus_per_run: int = arg(4, min=1, help="CPU cores per run (Slurm cpus-per-task, Ray num_cpus).")
    mem_gb: int = arg(0, min=0, help="slurm: memory per job in GB (0: the partition's default).")
    time_min: int = arg(24 * 60, min=1, max=2**32 - 2,  # Slurm keeps minutes in 32 bits
                        help="slurm: time limit per job in minutes; a job that reaches it is requeued and resumes "
                             "from its last checkpoint.")
    partition: str = arg("", pattern=SLURM_NAMES, help="slurm: partition (default: the cluster's default).")
    account: str = arg("", pattern=SLURM_NAMES, help="slurm: account to charge.")
    qos: str = arg("", pattern=SLURM_NAMES, help="slurm: quality of service.")
    sbatch: list[str] = arg([], pattern=r"[A-Za-z][A-Za-z0-9_-]*(=[^\x00-\x1f\x7f]*)?",
                            help="slurm: extra #SBATCH options as KEY=VALUE (e.g. constraint=a100).")
    max_requeues: int = arg(3, min=0, help="slurm: times a timed-out job is requeued before it is given up.")
    ray_address: str = arg("", valid=ray_address_problem,
                           help="ray: a running cluster (e.g. ray://head:10001 or auto); default: a local one.")
    ray_cpus: int = arg(0, min=0, help="ray: CPUs of the local cluster started when there is no --ray-address (0: all).")
    max_retries: int = arg(3, min=0, help="ray: times a run whose worker died (node lost, killed) is retried.")
    poll_s: float = arg(10.0, above=0, help="slurm/ray: seconds between two looks at the runs while following them.")


def executor_settings(section: dict, flags: dict | None = None) -> ExecutorConfig:
    """The YAML's `executor:` section, then the flags typed. A null in the section is refused (build_config
    drops None, the value of a flag not typed, so `type: null` would quietly mean local)."""
    nulls = sorted(str(k) for k, v in section.items() if v is None)
    if nulls:
        raise CrossinError(f"{nulls[0]}: null is not a value here (remove the key for its default)")
    config = build_config(ExecutorConfig, None, {**section, **(flags or {})})
    for key, value in section.items():  # build_config reads a YAML number as a name (5 -> "5"): not here
        if isinstance(getattr(config, key, None), str) and not isinstance(value, str):
            raise CrossinError(f"{key}: expected a string, got {short(value)}")
    return config


@dataclass
class ExperimentConfig:
    name: str = arg("experiment", help="Experiment name (report title).")
    model: str = arg("gemma-3-270m", help="Base model: the embedded `gemma-3-270m`, a local folder or a Hub id.")
    models: list[str] = arg([], help="Several base models (replaces model): every arm runs on each, each run named "
                                     "MODEL__ARM with MODEL the last part of the id (or NAME in NAME=ID).")
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
    eval_checkpoints: bool = arg(False, help="Also evaluate every checkpoint training saved (every save_steps; all are "
                                             "kept), each cached like a run; the report plots the metrics against steps.")
    executor: dict = arg({}, help="Where the runs run (ExecutorConfig fields: type, max_parallel, gpus_per_run, "
                                  "partition, ...); flags override it.")


@dataclass
class Run:
    """One arm at one seed on one base model: the unit that is built, trained, evaluated and resumed."""

    name: str
    arm: ArmConfig
    seed: int
    order: int
    sweep: bool = False
    model: str = ""  # the model trained or evaluated (the base model, or the arm's eval_only model)
    model_name: str = ""  # its short name in run names and the report ("" with a single `model:`)
    model_order: int = 0  # place of its base model in `models:` (the report's row order)

    @property
    def zero_shot(self) -> bool:
        """Evaluated only: the untuned base model or an eval_only arm."""
        return self.arm.recipe == ZERO_SHOT

    @property
    def eval_only(self) -> bool:
        return bool(self.arm.eval_only)


MODEL_SEP = "__"  # run name = MODEL__ARM with several base models


def model_entries(cfg: ExperimentConfig, where: str) -> list[tuple[str, str]]:
    """(short name, model id) of every base model: `models:` entries (ID or NAME=ID), else `model:` with no name."""
    if not cfg.models:
        return [("", cfg.model)]
    if differs(cfg, "model"):
        raise CrossinError(f"model: {short(cfg.model)} and models: both given; list every base model under models:",
                           path=where)
    entries = []
    for raw in cfg.models:
        name, eq, model = str(raw).partition("=")
        model = (model if eq else name).strip()
        name = name.strip() if eq else model.rstrip("/").rsplit("/", 1)[-1].removeprefix(OPENAI_PREFIX)
        if not model or not RUN_NAME.fullmatch(name) or MODEL_SEP in name:
            raise CrossinError(f"models: {short(raw)} needs a name of letters, digits, _ . + = - (no {MODEL_SEP!r}); "
                               "write NAME=ID", path=where)
        entries.append((name, model))
    dupes = sorted({n for n, _ in entries if [e[0] for e in entries].count(n) > 1})
    if dupes:
        raise CrossinError(f"models: two models named {', '.join(dupes)}; write NAME=ID to tell them apart", path=where)
    return entries


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



def parse_experiment(path: str | os.PathLike, overrides: dict[str, Any] | None = None
                     ) -> tuple[ExperimentConfig, list[Run], list[tuple[ArmConfig, bool]]]:
    """Read the YAML config and check what it says on its own; return it with its runs (zero-shot first) and arms.
    `experiment.load.load_experiment` then checks each run's nested sections as the steps will build them."""
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
    return cfg, _runs(cfg, arms, where), arms


def _resolve_paths(cfg: ExperimentConfig, config_dir: Path, where: str) -> None:
    for key in ("parallel", "base", "train_config"):
        try:
            setattr(cfg, key, _resolve(getattr(cfg, key), config_dir) if getattr(cfg, key) else getattr(cfg, key))
        except CrossinError as e:
            raise CrossinError(f"{key}: {e.reason}", path=where) from None
    # Model folders too (an id that is no folder beside the config stays as it is: a Hub id, or openai:NAME).
    cfg.models = [_resolve_model(str(m), config_dir) for m in cfg.models]
    for raw in cfg.arms:
        if isinstance(raw, dict) and isinstance(raw.get("eval_only"), str):
            raw["eval_only"] = _resolve_model(raw["eval_only"], config_dir)
    if cfg.train_config and not Path(cfg.train_config).is_file():
        raise CrossinError(f"train_config: {cfg.train_config} not found (relative paths are read from the config's "
                           "folder, then the working directory)", path=where)


def _resolve_model(entry: str, config_dir: Path) -> str:
    """A `models:` entry (ID or NAME=ID) or an eval_only value with a relative folder taken from the config's folder."""
    name, eq, model = entry.partition("=")
    if not eq:
        name, model = "", entry
    if model.startswith(OPENAI_PREFIX) or "://" in model:
        return entry
    resolved = _resolve(model, config_dir) or model
    return f"{name}={resolved}" if eq else resolved


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
    if arm.eval_only:
        trained = [f for f in ("n", "translation", "data", "train", "then") if getattr(arm, f)]
        if trained:
            raise CrossinError(f"{label}: an eval_only arm is not trained; remove {', '.join(trained)}", path=where)
        if arm.eval_only.startswith(OPENAI_PREFIX) and not arm.base_url:
            raise CrossinError(f"{label}: eval_only {arm.eval_only} needs base_url (the server's URL)", path=where)
        if arm.base_url and not arm.eval_only.startswith(OPENAI_PREFIX):
            raise CrossinError(f"{label}: base_url is for eval_only openai:NAME", path=where)
        return
    if arm.base_url:
        raise CrossinError(f"{label}: base_url is for eval_only openai:NAME arms", path=where)
    if arm.recipe not in ARM_RECIPES:
        raise CrossinError(f"{label}: unknown recipe {arm.recipe!r}; choose from {', '.join(ARM_RECIPES)}", path=where)
    if arm.recipe == EN_ONLY and arm.n:
        raise CrossinError(f"{label}: {EN_ONLY} takes no CrossIn samples (n must be 0)", path=where)
    if arm.recipe != EN_ONLY and arm.n <= 0:
        raise CrossinError(f"{label}: recipe {arm.recipe} needs n > 0 CrossIn samples", path=where)


def _runs(cfg: ExperimentConfig, arms: list[tuple[ArmConfig, bool]], where: str) -> list[Run]:
    """One run per base model, arm and seed (a sweep size that is also a listed arm runs once), each model's
    zero-shot run first; eval_only arms once, after them."""
    trained: list[tuple[ArmConfig, bool, int]] = []
    evaluated: list[tuple[ArmConfig, int]] = []
    seen: dict[str, str] = {}
    order = 1
    for i, (arm, is_sweep) in enumerate(arms):
        label = f"arms[{i}]" if not is_sweep else "sweep"
        _check_arm(arm, label, where)
        if arm.eval_only:
            arm.recipe = ZERO_SHOT  # evaluated as it is, like the untuned base model
            key = str(("eval_only", arm.eval_only, arm.base_url, sorted(arm.eval.items())))
        else:
            key = str((arm.recipe, arm.n, arm.translation, sorted(arm.data.items()), sorted(arm.train.items()),
                       sorted(arm.eval.items()), sorted(map(str, arm.then.items()))))
        if key in seen:
            if is_sweep:
                continue  # the sweep may contain a size also listed as an explicit arm: run it once
            what = "same eval_only model and settings" if arm.eval_only else "same recipe, size and translation"
            raise CrossinError(f"{label}: {what} as arm {seen[key]!r}", path=where)
        arm.name = arm.name or (_eval_only_name(arm.eval_only) if arm.eval_only else _arm_name(arm))
        # The name is a folder under <out>/arms: one plain component ('..' would be <out> itself).
        if not RUN_NAME.fullmatch(arm.name) or arm.name == ZERO_SHOT or MODEL_SEP in arm.name:
            raise CrossinError(f"{label}: arm name {arm.name!r} must be letters, digits, _ . + = - (not starting "
                               f"with a dot, at most 100 characters, no {MODEL_SEP!r}) and not {ZERO_SHOT!r}", path=where)
        seen[key] = arm.name
        if arm.eval_only:
            evaluated.append((arm, order))
        else:
            trained.append((arm, is_sweep, order))
        order += 1
    if trained and not cfg.parallel:
        raise CrossinError("parallel: a parallel instruction corpus is needed to build the training mixes", path=where)
    runs: list[Run] = []
    for model_order, (model_name, model) in enumerate(model_entries(cfg, where)):
        prefix = f"{model_name}{MODEL_SEP}" if model_name else ""
        # The zero-shot base model does not depend on the seed of training; it is evaluated once.
        zero = ArmConfig(recipe=ZERO_SHOT, name=ZERO_SHOT, label="Base model")
        runs.append(Run(name=prefix + ZERO_SHOT, arm=zero, seed=cfg.seeds[0], order=0, model=model,
                        model_name=model_name, model_order=model_order))
        for arm, is_sweep, arm_order in trained:
            for seed in cfg.seeds:
                name = prefix + (arm.name if len(cfg.seeds) == 1 else f"{arm.name}-s{seed}")
                runs.append(Run(name=name, arm=arm, seed=seed, order=arm_order, sweep=is_sweep, model=model,
                                model_name=model_name, model_order=model_order))
    for arm, arm_order in evaluated:
        runs.append(Run(name=arm.name, arm=arm, seed=cfg.seeds[0], order=arm_order, model=arm.eval_only,
                        model_name=arm.name))
    names = [r.name for r in runs]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise CrossinError(f"arm names must be unique: {', '.join(dupes)}", path=where)
    return runs


def _eval_only_name(model: str) -> str:
    """A run name from an eval_only model: the last part of its id or path, made a plain folder name."""
    tail = model.removeprefix(OPENAI_PREFIX).rstrip("/").rsplit("/", 1)[-1]
    return re.sub(r"[^A-Za-z0-9_.+=-]", "-", tail).lstrip(".")[:100] or "model"


def check_report_names(cfg: ExperimentConfig, names: list[str], where: str) -> None:
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
