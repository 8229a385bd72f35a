"""`crossin report`: report.md, report.json and plots from eval result folders (see crossin.report)."""

from __future__ import annotations

from pathlib import Path

import typer

from ..report.config import ReportConfig
from .app import app, console, user_errors
from .options import config_options


@app.command()
@user_errors
@config_options(ReportConfig, skip=("dirs",), names={"out": ("-o",)})
def report(cfg: ReportConfig, folders: list[Path] = typer.Argument(None, metavar="DIRS...", show_default=False,
                                                                   help="Eval result folders (<run>/<bench>/results."
                                                                   "json), experiment folders, or results.json files "
                                                                   "(instead of the YAML's dirs).")):
    """Table 3 (Acc, Consistency@3, AC3@3 with 95% CIs), Figures 2-5 and paired bootstrap tests."""
    from ..io import check_output_dir
    from ..report import build_report

    if folders:
        cfg.dirs = [str(f) for f in folders]
    cfg.validate()
    out = Path(cfg.out)
    check_output_dir(out, "--out")
    result = build_report([Path(d) for d in cfg.dirs], out, compare=cfg.comparisons(), baseline=cfg.baseline, n_boot=cfg.n_boot,
                          seed=cfg.seed, title=cfg.title)
    console.print(f"{len({r['name'] for r in result['runs']})} runs, {len(result['benchmarks'])} benchmarks, "
                  f"{len(result['comparisons'])} paired comparisons, {len(result['figures'])} plots")
    for name, why in result["skipped_figures"].items():
        console.print(f"skipped {name}: {why}")
    console.print(f"wrote {out / 'report.md'}")
