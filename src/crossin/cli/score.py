"""`crossin score`: metrics for a predictions file, or for the samples of an lm-eval run of our tasks."""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import CrossinError
from ..score import ScoreConfig
from .app import app, console, results_table, user_errors
from .options import config_options


@app.command()
@user_errors
@config_options(ScoreConfig, names={"predictions": ("-p",), "out": ("-o",)})
def score(cfg: ScoreConfig):
    """Score predictions: accuracy, consistency@k, AC3@k, kappa@k, pairwise consistency, 95% CIs."""
    cfg.validate()
    out = Path(cfg.out) if cfg.out is not None else None
    if out is not None:  # found before the scoring, not after it
        from ..io import check_output_dir, check_output_file

        if cfg.predictions is not None and os.path.isdir(out):
            raise CrossinError("--out must be a file path (results.json), not a folder", path=str(out))
        # with --lm-eval-samples, a folder per benchmark when there are several, else the file itself
        check_output_dir(out, "--out") if os.path.isdir(out) else check_output_file(out, "--out")
    if cfg.lm_eval_samples is not None:
        _score_lm_eval_samples(cfg, Path(cfg.lm_eval_samples), out)
    else:
        _score_predictions(cfg, Path(cfg.predictions), out)


def _score_lm_eval_samples(cfg: ScoreConfig, folder: Path, out: Path | None) -> None:
    from ..io import RESULTS_FILE, write_json
    from ..langs import parse_langs
    from ..lmeval.samples import load_lm_eval_samples
    from ..score import score as score_matrix

    found = load_lm_eval_samples(folder, bench=cfg.bench.split(",") if cfg.bench else None,
                                 langs=parse_langs(cfg.langs) if cfg.langs else None)
    for benchmark, pred, files, option_scores in found:
        results = score_matrix(benchmark, pred, seed=cfg.seed, n_boot=cfg.n_boot,
                               extra_inputs={"lm_eval_samples": files}, scores=option_scores)
        results["extraction"] = {"extractor": None, "note": "lm-eval samples: lm-eval chose the options"}
        console.print(results_table(results, title=f"{benchmark.name} (lm-eval samples in {folder})"))
        if out is not None:
            path = out / benchmark.name / RESULTS_FILE if len(found) > 1 else out
            write_json(path, results)
            console.print(f"wrote {path}", highlight=False)


def _score_predictions(cfg: ScoreConfig, predictions: Path, out: Path | None) -> None:
    from ..benchmarks import load_benchmark
    from ..io import write_json
    from ..score import score_file

    benchmark = load_benchmark(cfg.bench, cfg.langs or "en,zh,es,vi", data_dir=cfg.data_dir, path=cfg.bench_file,
                               subset=cfg.subset)
    readings: list = []
    results = score_file(benchmark, predictions, allow_missing=cfg.allow_missing, only_complete=cfg.only_complete,
                         seed=cfg.seed, n_boot=cfg.n_boot, extractor=cfg.spec(), readings=readings)
    console.print(results_table(results, title=f"{benchmark.name} ({predictions})"))
    _print_extraction(results["extraction"])
    if cfg.show_disagreements:
        _print_disagreements(benchmark, predictions, cfg.seed, cfg.show_disagreements)
    if cfg.only_complete:
        console.print(f"scored the {results['n_sets']} sets predicted in every language; left out "
                      f"{results['inputs']['sets_left_out']} of {len(benchmark)} with a language missing",
                      highlight=False)
    if out is not None:
        write_json(out, results)
        console.print(f"wrote {out}")
        if readings:  # beside results.json, as crossin eval writes them: how each raw text was read
            from ..score import write_readings

            path = write_readings(out.parent / "samples.jsonl", readings)
            console.print(f"wrote {path}", highlight=False)


def _print_extraction(block: dict) -> None:
    texts = sum(block["texts"].values())
    if not texts:
        return
    line = (f"extractor {block['extractor']} (version {block['version']}): {texts} texts read, "
            f"{sum(block['unparsed'].values())} unparsed, {sum(block['ambiguous'].values())} ambiguous")
    if "random" in block:
        line += f", {sum(block['random'].values())} drawn at random (nothing read, or a tie; seed {block['seed']})"
    if sum(block.get("cut_off", {}).values()):
        line += f", {sum(block['cut_off'].values())} cut off inside the thinking"
    if "read_by" in block:
        line += (f"; read by the rules {sum(block['read_by']['rules'].values())}, by the judge "
                 f"{sum(block['read_by']['judge'].values())}")
    console.print(line, highlight=False, markup=False)  # its warnings are under the table (cli.app.warning_lines)


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
