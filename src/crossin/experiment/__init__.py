"""`crossin experiment`: the paper's comparisons as one resumable run.

An experiment is a grid of arms. Each arm is a training-data recipe and size (English base only,
monolingual, en2x, x2en, x2x, x2x + translation, a sweep of CrossIn sizes), run once per seed: build the
mix (`crossin.data`), LoRA-tune the base model on it (`crossin.train`), evaluate the adapter
(`crossin.evaluate`). The zero-shot base model is always an arm (evaluation only). At the end a report
(`crossin.report`) is written over every finished arm.

Modules: `config` (the YAML config, its `executor:` section, its arms and runs), `load` (`load_experiment`: the
config parsed, then each run's nested sections checked as the steps build them), `steps` (the data / train / eval config of a run and `Steps`, which runs them), `state` (each run's
state.json, the lock that claims a run, the status table), `execute` (one run, claimed and run wherever it is),
`executors` (local, a local pool, Slurm via submitit, Ray), `run` (`run_experiment`: the folder layout, resume,
the report).
"""

from .config import ArmConfig, ExecutorConfig, ExperimentConfig, Run, SweepConfig
from .load import load_experiment
from .run import arm_meta, run_experiment, run_fingerprint, summary_rows
from .state import status_rows
from .steps import Steps, accelerate_command, data_config, eval_config, train_config

__all__ = ["ArmConfig", "ExecutorConfig", "ExperimentConfig", "SweepConfig", "Run", "Steps", "load_experiment",
           "run_experiment", "data_config", "train_config", "eval_config", "arm_meta", "run_fingerprint",
           "summary_rows", "status_rows", "accelerate_command"]
