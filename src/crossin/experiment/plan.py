"""`crossin experiment run CONFIG --dry-run`: every run, what it needs (model, data, GPU memory) and its estimated
GPU-hours, before anything runs.

The estimate scales one measurement: on one NVIDIA H200 the embedded model (Gemma 3 270M, 0.268e9 parameters)
trained an experiment arm at about 5,000 tokens/s in bf16 (README, the H200 paragraph of "Evaluation": configs/experiments/
embedded_gpu.yaml on 2026-11-26). That is an effective 6 x 0.268e9 x 5,000 = 8.0e12 FLOP/s; a run of N parameters
and T tokens is taken to cost 6·N·T FLOPs to train and 2·N per token to evaluate, at that same rate. Larger models
use a GPU far better than a 270M one does (8 TFLOP/s is about 1% of an H200's bf16 peak), so these are upper bounds,
likely several times too high; they are meant to compare runs and size a request, not to promise a time.
"""

from __future__ import annotations

import re

from .config import ExperimentConfig, Run

MEASURED_PARAMS = 0.268e9
MEASURED_TOKENS_PER_S = 5_000.0
EFFECTIVE_FLOPS = 6 * MEASURED_PARAMS * MEASURED_TOKENS_PER_S
MEASUREMENT = ("embedded model (0.268e9 parameters) training at ~5,000 tokens/s on one H200 (README, the H200 paragraph of "
               "Evaluation); scaled by 6·N·T FLOPs (train), 2·N per token (eval): upper bounds")
# Mean tokens of one Alpaca training sample (prompt + response, alpaca format, Gemma 3 tokenizer), measured on the
# first 3,000 English samples of the shared corpus: 103.5. Open-Platypus is not on the machine where this was
# measured: its samples (longer reasoning and code answers) are taken as twice that, an assumption.
ALPACA_TOKENS = 104
PLATYPUS_TOKENS = 2 * ALPACA_TOKENS
SIZES = {"hf:garage-bAInd/Open-Platypus": 24_926}  # samples of the known base sets (Open-Platypus on the Hub)
ALPACA_SAMPLES = 52_002
# Evaluation: every benchmark's sets x languages, each ~300 prompt tokens (a Cross-LogiQA / Cross-XQuAD passage
# is longer, a Cross-MMLU question shorter) plus the generated tokens (generate mode) or none (scoring modes).
SETS = {"cross-mmlu": 150, "cross-logiqa": 176, "cross-xquad": 1_190, "cross-xquad-built": 1_190}
PROMPT_TOKENS = 300
KNOWN_PARAMS = {"gemma-3-270m": 0.268e9, "gemma-2b": 2.51e9, "mistral-7b": 7.24e9, "llama-2-7b": 6.74e9,
                "llama-7b": 6.74e9}


def model_params(model: str) -> float | None:
    """Parameters of a model from its name: a known model, else the size it states ("7B", "270m"); None if neither."""
    name = model.lower().rsplit("/", 1)[-1]
    for known, n in KNOWN_PARAMS.items():
        if name.startswith(known) or name.removeprefix("m-").startswith(known):
            return n
    match = re.search(r"(\d+(?:\.\d+)?)([bm])\b", name.replace("-", " ").replace("_", " "))
    if match:
        return float(match.group(1)) * (1e9 if match.group(2) == "b" else 1e6)
    return None


def train_samples(cfg: ExperimentConfig, run: Run) -> tuple[int, int]:
    """(samples, tokens) one epoch of the run's mix has, estimated from the base set's size and the arm."""
    base = run.arm.data.get("base", cfg.base)
    platypus = bool(base) and "platypus" in str(base).lower()
    base_size = SIZES.get(str(base), ALPACA_SAMPLES) if base else ALPACA_SAMPLES
    if cfg.base_n not in (None, -1):
        base_size = min(base_size, cfg.base_n)
    extra = run.arm.n + run.arm.translation
    tokens = base_size * (PLATYPUS_TOKENS if platypus else ALPACA_TOKENS) + extra * ALPACA_TOKENS
    return base_size + extra, tokens


def plan_rows(cfg: ExperimentConfig, runs: list[Run]) -> list[dict]:
    """One row per run: model, data, GPU memory and GPU-hours (None where the model's size is unknown or it runs
    behind an API)."""
    from ..evaluate import EvalConfig
    from .steps import eval_config

    rows = []
    for run in runs:
        ev: EvalConfig = eval_config(cfg, run, None, __import__("pathlib").Path("/dev/null"))
        ev.validate()
        api = run.model.startswith("openai:")
        params = None if api else model_params(run.model)
        new_tokens = ev.max_new_tokens if ev.mode == "generate" else 0
        questions = sum(SETS.get(b, 0) for b in cfg.benchmarks) * len(cfg.langs)
        if ev.limit:
            questions = sum(min(SETS.get(b, 0), ev.limit) for b in cfg.benchmarks) * len(cfg.langs)
        eval_flops = None if params is None else 2 * params * questions * (PROMPT_TOKENS + new_tokens)
        if run.zero_shot:
            data, samples, train_flops = ("(none: evaluated as it is)" if run.eval_only else "(none: zero-shot)"), 0, 0.0
        else:
            samples, tokens = train_samples(cfg, run)
            base = run.arm.data.get("base", cfg.base)
            data = (f"{run.arm.recipe} n={run.arm.n}" + (f" +trans {run.arm.translation}" if run.arm.translation else "")
                    + f" on {'the parallel corpus English side' if not base else base}; ~{samples:,} samples")
            train_flops = None if params is None else 6 * params * tokens
        hours = None if params is None else (train_flops + eval_flops) / EFFECTIVE_FLOPS / 3600
        # bf16 weights (2 bytes/parameter), plus for training the trained parameters' fp32 copies and Adam states and
        # activations: ~4 bytes/parameter + 8 GiB; evaluation ~2 bytes/parameter + 4 GiB (KV cache, batches).
        memory = None if params is None else (4 * params / 2**30 + 8 if not run.zero_shot else 2 * params / 2**30 + 4)
        rows.append({"run": run.name, "model": run.model, "data": data, "samples": samples,
                     "gpu_memory_gib": None if memory is None else round(memory),
                     "gpu_hours": None if hours is None else round(hours, 2),
                     "eval": f"{ev.protocol or ev.mode}, {questions:,} questions"})
    return rows
