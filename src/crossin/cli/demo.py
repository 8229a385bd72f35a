"""`crossin demo`: the embedded model on 10 sets of every benchmark, end to end, in about 2 minutes on 2 CPU cores.

Cloze mode by default: in loglik mode the 270M base model answers "A" to nearly everything, so every table shows
kappa 0; cloze spreads its answers over the options (see the README's baseline)."""

from __future__ import annotations

import dataclasses

from ..evaluate.config import EvalConfig
from .app import app, console, results_table, user_errors
from .options import config_options

BENCHES = ("cross-mmlu", "cross-logiqa", "cross-xquad-built")
DEFAULT_LIMIT = 10  # sets per benchmark: 10 x 4 languages x 3 benchmarks = 120 questions, under 4 minutes here
# Measured here (cloze, gemma-3-270m, the default 10 sets x 4 languages x 3 benchmarks, empty eval cache, idle 2-core
# CPU): 102 s wall for 120 questions, i.e. about 0.65 s a question plus the fixed part (imports, model load, report).
# A GPU is many times faster.
SECONDS_PER_QUESTION = 0.65
FIXED_SECONDS = 25
CONVERT_SECONDS = 100  # first use only: the embedded GGUF is dequantised once into the cache


def expected_seconds(limit: int, n_langs: int, mode: str, converted: bool) -> float:
    per_question = SECONDS_PER_QUESTION * (0.5 if mode == "loglik" else 1.0)  # loglik: one pass for all options
    return FIXED_SECONDS + per_question * limit * n_langs * len(BENCHES) + (0 if converted else CONVERT_SECONDS)


@app.command()
@user_errors
@config_options(EvalConfig, only=("langs", "mode", "limit", "out"),
                defaults={"limit": DEFAULT_LIMIT, "mode": "cloze", "out": "runs/demo"}, names={"out": ("-o",)})
def demo(cfg: EvalConfig):
    """Evaluate the embedded Gemma 3 270M on Cross-MMLU, Cross-LogiQA and Cross-XQuAD, then write a report.

    Results go to <out>/gemma-3-270m/<bench>/, the report to <out>/report/.
    """
    from ..benchmarks.registry import data_source_line
    from ..evaluate import run_eval
    from ..io import embedded_model_cache_dir
    from ..report import build_report

    from .evaluate import check_eval_places

    out = cfg.out
    cfg = dataclasses.replace(cfg, model="gemma-3-270m", bench=list(BENCHES), out=f"{out}/gemma-3-270m")
    check_eval_places(cfg)
    converted = (embedded_model_cache_dir() / "config.json").exists()
    seconds = expected_seconds(cfg.limit, len(cfg.langs), cfg.mode, converted)
    console.print(f"crossin demo: {cfg.limit} sets x {len(cfg.langs)} languages x {len(BENCHES)} benchmarks, {cfg.mode} "
                  f"mode; expected time about {seconds / 60:.0f} min on 2 idle CPU cores (longer on a shared machine, "
                  "less with a GPU" + ("" if converted else "; includes converting the model once") + ")",
                  highlight=False, soft_wrap=True)
    console.print(data_source_line(), highlight=False, markup=False, soft_wrap=True)
    for name, results in run_eval(cfg).items():
        console.print(results_table(results, title=f"{name} · gemma-3-270m · {cfg.mode} · first {cfg.limit} sets"))
    build_report([cfg.out], f"{out}/report", title="crossin demo: gemma-3-270m")
    console.print(f"results in {cfg.out}/<bench>/, report in {out}/report/report.md", highlight=False)
    console.print("The tables: accuracy per language (chance = 0.25 with 4 options); consistency@k = share of sets "
                  "answered with the same option in k languages; AC3 = harmonic mean of accuracy and consistency; "
                  "kappa = consistency beyond what each language's answer distribution gives by chance. With this few "
                  "sets the CIs are wide: the demo shows the pipeline (the README has the full-set baseline).",
                  highlight=False, soft_wrap=True)
