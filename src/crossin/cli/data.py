"""`crossin data build`, `crossin data stats`, `crossin data translate` (see crossin.data, crossin.data.translate)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import typer
from rich.table import Table
from rich.text import Text

from ..data.config import DataConfig
from ..data.pairs import PairsConfig
from ..data.translate.config import TranslateConfig
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


@data_app.command("pairs")
@user_errors
@config_options(PairsConfig, names={"out": ("-o",), "model": ("-m",)})
def pairs(cfg: PairsConfig):
    """Preference data from the model's own cross-lingual disagreements on a training pool: CALM pairs (calm.jsonl,
    for `crossin train --method dpo`) and DCO records (dco.jsonl, for --method dco); test-set questions removed."""
    from ..data.pairs import make_pairs

    make_pairs(cfg, log=lambda msg: console.print(msg, highlight=False, markup=False))


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


def _unescape(text: str) -> str:
    """`\\n` and `\\t` typed in a flag (a shell cannot easily pass a newline) as the characters."""
    return text.replace("\\n", "\n").replace("\\t", "\t")


@data_app.command("translate")
@user_errors
@config_options(TranslateConfig, names={"input": ("-i",), "source_lang": ("--from",), "target_langs": ("--to",),
                                        "out": ("-o",), "model": ("-m",)},
                skip=("api_key",),  # a secret: YAML or $OPENAI_API_KEY, not the process list
                convert={"prompt": _unescape, "stop": lambda items: [_unescape(x) for x in items]})
def translate(cfg: TranslateConfig,
              progress: bool = typer.Option(True, "--progress/--no-progress", help="Show a progress bar.")):
    """Translate an instruction corpus into other languages: <lang>.jsonl per language (aligned by id, ready for
    `crossin data build --parallel`), <lang>_translation_score.jsonl, failures.jsonl, manifest.json. Resumable."""
    from ..data.translate import translate_corpus

    folder = translate_corpus(cfg, progress=progress, log=lambda msg: console.print(msg, highlight=False))
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    for lang, c in manifest["counts"].items():
        reasons = ", ".join(f"{r} {k}" for r, k in manifest["failures"][lang].items() if k)
        console.print(f"{lang}: {c['written']}/{c['samples']} written" + (f"; failed: {reasons}" if reasons else ""),
                      highlight=False)
    req = manifest["requests"]
    console.print(f"requests: {req['sent']} sent, {req['cached']} from the cache -> {folder}", highlight=False)
