"""`crossin eval`: run a model on the parallel benchmarks and score it (see crossin.evaluate)."""

from __future__ import annotations

from pathlib import Path

import typer

from ..evaluate.config import EvalConfig
from .app import app, console, results_table, templates_table, user_errors
from .options import config_options


def check_eval_places(cfg: EvalConfig) -> None:
    """Where an eval writes (--out, the request cache), checked before the model loads, not after the run."""
    from ..io import check_cache_writable, check_output_dir

    if cfg.out:
        check_output_dir(cfg.out, "--out")
    if cfg.no_cache:
        return
    if cfg.cache_dir:
        check_output_dir(cfg.cache_dir, "--cache-dir")
    else:
        check_cache_writable()


@app.command("eval")
@user_errors
@config_options(EvalConfig, names={"model": ("-m",), "bench": ("-b",), "out": ("-o",)})
def eval_command(cfg: EvalConfig, quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar.")):
    """Evaluate a model: accuracy, consistency@k, AC3@k and kappa@k per benchmark (cached, resumable)."""
    from ..evaluate import run_eval

    check_eval_places(cfg)
    all_results = run_eval(cfg, progress=not quiet)
    if not quiet and not cfg.bench_file:  # after the run: an error stays the one line
        from ..benchmarks.registry import data_source_line

        console.print(data_source_line(cfg.data_dir), highlight=False, markup=False, soft_wrap=True)
    for name, results in all_results.items():
        if "runs" in results:  # --template all
            console.print(templates_table(results, title=f"{name} · {cfg.model} · {cfg.mode} · every template"))
            if cfg.out:
                console.print(f"wrote {Path(cfg.out) / name}/templates.json and one folder per template", highlight=False)
            continue
        req = results["requests"]
        title = (f"{name} · {cfg.model}{' + ' + cfg.adapter if cfg.adapter else ''} · {cfg.mode}"
                 f"{' circular' if results['circular'] else ''} · {results['wall_time_s']:.1f}s, "
                 f"{req['computed']} computed, {req['cache_hits']} cached")
        console.print(results_table(results, title=title))
        if cfg.out:
            console.print(f"wrote {Path(cfg.out) / name}/results.json and samples_{name}.jsonl", highlight=False)
