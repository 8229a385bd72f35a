"""The three steps of a run (data -> train -> eval): the config each step's module gets, derived from the
experiment config and the run, and `Steps`, which calls those modules."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..config import build_config
from ..recipe_names import data_recipe

if TYPE_CHECKING:  # config.py imports this module to check a YAML's sections; types only here, so no circle
    from .config import ExperimentConfig, Run


def data_config(cfg: ExperimentConfig, run: Run, out: Path):
    """The `crossin data build` config of a run (the data module's own DataConfig)."""
    from ..data import DataConfig

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
    from ..train import TrainConfig

    values: dict[str, Any] = {**cfg.train, **run.arm.train}
    values.update(model=cfg.model, data=str(data_dir), out=str(out), seed=run.seed)
    # Continue an interrupted training run from its last checkpoint instead of starting over.
    values.setdefault("resume", (out / "checkpoints").is_dir() and any((out / "checkpoints").iterdir()))
    return build_config(TrainConfig, cfg.train_config, values)


def eval_config(cfg: ExperimentConfig, run: Run, adapter: Path | None, out: Path):
    from ..evaluate import EvalConfig

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
        from ..data import build_mix
        from ..data.mix import corpus_key, load_corpus

        config = data_config(cfg, run, folder / "data")
        config.validate()
        key = corpus_key(config)
        if key not in self._corpora:
            self._corpora[key] = load_corpus(config)
        return Path(build_mix(config, corpus=self._corpora[key]))

    def train(self, cfg: ExperimentConfig, run: Run, folder: Path, data_dir: Path) -> Path:
        from ..train import train

        return Path(train(train_config(cfg, run, data_dir, folder / "train")))

    def eval(self, cfg: ExperimentConfig, run: Run, folder: Path, adapter: Path | None) -> dict:
        from ..evaluate import run_eval

        return run_eval(eval_config(cfg, run, adapter, folder / "eval"))
