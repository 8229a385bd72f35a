"""`crossin report`: report.md, report.json and plots from eval result folders (see crossin.report)."""

from __future__ import annotations

from pathlib import Path

import typer

from ..errors import CrossinError
from ..metrics import MAX_N_BOOT
from .app import app, console, user_errors


@app.command()
@user_errors
def report(
    dirs: list[Path] = typer.Argument(..., help="Eval result folders (<run>/<bench>/results.json), experiment folders, or results.json files."),
    out: Path = typer.Option(Path("report"), "--out", "-o", help="Folder for report.md, report.json and the PNG plots."),
    compare: list[str] = typer.Option(None, "--compare", metavar="<str>", help="Paired comparison A:B (repeatable). Default: every run against --baseline."),
    baseline: str | None = typer.Option(None, "--baseline", help="Run every other run is compared with (default: the English-only arm, else the first run)."),
    n_boot: int = typer.Option(10000, "--n-boot", min=1, max=MAX_N_BOOT, help="Paired bootstrap resamples."),
    seed: int = typer.Option(0, "--seed", min=0, max=2**32 - 1, help="Seed of the paired bootstrap."),
    title: str = typer.Option("crossin report", "--title", help="Title of report.md."),
):
    """Table 3 (Acc, Consistency@3, AC3@3 with 95% CIs), Figures 2-5 and paired bootstrap tests."""
    from ..io import check_output_dir
    from ..report import build_report

    check_output_dir(out, "--out")
    result = build_report(dirs, out, compare=[parse_pair(c) for c in compare] if compare else None, baseline=baseline, n_boot=n_boot, seed=seed, title=title)
    console.print(f"{len({r['name'] for r in result['runs']})} runs, {len(result['benchmarks'])} benchmarks, "
                  f"{len(result['comparisons'])} paired comparisons, {len(result['figures'])} plots")
    for name, why in result["skipped_figures"].items():
        console.print(f"skipped {name}: {why}")
    console.print(f"wrote {out / 'report.md'}")
