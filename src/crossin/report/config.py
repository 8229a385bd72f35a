"""The config of `crossin report` (crossin.cli.report reads it from flags and YAML)."""

from __future__ import annotations

from dataclasses import dataclass

from ..config import arg, check_fields, parse_pair
from ..errors import CrossinError
from ..metrics import MAX_N_BOOT


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

    def validate(self) -> None:
        """Every check of a report config, before any folder is read (a bad --compare item included)."""
        check_fields(self)
        if not self.dirs:
            raise CrossinError("no result folders given (crossin report DIR ...)")
        self.comparisons()

    def comparisons(self) -> list[tuple[str, str]] | None:
        """--compare as (A, B) pairs; None: the default ones (every run against the baseline)."""
        return [parse_pair(c) for c in self.compare] or None
