"""`crossin demo`: the embedded model on a few sets of every benchmark, end to end, in about a minute on a CPU."""

from __future__ import annotations

import typer

from .app import app, console, results_table, user_errors


@app.command()
@user_errors
def demo(
    limit: int = typer.Option(20, "--limit", min=1, help="Sets per benchmark."),
    langs: str = typer.Option("en,zh,es,vi", "--langs", help="Comma-separated language codes."),
    mode: str = typer.Option("loglik", "--mode", help="loglik, cloze or generate."),
    out: str = typer.Option("runs/demo", "--out", "-o", help="Output folder."),
):
    """Evaluate the embedded Gemma 3 270M on Cross-MMLU, Cross-LogiQA and Cross-XQuAD, then write a report."""
    from ..config import build_config
    from ..evaluate import EvalConfig, run_eval
    from ..report import build_report

    cfg = build_config(EvalConfig, None, {
        "model": "gemma-3-270m", "bench": ["cross-mmlu", "cross-logiqa", "cross-xquad"], "langs": langs,
        "mode": mode, "limit": limit, "out": f"{out}/gemma-3-270m",
    })
    for name, results in run_eval(cfg).items():
        console.print(results_table(results, title=f"{name} · gemma-3-270m · {mode} · first {limit} sets"))
    build_report([f"{out}/gemma-3-270m"], f"{out}/report", title="crossin demo: gemma-3-270m")
    console.print(f"results in {out}/gemma-3-270m/<bench>/, report in {out}/report/report.md", highlight=False)
