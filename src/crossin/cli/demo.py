"""`crossin demo`: the embedded model on a few sets of every benchmark, end to end, in about a minute on a CPU."""

from __future__ import annotations

import dataclasses

from ..evaluate.config import EvalConfig
from .app import app, console, results_table, user_errors
from .options import config_options

DEMO_BENCHES = ["cross-mmlu", "cross-logiqa", "cross-xquad"]


@app.command()
@user_errors
@config_options(EvalConfig, only=("langs", "mode", "limit", "out"), defaults={"limit": 20, "out": "runs/demo"},
                names={"out": ("-o",)})
def demo(cfg: EvalConfig):
    """Evaluate the embedded Gemma 3 270M on Cross-MMLU, Cross-LogiQA and Cross-XQuAD, then write a report.

    Results go to <out>/gemma-3-270m/<bench>/, the report to <out>/report/.
    """
    from ..evaluate import run_eval
    from ..report import build_report

    out = cfg.out
    cfg = dataclasses.replace(cfg, model="gemma-3-270m", bench=DEMO_BENCHES, out=f"{out}/gemma-3-270m")
    for name, results in run_eval(cfg).items():
        console.print(results_table(results, title=f"{name} · gemma-3-270m · {cfg.mode} · first {cfg.limit} sets"))
    build_report([cfg.out], f"{out}/report", title="crossin demo: gemma-3-270m")
    console.print(f"results in {cfg.out}/<bench>/, report in {out}/report/report.md", highlight=False)
