"""`crossin report`: report.md, report.json and plots from eval result folders (see crossin.report)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import typer

from ..config import arg, check_fields, parse_pair
from ..errors import CrossinError
from ..metrics import MAX_N_BOOT
from .app import app, console, user_errors
from .options import config_options


@dataclass
class ReportConfig:
    dirs: list[str] = arg([], help="Eval result folders (<run>/<bench>/results.json), experiment folders, or "
                                   "results.json files (the command's arguments; YAML: a list).")
    out: str = arg("report", help="Folder for report.md, report.json and the PNG plots.")
    compare: list[str] = arg([], help="Paired comparisons A:B (repeatable). Default: every run against --baseline.")
    baseline: str | None = arg(None, help="Run every other run is compared with (default: the English-only arm, "
                                          "else the first run).")
    n_boot: int = arg(10000, min=1, max=MAX_N_BOOT, help="Paired bootstrap resamples.")
    seed: int = arg(0, min=0, max=2**32 - 1, help="Seed of the paired bootstrap.")
    title: str = arg("crossin report", help="Title of report.md.")

    def validate(self) -> list[tuple[str, str]] | None:
        """Every check of a report config; returns the comparisons as (A, B) pairs (None: the default ones)."""
        check_fields(self)
        if not self.dirs:
            raise CrossinError("no result folders given (crossin report DIR ...)")
        return [parse_pair(c) for c in self.compare] or None


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
    compare = cfg.validate()
    out = Path(cfg.out)
    check_output_dir(out, "--out")
    result = build_report([Path(d) for d in cfg.dirs], out, compare=compare, baseline=cfg.baseline, n_boot=cfg.n_boot,
                          seed=cfg.seed, title=cfg.title)
    console.print(f"{len({r['name'] for r in result['runs']})} runs, {len(result['benchmarks'])} benchmarks, "
                  f"{len(result['comparisons'])} paired comparisons, {len(result['figures'])} plots")
    for name, why in result["skipped_figures"].items():
        console.print(f"skipped {name}: {why}")
    console.print(f"wrote {out / 'report.md'}")
