"""`crossin data build` and `crossin data stats` (see the module docstring of crossin.data)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import typer
from rich.table import Table

from .app import console, data_app, user_errors


@data_app.command("build")
@user_errors
def build(
    config: Path | None = typer.Option(None, "--config", "-c", help="YAML file of DataConfig fields; flags override it."),
    parallel: str | None = typer.Option(None, "--parallel", help="Parallel corpus folder (en.jsonl, zh.jsonl, ... or "
                                                                 "alpaca_<lang>.json) or hf:<dataset>."),
    langs: str | None = typer.Option(None, "--langs", help="Comma-separated languages (default: all in the folder)."),
    recipe: str | None = typer.Option(None, "--recipe", help="en2x, x2en, x2x, translation, monolingual or none."),
    n: int | None = typer.Option(None, "--n", help="Number of CrossIn samples (default 5000)."),
    translation: int | None = typer.Option(None, "--translation", help="Number of translation samples (default 0)."),
    translation_directions: str | None = typer.Option(None, "--translation-directions",
                                                      help="x2en (default), en2x, x2x or pairs like zh-en,en-es."),
    base: str | None = typer.Option(None, "--base", help="Base English set: folder/file/hf:<dataset>, or 'none' "
                                                         "(default: the corpus's English side)."),
    base_n: int | None = typer.Option(None, "--base-n", help="Use N random base samples (default: all)."),
    max_reuse: float | None = typer.Option(None, "--max-reuse", help="Most average uses of one source sample per "
                                                                     "language pair (default 10; above is an error)."),
    exclude_base_ids: bool | None = typer.Option(None, "--exclude-base-ids/--allow-base-ids",
                                                 help="Keep CrossIn samples off the base set's source ids."),
    min_score: float | None = typer.Option(None, "--min-score", help="Drop samples with a quality score below this."),
    score_file: list[str] | None = typer.Option(None, "--score-file", help="Score file: PATH or LANG=PATH; repeatable."),
    langid: bool | None = typer.Option(None, "--langid/--no-langid", help="Language-identify samples (default on)."),
    langid_chars: int | None = typer.Option(None, "--langid-chars", help="Characters checked per sample (default 120)."),
    langid_high_accuracy: bool | None = typer.Option(None, "--langid-high-accuracy/--langid-low-accuracy",
                                                     help="lingua accuracy mode (default low: fast)."),
    name_output_lang: bool | None = typer.Option(None, "--name-output-lang/--no-name-output-lang",
                                                 help="Name the expected response language in the instruction."),
    seed: int | None = typer.Option(None, "--seed", help="Seed of every random choice (default 0)."),
    out: str | None = typer.Option(None, "--out", "-o", help="Output folder."),
):
    """Build a CrossIn mix: base English set + N recipe samples + M translation samples (the paper's Algorithm 1)."""
    from ..config import build_config
    from ..data import DataConfig, build_mix

    overrides = {
        "parallel": parallel, "langs": langs, "recipe": recipe, "n": n, "translation": translation,
        "translation_directions": translation_directions, "base": base, "base_n": base_n, "max_reuse": max_reuse,
        "exclude_base_ids": exclude_base_ids, "min_score": min_score, "score_files": score_file or None,
        "langid": langid, "langid_chars": langid_chars, "langid_high_accuracy": langid_high_accuracy,
        "name_output_lang": name_output_lang, "seed": seed, "out": out,
    }
    cfg = build_config(DataConfig, config, overrides)
    start = time.perf_counter()
    folder = build_mix(cfg, log=lambda msg: console.print(f"[dim]{time.perf_counter() - start:6.1f}s[/] {msg}",
                                                          highlight=False))
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
        what = "input" if recipe == "translation" else "instruction"
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
            line += " [bold red](train.jsonl differs from the manifest's hash)[/]"
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
