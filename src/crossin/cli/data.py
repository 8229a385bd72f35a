"""`crossin data build`, `crossin data stats`, `crossin data translate` (see crossin.data, crossin.data.translate)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import typer
from rich.table import Table
from rich.text import Text

from ..data.config import DataConfig
from ..recipe_names import TRANSLATION
from .app import console, data_app, user_errors
from .options import config_options


@data_app.command("build")
@user_errors
@config_options(DataConfig, names={"out": ("-o",), "score_files": ("--score-file",),
                                   "exclude_base_ids": ("--exclude-base-ids/--allow-base-ids",),
                                   "langid_high_accuracy": ("--langid-high-accuracy/--langid-low-accuracy",)})
def build(cfg: DataConfig):
    """Build a CrossIn mix: base English set + N recipe samples + M translation samples (the paper's Algorithm 1)."""
    from ..data import build_mix

    cfg.check_combinations()
    start = time.perf_counter()
    folder = build_mix(cfg, log=lambda msg: console.print(
        Text.assemble((f"{time.perf_counter() - start:6.1f}s", "dim"), f" {msg}"), highlight=False))
    _print_stats(folder)


@data_app.command("stats")
@user_errors
def stats(
    folder: Path = typer.Argument(..., help="A folder built by `crossin data build` (or its train.jsonl)."),
    as_json: bool = typer.Option(False, "--json", help="Print the counts as JSON instead of tables."),
):
    """Print a mix's counts: per recipe the language-pair matrix (rows: prompt language, columns: output language)."""
    if as_json:
        from ..data import mix_stats

        console.print_json(json.dumps(mix_stats(folder), ensure_ascii=False))
        return
    _print_stats(folder)


def _print_stats(folder: Path) -> None:
    from ..data import mix_stats

    s = mix_stats(folder)
    for recipe, pairs in s["by_pair"].items():
        src = sorted({p.split(">")[0] for p in pairs}, key=lambda c: (c != "en", c))
        dst = sorted({p.split(">")[1] for p in pairs}, key=lambda c: (c != "en", c))
        what = "input" if recipe == TRANSLATION else "instruction"
        table = Table(title=f"{recipe}: {s['by_recipe'][recipe]} rows", title_justify="left")
        table.add_column(f"{what} \\ output")
        for d in dst:
            table.add_column(d, justify="right")
        for a in src:
            table.add_row(a, *(str(pairs.get(f"{a}>{d}", "")) or "·" for d in dst))
        console.print(table)
    line = f"total {s['total']} rows, {s['source_ids']} source ids"
    if "seed" in s:
        line += f", seed {s['seed']}"
        order = s.get("order") or {}
        if order.get("source_ids_repeated"):
            line += f", {order['source_ids_repeated']} ids repeated (closest repeat {order['min_repeat_gap']} rows apart)"
        if not s.get("train_sha256_ok", True):
            line = Text.assemble(line, (" (train.jsonl differs from the manifest's hash)", "bold red"))
    console.print(line, highlight=False)
    corpus = s.get("corpus")
    if corpus:
        dropped = Table(title=f"parallel corpus: {corpus['n_ids']} ids; usable and dropped (dropped.jsonl) per language",
                        title_justify="left")
        reasons = list(next(iter(corpus["dropped"].values()), {}))
        for name in ("lang", "usable", *reasons):
            dropped.add_column(name, justify="left" if name == "lang" else "right")
        for lang, counts in corpus["dropped"].items():
            dropped.add_row(lang, str(corpus["valid"][lang]), *(str(counts[r]) for r in reasons))
        console.print(dropped)


@data_app.command("translate")
@user_errors
def translate(
    config: Path | None = typer.Option(None, "--config", "-c", help="YAML file of TranslateConfig fields; flags "
                                                                    "override it."),
    input_path: str | None = typer.Option(None, "--input", "-i", help="JSON/JSONL file, or a folder with "
                                                                      "<from>.jsonl / alpaca_<from>.json."),
    source_lang: str | None = typer.Option(None, "--from", help="Source language (default en)."),
    target_langs: str | None = typer.Option(None, "--to", help="Target languages, comma-separated (es,vi)."),
    out: str | None = typer.Option(None, "--out", "-o", help="Output folder."),
    engine: str | None = typer.Option(None, "--engine", help="openai (an OpenAI-compatible server) or hf (a local "
                                                             "MarianMT/NLLB/M2M100 model)."),
    model: str | None = typer.Option(None, "--model", "-m", help="Served model name (openai) or folder/Hub id (hf)."),
    base_url: str | None = typer.Option(None, "--base-url", help="Server URL ending in /v1 (openai)."),
    concurrency: int | None = typer.Option(None, "--concurrency", help="Requests in flight (openai, default 8)."),
    max_tokens: int | None = typer.Option(None, "--max-tokens", help="Most tokens per answer (default 1024)."),
    batch_size: int | None = typer.Option(None, "--batch-size", help="Texts per batch (hf, default 16)."),
    device: str | None = typer.Option(None, "--device", help="hf: cpu, cuda (default: cuda when present)."),
    prompt: str | None = typer.Option(None, "--prompt", help="Translation prompt with {source}, {target}, {text} "
                                                             "(openai; default: an instruction to translate)."),
    stop: list[str] | None = typer.Option(None, "--stop", metavar="<str>", help="Stop string (openai; repeatable; \\n = newline)."),
    round_trip: bool | None = typer.Option(None, "--round-trip/--no-round-trip",
                                           help="Back-translate and score chrF against the source."),
    seed: int | None = typer.Option(None, "--seed", help="Seed sent with every request (default 0)."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show a progress bar."),
):
    """Translate an instruction corpus into other languages: <lang>.jsonl per language (aligned by id, ready for
    `crossin data build --parallel`), <lang>_translation_score.jsonl, failures.jsonl, manifest.json. Resumable."""
    from ..config import build_config
    from ..data.translate import TranslateConfig, translate_corpus

    overrides = {
        "input": input_path, "source_lang": source_lang, "target_langs": target_langs, "out": out, "engine": engine,
        "model": model, "base_url": base_url, "concurrency": concurrency, "max_tokens": max_tokens,
        "batch_size": batch_size, "device": device, "prompt": prompt.replace("\\n", "\n") if prompt else None,
        "stop": [x.replace("\\n", "\n").replace("\\t", "\t") for x in stop] if stop else None,
        "round_trip": round_trip, "seed": seed,
    }
    cfg = build_config(TranslateConfig, config, overrides)
    folder = translate_corpus(cfg, progress=progress, log=lambda msg: console.print(msg, highlight=False))
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    for lang, c in manifest["counts"].items():
        reasons = ", ".join(f"{r} {k}" for r, k in manifest["failures"][lang].items() if k)
        console.print(f"{lang}: {c['written']}/{c['samples']} written" + (f"; failed: {reasons}" if reasons else ""),
                      highlight=False)
    req = manifest["requests"]
    console.print(f"requests: {req['sent']} sent, {req['cached']} from the cache -> {folder}", highlight=False)
