"""`crossin experiment`: the paper's comparisons as one resumable run.

An experiment is a grid of arms. Each arm is a training-data recipe and size (English base only,
monolingual, en2x, x2en, x2x, x2x + translation, a sweep of CrossIn sizes), run once per seed: build the
mix (`crossin.data`), LoRA-tune the base model on it (`crossin.train`), evaluate the adapter
(`crossin.evaluate`). The zero-shot base model is always an arm (evaluation only). At the end a report
(`crossin.report`) is written over every finished arm.

Modules: `config` (the YAML config and `load_experiment`, which checks it and lists the runs), `steps` (the
data / train / eval config of a run and `Steps`, which runs them), `run` (`run_experiment`: the folder layout,
state.json, resume, the report).
"""

from .config import ArmConfig, ExperimentConfig, Run, SweepConfig, load_experiment
from .run import arm_meta, run_experiment, run_fingerprint, summary_rows
from .steps import Steps, data_config, eval_config, train_config

__all__ = ["ArmConfig", "ExperimentConfig", "SweepConfig", "Run", "Steps", "load_experiment", "run_experiment",
           "data_config", "train_config", "eval_config", "arm_meta", "run_fingerprint", "summary_rows"]
