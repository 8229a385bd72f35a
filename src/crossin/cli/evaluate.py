"""`crossin eval`: run a model on the parallel benchmarks and score it (see crossin.evaluate)."""

from __future__ import annotations

from pathlib import Path

import typer

from .app import app, console, results_table, templates_table, user_errors


@app.command("eval")
@user_errors
def eval_command(
    model: str | None = typer.Option(None, "--model", "-m", help="Local folder, Hub id, gemma-3-270m (embedded, default) or openai:NAME."),
    bench: str | None = typer.Option(None, "--bench", "-b", help="Comma-separated: cross-mmlu, cross-logiqa, cross-xquad, cross-xquad-built (default cross-mmlu)."),
    langs: str | None = typer.Option(None, "--langs", help="Comma-separated language codes (default en,zh,es,vi)."),
    adapter: str | None = typer.Option(None, "--adapter", help="PEFT LoRA adapter folder."),
    mode: str | None = typer.Option(None, "--mode", help="loglik (default), cloze or generate."),
    circular: bool | None = typer.Option(None, "--circular/--no-circular", help="Every cyclic rotation of the options must agree."),
    template: str | None = typer.Option(None, "--template", help="1-5 (crossin's), seaeval:1-5 (SeaEval v0.1's), all or seaeval:all (median and range)."),
    num_fewshot: int | None = typer.Option(None, "--num-fewshot", help="Solved example sets before each question, the same sets in every language (default 0)."),
    prompt_lang: str | None = typer.Option(None, "--prompt-lang", help="en (default) or native: instruction and labels in each item's language."),
    prompt_format: str | None = typer.Option(None, "--prompt-format", help="alpaca (default), plain or chat: the training formatter."),
    limit: int | None = typer.Option(None, "--limit", help="Only the first N sets of each benchmark."),
    batch_size: int | None = typer.Option(None, "--batch-size", help="Questions per forward pass / concurrent API requests (default 8)."),
    max_new_tokens: int | None = typer.Option(None, "--max-new-tokens", help="Generate mode: tokens to generate (default 48)."),
    out: str | None = typer.Option(None, "--out", "-o", help="Output folder (default runs/eval): <out>/<bench>/results.json, samples_<bench>.jsonl."),
    cache_dir: str | None = typer.Option(None, "--cache-dir", help="Request cache folder (default $CROSSIN_CACHE/eval_cache)."),
    no_cache: bool | None = typer.Option(None, "--no-cache", help="Do not read or write the request cache."),
    data_dir: str | None = typer.Option(None, "--data-dir", help="Local data root (default $CROSSIN_DATA_DIR, else the Hub)."),
    bench_file: str | None = typer.Option(None, "--bench-file", help="SeaEval-format JSONL instead of the registered source."),
    device: str | None = typer.Option(None, "--device", help="cpu, cuda, ... (default cuda when present)."),
    dtype: str | None = typer.Option(None, "--dtype", help="fp32, bf16, fp16 (default bf16 on CUDA, fp32 on CPU)."),
    base_url: str | None = typer.Option(None, "--base-url", help="OpenAI-compatible server, e.g. http://localhost:8000/v1."),
    threads: int | None = typer.Option(None, "--threads", help="CPU threads for torch (1 is faster on a busy machine)."),
    seed: int | None = typer.Option(None, "--seed", help="Seed recorded in the output (bootstrap CIs)."),
    n_boot: int | None = typer.Option(None, "--n-boot", help="Bootstrap resamples (default 1000)."),
    config: Path | None = typer.Option(None, "--config", help="YAML file with EvalConfig fields; flags override it."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
):
    """Evaluate a model: accuracy, consistency@k, AC3@k and kappa@k per benchmark (cached, resumable)."""
    from ..config import build_config
    from ..evaluate import EvalConfig, run_eval

    overrides = {
        "model": model, "bench": bench, "langs": langs, "adapter": adapter, "mode": mode, "circular": circular,
        "template": template, "num_fewshot": num_fewshot, "prompt_lang": prompt_lang, "prompt_format": prompt_format, "limit": limit, "batch_size": batch_size,
        "max_new_tokens": max_new_tokens, "out": out, "cache_dir": cache_dir, "no_cache": no_cache, "data_dir": data_dir,
        "bench_file": bench_file, "device": device, "dtype": dtype, "base_url": base_url, "threads": threads, "seed": seed, "n_boot": n_boot,
    }
    cfg = build_config(EvalConfig, config, overrides)
    all_results = run_eval(cfg, progress=not quiet)
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
