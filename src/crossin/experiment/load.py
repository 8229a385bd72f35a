"""`load_experiment`: the experiment YAML parsed (config.py), then every nested section checked through the config
each run's steps will get (steps.py), so a typo or a bad value fails before any run starts. Its own module so that
config.py, which steps.py builds on, never imports steps.py."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..config import build_config
from ..errors import CrossinError
from .config import ArmConfig, ExperimentConfig, Run, check_report_names, executor_settings, parse_experiment
from .steps import data_config, eval_config, pairs_config, stage_train_config, train_config

OWN_PLACES = ("out",)  # section keys only the experiment sets (see check_sections)


def load_experiment(path: str | os.PathLike, overrides: dict[str, Any] | None = None) -> tuple[ExperimentConfig, list[Run]]:
    """Read and validate the YAML config; return it with the runs it asks for (zero-shot first)."""
    cfg, runs, arms = parse_experiment(path, overrides)
    where = str(path)
    check_sections(cfg, runs, arms, where)
    check_report_names(cfg, [r.name for r in runs], where)
    return cfg, runs


def check_sections(cfg: ExperimentConfig, runs: list[Run], arms: list[tuple[ArmConfig, bool]], where: str) -> None:
    """Every nested section (data:, train:, eval:, arms[].data, arms[].train) through its own config class and the
    config each run will get, so a typo or a bad value fails now rather than after other arms ran."""
    from ..data import DataConfig
    from ..evaluate import EvalConfig
    from ..evaluate.config import check_combinations
    from ..train import TrainConfig

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
                 for part in ("data", "train", "eval")]
    for label, section in sections:
        for key in OWN_PLACES:
            if key in section:
                raise CrossinError(f"{label}.{key}: the experiment places each run's output under its --out folder; "
                                   f"remove {key}", path=where)
    check("executor", lambda: executor_settings(cfg.executor))
    check("eval", lambda: build_config(EvalConfig, None, cfg.eval))
    check("data", lambda: build_config(DataConfig, None, cfg.data))
    check("train", lambda: build_config(TrainConfig, None, cfg.train))
    for i, (arm, is_sweep) in enumerate(arms):
        if not is_sweep:
            check(f"arms[{i}].data", lambda: build_config(DataConfig, None, arm.data))
            check(f"arms[{i}].train", lambda: build_config(TrainConfig, None, arm.train))
            check(f"arms[{i}].eval", lambda: build_config(EvalConfig, None, arm.eval))
    scratch = Path(os.devnull)  # configs only: nothing is read or written there
    for r in runs:
        check(f"run {r.name}: eval", lambda: check_combinations(eval_config(cfg, r, None, scratch)))
        if not r.zero_shot:
            check(f"run {r.name}: data", lambda: data_config(cfg, r, scratch).validate())
            check(f"run {r.name}: train", lambda: train_config(cfg, r, scratch, scratch).validate())
        if r.arm.then:
            check(f"run {r.name}: then.pairs", lambda: pairs_config(cfg, r, scratch, scratch).validate())
            check(f"run {r.name}: then.train", lambda: stage_train_config(cfg, r, scratch, scratch, scratch).validate())
