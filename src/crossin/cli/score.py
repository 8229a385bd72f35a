"""`crossin score`: metrics for a predictions file."""

from __future__ import annotations

from pathlib import Path

import typer

from .app import app, console, results_table, user_errors


@app.command()
@user_errors
def score(
    bench: str = typer.Option(..., "--bench", help="Benchmark name: cross-mmlu, cross-logiqa, cross-xquad."),
    predictions: Path = typer.Option(..., "--predictions", "-p", help="JSONL: {id, lang, prediction} or {id, lang, choice}."),
    langs: str = typer.Option("en,zh,es,vi", "--langs", help="Comma-separated language codes."),
    out: Path | None = typer.Option(None, "--out", "-o", help="Write results.json here."),
    data_dir: Path | None = typer.Option(None, "--data-dir", help="Local data root or file (default: $CROSSIN_DATA_DIR, else the Hub)."),
    bench_file: Path | None = typer.Option(None, "--bench-file", help="A SeaEval-format JSONL file to use instead of the registered source."),
    allow_missing: bool = typer.Option(False, "--allow-missing", help="Score missing (set, language) predictions as unparsed."),
    seed: int = typer.Option(0, "--seed", min=0, max=2**32 - 1, help="Seed of the bootstrap confidence intervals."),
    n_boot: int = typer.Option(1000, "--n-boot", min=1, help="Bootstrap resamples."),
):
    """Score predictions: accuracy, consistency@k, AC3@k, kappa@k, pairwise consistency, 95% CIs."""
    from ..benchmarks import load_benchmark
    from ..errors import CrossinError
    from ..io import write_json
    from ..score import score_file

    if out is not None and out.is_dir():  # found before the scoring, not after it
        raise CrossinError("--out must be a file path (results.json), not a folder", path=str(out))
    benchmark = load_benchmark(bench, langs, data_dir=data_dir, path=bench_file)
    results = score_file(benchmark, predictions, allow_missing=allow_missing, seed=seed, n_boot=n_boot)
    console.print(results_table(results, title=f"{benchmark.name} ({predictions})"))
    if out is not None:
        write_json(out, results)
        console.print(f"wrote {out}")
