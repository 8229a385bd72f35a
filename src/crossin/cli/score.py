"""`crossin score`: metrics for a predictions file, or for the samples of an lm-eval run of our tasks."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from ..errors import CrossinError
from ..metrics import MAX_N_BOOT
from .app import app, console, results_table, user_errors


@app.command()
@user_errors
def score(
    bench: str | None = typer.Option(None, "--bench", help="Benchmark name: cross-mmlu, cross-logiqa, cross-xquad, cross-xquad-built "
                                                           "(with --lm-eval-samples: only these; default every one found)."),
    predictions: Path | None = typer.Option(None, "--predictions", "-p", help="JSONL: {id, lang, prediction} or {id, lang, choice}."),
    lm_eval_samples: Path | None = typer.Option(None, "--lm-eval-samples", help="lm_eval's --output_path of a --log_samples "
                                                "run of tasks from `crossin export lm-eval`, instead of --predictions."),
    langs: str | None = typer.Option(None, "--langs", help="Comma-separated language codes (default: en,zh,es,vi; "
                                                           "with --lm-eval-samples every language found)."),
    out: Path | None = typer.Option(None, "--out", "-o", help="Write results.json here (a folder per benchmark "
                                                              "with --lm-eval-samples)."),
    data_dir: Path | None = typer.Option(None, "--data-dir", help="Local data root or file (default: $CROSSIN_DATA_DIR, else the Hub)."),
    bench_file: Path | None = typer.Option(None, "--bench-file", help="A SeaEval-format JSONL file to use instead of the registered source."),
    allow_missing: bool = typer.Option(False, "--allow-missing", help="Score missing (set, language) predictions as unparsed."),
    only_complete: bool = typer.Option(False, "--only-complete", help="Score only the sets predicted in every language "
                                       "(e.g. a run with --limit); says how many were left out."),
    seed: int = typer.Option(0, "--seed", min=0, max=2**32 - 1, help="Seed of the bootstrap confidence intervals."),
    n_boot: int = typer.Option(1000, "--n-boot", min=1, max=MAX_N_BOOT, help="Bootstrap resamples."),
):
    """Score predictions: accuracy, consistency@k, AC3@k, kappa@k, pairwise consistency, 95% CIs."""
    from ..benchmarks import load_benchmark
    from ..io import RESULTS_FILE, write_json
    from ..langs import parse_langs
    from ..score import score as score_matrix
    from ..score import score_file

    from ..io import check_output_dir, check_output_file

    if out is not None:  # found before the scoring, not after it
        if predictions is not None and os.path.isdir(out):
            raise CrossinError("--out must be a file path (results.json), not a folder", path=str(out))
        # with --lm-eval-samples, a folder per benchmark when there are several, else the file itself
        check_output_dir(out, "--out") if os.path.isdir(out) else check_output_file(out, "--out")
    if (predictions is None) == (lm_eval_samples is None):
        raise CrossinError("give either --predictions FILE or --lm-eval-samples DIR")
    if lm_eval_samples is not None:
        from ..lmeval.samples import load_lm_eval_samples

        found = load_lm_eval_samples(lm_eval_samples, bench=bench.split(",") if bench else None,
                                     langs=parse_langs(langs) if langs else None)
        for benchmark, pred, files in found:
            results = score_matrix(benchmark, pred, seed=seed, n_boot=n_boot, extra_inputs={"lm_eval_samples": files})
            console.print(results_table(results, title=f"{benchmark.name} (lm-eval samples in {lm_eval_samples})"))
            if out is not None:
                path = out / benchmark.name / RESULTS_FILE if len(found) > 1 else out
                write_json(path, results)
                console.print(f"wrote {path}", highlight=False)
        return
    if bench is None:
        raise CrossinError("--predictions needs --bench")
    benchmark = load_benchmark(bench, langs or "en,zh,es,vi", data_dir=data_dir, path=bench_file)
    results = score_file(benchmark, predictions, allow_missing=allow_missing, only_complete=only_complete, seed=seed,
                         n_boot=n_boot)
    console.print(results_table(results, title=f"{benchmark.name} ({predictions})"))
    if only_complete:
        console.print(f"scored the {results['n_sets']} sets predicted in every language; left out "
                      f"{results['inputs']['sets_left_out']} of {len(benchmark)} with a language missing", highlight=False)
    if out is not None:
        write_json(out, results)
        console.print(f"wrote {out}")
