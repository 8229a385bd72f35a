"""`crossin bench ...`: build benchmarks. `build-xquad` turns XQuAD into Cross-XQuAD (see crossin.benchmarks.xquad)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from ..benchmarks.xquad.config import XquadBuildConfig
from ..errors import CrossinError
from .app import bench_app, console, user_errors
from .options import config_options


def xquad_summary_table(report: dict):
    """Per language: options found in the passage and the three trivial baselines (chance = 0.25)."""
    from rich.table import Table

    table = Table(title=f"Cross-XQuAD: {report['n_sets']} of {report['n_questions']} sets, seed {report['seed']}")
    for name in ("", "options in passage", "baseline: in passage", "baseline: longest", "baseline: word overlap"):
        table.add_column(name, justify="right" if name else "left")
    base = report["baselines"]
    for lang in report["languages"]:
        table.add_row(lang, f"{report['options_in_context'][lang]:.3f}", f"{base['context'][lang]:.3f}",
                      f"{base['longest'][lang]:.3f}", f"{base['overlap'][lang]:.3f}")
    positions = " ".join(f"{k} {v:.1%}" for k, v in report["gold_share"].items())
    sources = ", ".join(f"{k} {v}" for k, v in report["distractor_sources"].items() if v or k != "llm")
    dropped = "; ".join(f"{r} x{n}" for r, n in report["dropped_by_reason"].items()) or "none"
    table.caption = (f"gold positions: {positions}\ndistractor sources: {sources}; same answer type "
                     f"{report['distractor_type_match']:.1%}\ndropped: {report['n_dropped']} ({dropped})")
    if "llm" in report:
        table.caption += "\nLLM proposals: " + ", ".join(f"{k} {v}" for k, v in report["llm"].items())
    return table


def resolve_xquad_dir(xquad_dir: Path | None) -> Path:
    """--xquad-dir, else $CROSSIN_DATA_DIR/xquad, else a download of the public release into the cache."""
    from ..benchmarks.registry import default_data_dir
    from ..benchmarks.xquad import download_xquad
    from ..io import xquad_download_dir

    if xquad_dir is not None:
        return xquad_dir
    root = default_data_dir()
    if root is not None and (root / "xquad").is_dir():
        return root / "xquad"
    console.print("downloading XQuAD from github.com/google-deepmind/xquad ...")
    return download_xquad(xquad_download_dir())


def check_build_places(out: Path, report: Path | None, llm_cache: Path | None, *, download: bool) -> None:
    """The outputs of build-xquad: each a regular file or absent, all different (a report written over the
    benchmark would lose it), checked before XQuAD is read or downloaded."""
    from ..io import check_cache_writable, check_output_file

    named = [("--out", out), ("--report", report), ("--llm-cache", llm_cache)]
    seen: dict[Path, str] = {}
    for flag, path in named:
        if path is None:
            continue
        check_output_file(path, flag)
        key = Path(os.path.abspath(path))
        if key in seen:
            raise CrossinError(f"{flag} and {seen[key]} are the same file", path=str(path))
        seen[key] = flag
    if download:
        from ..benchmarks.registry import default_data_dir

        root = default_data_dir()
        if root is None or not (root / "xquad").is_dir():
            check_cache_writable()


@bench_app.command("build-xquad")
@user_errors
@config_options(XquadBuildConfig, names={"out": ("-o",)})
def build_xquad(cfg: XquadBuildConfig):
    """Build Cross-XQuAD: XQuAD as parallel 4-option multiple choice with distractors from the passage."""
    from ..benchmarks.xquad import build_cross_xquad, find_xquad_files, write_build
    from ..langs import parse_langs
    from ..models.openai_api import openai_generator

    cfg.validate()
    out, report = Path(cfg.out), Path(cfg.report) if cfg.report else None
    check_build_places(out, report, cfg.cache_file(), download=cfg.xquad_dir is None)
    start = time.perf_counter()
    folder = resolve_xquad_dir(Path(cfg.xquad_dir) if cfg.xquad_dir else None)
    codes = tuple(find_xquad_files(folder)) if cfg.langs.strip().lower() == "all" else parse_langs(cfg.langs)
    gen = None
    if cfg.generator == "openai":
        gen = openai_generator(cfg.base_url, cfg.model, seed=cfg.seed, cache=cfg.cache_file())
    result = build_cross_xquad(folder, codes, seed=cfg.seed, generator=gen, workers=cfg.workers,
                               progress=gen is not None)
    write_build(result, out, report)
    console.print(xquad_summary_table(result.report))
    console.print(f"wrote {out}" + (f" and {report}" if report else "") + f" in {time.perf_counter() - start:.1f} s")
