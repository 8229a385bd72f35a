"""The steps of a run (data -> train [-> pairs -> then] -> eval): the config each step's module gets, derived from
the experiment config and the run, and `Steps`, which calls those modules. `then`: an arm's preference stage
(ArmConfig.then, read as config.StageConfig) on its SFT adapter."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable

import yaml

from ..config import build_config, config_to_dict
from ..errors import CrossinError
from ..io import atomic_write_text
from ..recipe_names import data_recipe
from .config import ExperimentConfig, Run, stage_config



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
    values.update(model=run.model or cfg.model, data=str(data_dir), out=str(out), seed=run.seed)
    values.setdefault("run_name", f"{cfg.name}/{run.name}")  # runs of one experiment group in the tracker
    if cfg.eval_checkpoints and "save_total_limit" not in values:
        values["save_total_limit"] = 10_000  # every checkpoint is evaluated: none may be deleted
    # Continue an interrupted training run from its last checkpoint instead of starting over.
    values.setdefault("resume", (out / "checkpoints").is_dir() and any((out / "checkpoints").iterdir()))
    return build_config(TrainConfig, cfg.train_config, values)


def pairs_config(cfg: ExperimentConfig, run: Run, adapter: Path, out: Path):
    """The `crossin data pairs` config of an arm's `then:` stage: the SFT adapter answers the pool, in the
    experiment's evaluation languages and prompts; its benchmarks are kept out of the pool with the test sets."""
    from ..data.pairs import NOT_A_POOL, TEST_BENCHMARKS, PairsConfig
    stage = stage_config(run.arm)
    values: dict[str, Any] = {k: cfg.eval[k] for k in ("template", "prompt_format", "data_dir") if k in cfg.eval}
    if cfg.eval.get("mode") in ("loglik", "cloze"):
        values["mode"] = cfg.eval["mode"]
    values.update(model=cfg.model, adapter=str(adapter), pool=stage.pool, langs=list(cfg.langs), seed=run.seed,
                  out=str(out), exclude=sorted(set(TEST_BENCHMARKS) | (set(cfg.benchmarks) & set(NOT_A_POOL))))
    values.update(stage.pairs)
    return build_config(PairsConfig, None, values)


def stage_train_config(cfg: ExperimentConfig, run: Run, pairs_dir: Path, adapter: Path, out: Path):
    """The `crossin train --method dpo|dco --adapter <SFT adapter>` config of an arm's `then:` stage."""
    from ..train import TrainConfig
    stage = stage_config(run.arm)
    values: dict[str, Any] = {**stage.train}
    values.update(method=stage.method, model=cfg.model, data=str(pairs_dir), adapter=str(adapter), out=str(out),
                  seed=run.seed)
    values.setdefault("resume", (out / "checkpoints").is_dir() and any((out / "checkpoints").iterdir()))
    return build_config(TrainConfig, None, values)


def eval_config(cfg: ExperimentConfig, run: Run, adapter: Path | None, out: Path):
    from ..evaluate import EvalConfig

    values: dict[str, Any] = {**cfg.eval, **run.arm.eval}
    values.update(model=run.model or cfg.model, adapter=str(adapter) if adapter else None, bench=list(cfg.benchmarks),
                  langs=list(cfg.langs), out=str(out), seed=run.seed)
    if run.arm.base_url:
        values["base_url"] = run.arm.base_url
    if run.eval_only and run.model.startswith("openai:"):
        # A server runs the model: the local-model settings of the shared eval section do not apply to it.
        for key in ("device", "dtype", "threads"):
            values.pop(key, None)
    return build_config(EvalConfig, None, values)


CHECKPOINTS_EVAL = "checkpoints_eval"  # <run>/checkpoints_eval/step-N/<bench>/results.json (eval_checkpoints)


def die_with_parent(parent: int) -> None:
    """This process (a `--max-parallel` worker, or a run's `accelerate launch`) is killed when its parent dies,
    however it dies (SIGKILL included): Linux's parent-death signal. Without it a `kill -9` of `crossin experiment
    run --max-parallel N` leaves N workers running (GBs each), and a rerun starts N more beside them. Checked once
    after: the parent may be gone already."""
    import ctypes
    import signal

    if sys.platform.startswith("linux"):
        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(1)


ACCELERATE_CONFIGS = Path(__file__).resolve().parent / "accelerate"  # package data (pyproject: package-data)


