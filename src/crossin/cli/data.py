"""`crossin data build` and `crossin data stats` (see the module docstring of crossin.data)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import typer
from rich.table import Table

from ..data.config import DataConfig
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
