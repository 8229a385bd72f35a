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
    bench: str | None = typer.Option(None, "--bench", help="Benchmark name: cross-mmlu, cross-logiqa, cross-xquad, cross-xquad-built, "
                                                           "global-mmlu, mmlu-prox, belebele (with --lm-eval-samples: only "
                                                           "these; default every one found)."),
    predictions: Path | None = typer.Option(None, "--predictions", "-p", help="JSONL: {id, lang, prediction} or {id, lang, choice}."),
    lm_eval_samples: Path | None = typer.Option(None, "--lm-eval-samples", help="lm_eval's --output_path of a --log_samples "
                                                "run of tasks from `crossin export lm-eval`, or of lm-eval's own "
                                                "global_mmlu_full_*, mmlu_prox_*, belebele_* tasks, instead of --predictions."),
    langs: str | None = typer.Option(None, "--langs", help="Comma-separated language codes (default: en,zh,es,vi; "
                                                           "with --lm-eval-samples every language found)."),
    out: Path | None = typer.Option(None, "--out", "-o", help="Write results.json here (a folder per benchmark "
                                                              "with --lm-eval-samples)."),
    data_dir: Path | None = typer.Option(None, "--data-dir", help="Local data root or file (default: $CROSSIN_DATA_DIR, else the Hub)."),
    bench_file: Path | None = typer.Option(None, "--bench-file", help="A SeaEval-format JSONL file to use instead of the registered source."),
    allow_missing: bool = typer.Option(False, "--allow-missing", help="Score missing (set, language) predictions as unparsed."),
    only_complete: bool = typer.Option(False, "--only-complete", help="Score only the sets predicted in every language "
                                       "(e.g. a run with --limit); says how many were left out."),
    subset: str = typer.Option("all", "--subset", help="global-mmlu: cs (culturally sensitive), ca (agnostic) or all "
                                                        "(every question, plus each subset's metrics)."),
    seed: int = typer.Option(0, "--seed", min=0, max=2**32 - 1, help="Seed of the bootstrap confidence intervals."),
    n_boot: int = typer.Option(1000, "--n-boot", min=1, max=MAX_N_BOOT, help="Bootstrap resamples."),
    extractor: str = typer.Option("crossin", "--extractor", help="Who reads raw-text predictions: crossin, "
                                  "seaeval (SeaEval's tiger-eval rule; its random fill seeded by --seed) or judge "
                                  "(an LLM: --judge-model, --judge-base-url)."),
    judge_model: str | None = typer.Option(None, "--judge-model", help="--extractor judge: openai:NAME on the judge server."),
    judge_base_url: str | None = typer.Option(None, "--judge-base-url", help="--extractor judge: the OpenAI-compatible "
                                              "server URL, e.g. http://127.0.0.1:8000/v1."),
    show_disagreements: int = typer.Option(0, "--show-disagreements", min=0, max=100_000,
                                           help="Print up to N items that the crossin and seaeval extractors read differently."),
):
    """Score predictions: accuracy, consistency@k, AC3@k, kappa@k, pairwise consistency, 95% CIs."""
    from ..benchmarks import load_benchmark
    from ..io import RESULTS_FILE, write_json
    from ..langs import parse_langs
    from ..score import score as score_matrix
    from ..score import score_file

    from ..extraction import ExtractorSpec, check_spec
    from ..io import check_output_dir, check_output_file

    spec = ExtractorSpec(name=extractor, seed=seed, judge_model=judge_model, judge_base_url=judge_base_url)
    check_spec(spec)
    if out is not None:  # found before the scoring, not after it
        if predictions is not None and os.path.isdir(out):
            raise CrossinError("--out must be a file path (results.json), not a folder", path=str(out))
        # with --lm-eval-samples, a folder per benchmark when there are several, else the file itself
        check_output_dir(out, "--out") if os.path.isdir(out) else check_output_file(out, "--out")
    if subset not in ("all", "cs", "ca"):
        raise CrossinError(f"unknown --subset {subset!r}; choose from all, cs, ca")
    if (predictions is None) == (lm_eval_samples is None):
        raise CrossinError("give either --predictions FILE or --lm-eval-samples DIR")
    from ..config import refuse_no_ops

    refuse_no_ops([
        (lm_eval_samples is not None and any(x is not None for x in (data_dir, bench_file)),
         "--data-dir and --bench-file are not read with --lm-eval-samples (lm-eval's samples carry the items); "
         "drop them"),
        (lm_eval_samples is not None and (allow_missing or only_complete),
         "--allow-missing and --only-complete are for --predictions; lm-eval's samples of a language are complete "
         "(languages run with different --limit are refused)"),
        (allow_missing and only_complete,
         "--allow-missing does nothing with --only-complete (only sets predicted in every language are scored); "
         "use one of them"),
    ])
    if lm_eval_samples is not None:
        from ..lmeval.samples import load_lm_eval_samples

        found = load_lm_eval_samples(lm_eval_samples, bench=bench.split(",") if bench else None,
                                     langs=parse_langs(langs) if langs else None)
        if extractor != "crossin" or show_disagreements:
            raise CrossinError("--extractor and --show-disagreements read raw-text predictions (--predictions); "
                               "lm-eval samples carry lm-eval's own choice")
        for benchmark, pred, files, option_scores in found:
            results = score_matrix(benchmark, pred, seed=seed, n_boot=n_boot, extra_inputs={"lm_eval_samples": files},
                                   scores=option_scores)
            results["extraction"] = {"extractor": None, "note": "lm-eval samples: lm-eval chose the options"}
            console.print(results_table(results, title=f"{benchmark.name} (lm-eval samples in {lm_eval_samples})"))
            if out is not None:
                path = out / benchmark.name / RESULTS_FILE if len(found) > 1 else out
                write_json(path, results)
                console.print(f"wrote {path}", highlight=False)
        return
    if bench is None:
        raise CrossinError("--predictions needs --bench")
    benchmark = load_benchmark(bench, langs or "en,zh,es,vi", data_dir=data_dir, path=bench_file, subset=subset)
    results = score_file(benchmark, predictions, allow_missing=allow_missing, only_complete=only_complete, seed=seed,
                         n_boot=n_boot, extractor=spec)
    console.print(results_table(results, title=f"{benchmark.name} ({predictions})"))
    _print_extraction(results["extraction"])
    if show_disagreements:
        _print_disagreements(benchmark, predictions, seed, show_disagreements)
    if only_complete:
        console.print(f"scored the {results['n_sets']} sets predicted in every language; left out "
                      f"{results['inputs']['sets_left_out']} of {len(benchmark)} with a language missing", highlight=False)
    if out is not None:
        write_json(out, results)
        console.print(f"wrote {out}")