def accelerate_config_file(name: str) -> Path:
    """ddp / zero2 / zero3 (shipped with the package: experiment/accelerate/NAME.yaml) or a path to a config."""
    path = Path(name) if name.endswith((".yaml", ".yml")) else ACCELERATE_CONFIGS / f"{name}.yaml"
    if not path.is_file():
        raise CrossinError(f"accelerate_config: {path} not found (ddp, zero2, zero3 or a YAML file)")
    return path


def accelerate_command(config, gpus: int, accelerate_config: str, config_file: Path) -> list[str]:
    """`accelerate launch ... -m crossin train --config FILE` for one run's training on `gpus` GPUs of its node.

    The run's TrainConfig is written to `config_file` (what `crossin train --config` reads back). Each launch gets
    a free port, so several runs on one machine do not collide on accelerate's default one."""
    atomic_write_text(config_file, yaml.safe_dump(config_to_dict(config), sort_keys=False))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return [sys.executable, "-m", "accelerate.commands.launch", "--config_file", str(accelerate_config_file(accelerate_config)),
            "--num_processes", str(gpus), "--num_machines", "1", "--main_process_port", str(port),
            "-m", "crossin", "train", "--config", str(config_file)]


class Steps:
    """The three steps of a run, each calling the module that owns it. Tests subclass this to simulate crashes.

    The parallel corpus is loaded and validated (language identification) once and shared by every arm
    whose corpus settings are the same. `gpus` > 1: training goes through `accelerate launch` on that many GPUs.
    `log`: where the steps' progress goes (the run's log.txt while it runs)."""

    def __init__(self, gpus: int = 0, accelerate_config: str = "ddp") -> None:
        self._corpora: dict[str, Any] = {}
        self.gpus = gpus
        self.accelerate_config = accelerate_config
        self.log: Callable[[str], None] | None = None

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

        config = train_config(cfg, run, data_dir, folder / "train")
        if self.gpus > 1:
            command = accelerate_command(config, self.gpus, self.accelerate_config, folder / "train_config.yaml")
            if self.log:
                self.log("    " + " ".join(command))
            worker = os.getpid()  # accelerate's processes die with this one too, however it dies
            subprocess.run(command, check=True, preexec_fn=lambda: die_with_parent(worker))
            return Path(config.out) / "adapter"
        return Path(train(config, **({"log": self.log} if self.log else {})))

    def eval_checkpoints(self, cfg: ExperimentConfig, run: Run, folder: Path) -> list[int]:
        """Every complete checkpoint of the run's training evaluated into <run>/checkpoints_eval/step-N (skipped when
        its results exist; requests come from the eval cache like any run's); returns the steps."""
        from ..benchmarks.registry import get_spec
        from ..io import RESULTS_FILE
        from ..train.checkpoints import checkpoint_step

        found = [(checkpoint_step(p), p) for p in (folder / "train" / "checkpoints").glob("checkpoint-*")]
        steps = sorted((s, p) for s, p in found if s is not None)
        for step, path in steps:
            out = folder / CHECKPOINTS_EVAL / f"step-{step}"
            if all((out / get_spec(b).name / RESULTS_FILE).exists() for b in cfg.benchmarks):
                continue
            if self.log:
                self.log(f"    checkpoint {step}: {path}")
            self._eval(eval_config(cfg, run, path, out))
        return [s for s, _ in steps]

    def pairs(self, cfg: ExperimentConfig, run: Run, folder: Path, adapter: Path) -> Path:
        from ..data.pairs import make_pairs

        return make_pairs(pairs_config(cfg, run, adapter, folder / "pairs"), log=self.log or print)

    def then(self, cfg: ExperimentConfig, run: Run, folder: Path, pairs_dir: Path, adapter: Path) -> Path:
        from ..train import train

        config = stage_train_config(cfg, run, pairs_dir, adapter, folder / "then")
        return Path(train(config, **({"log": self.log} if self.log else {})))

    def eval(self, cfg: ExperimentConfig, run: Run, folder: Path, adapter: Path | None) -> dict:
        return self._eval(eval_config(cfg, run, adapter, folder / "eval"))

    @staticmethod
    def _eval(config) -> dict:
        from ..evaluate import run_eval
        from ..lmeval.results import RESULT_BLOCKS

        return run_eval(config, blocks=RESULT_BLOCKS)