def _print_extraction(block: dict) -> None:
    texts = sum(block["texts"].values())
    if not texts:
        return
    line = (f"extractor {block['extractor']} (version {block['version']}): {texts} texts read, "
            f"{sum(block['unparsed'].values())} unparsed, {sum(block['ambiguous'].values())} ambiguous")
    if "random" in block:
        line += f", {sum(block['random'].values())} drawn at random (nothing read, or a tie; seed {block['seed']})"
    console.print(line, highlight=False, markup=False)


def _print_disagreements(benchmark, predictions: Path, seed: int, limit: int) -> None:
    """The items crossin's and SeaEval's rules read differently, with both readings and the text."""
    from ..benchmarks import LETTERS
    from ..extraction import ExtractorSpec, disagreements, read_items
    from ..score import read_text_items

    _, items = read_text_items(str(predictions), benchmark)
    ours = read_items(ExtractorSpec("crossin"), items)
    theirs = read_items(ExtractorSpec("seaeval", seed=seed), items)
    differ = disagreements(items, ours, theirs)
    console.print(f"crossin and seaeval read {len(differ)} of {len(items)} texts differently"
                  + (f"; the first {min(limit, len(differ))}:" if differ else ""), highlight=False, markup=False)

    def shown(r) -> str:
        if r.choice is None:
            return "ambiguous" if r.ambiguous else "unparsed"
        return LETTERS[r.choice] + (f" (random {r.random})" if r.random else "")

    for it, a, b in differ[:limit]:
        text = " ".join((it.output or "").split())
        text = text if len(text) <= 300 else text[:297] + "..."
        console.print(f"{it.key}  crossin={shown(a)}  seaeval={shown(b)}  {text!r}", highlight=False, markup=False,
                      soft_wrap=True)
