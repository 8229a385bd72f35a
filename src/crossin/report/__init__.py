"""Reports over eval result folders: the paper's Table 3, its figures, and paired significance tests.

Input: any folders holding `<run>/<bench>/results.json` (+ `samples_<bench>.jsonl`), as written by `crossin eval`,
by `crossin experiment` (`arms/<arm>/eval/<bench>/...`, with `arms/<arm>/arm.json` describing the arm) or by
hand. Output: `report.md`, `report.json` (every number in the report, machine-readable) and PNG plots.

- The table's numbers are read from results.json as they are (the eval's own scoring and bootstrap CIs).
- Paired comparisons re-read samples_<bench>.jsonl, align two runs on the sets and languages they share, and
  resample the *same* sets for both (paired bootstrap), so a difference is judged against the variation
  of the difference, not of each run separately. The p-value is two-sided, from the bootstrap
  distribution of the difference shifted to the null (Efron & Tibshirani 1993, 16.4):
  p = (1 + #{|d* - d| >= |d|}) / (B + 1).
- Figures 3-5 need arms with a known recipe, size and translation count (arm.json); when the inputs
  have no such arms a figure is skipped and report.md says why.

Modules, in the order a report is made: loading (runs, results, samples, an adapter's recipe), statistics
(Table 3, paired bootstrap), figures (every plot), markdown (build_report, report.json and report.md).
"""

from .figures import figure3_groups, figure4_pairs, figure5_series
from .loading import Run, Samples, find_runs, read_samples
from .markdown import build_report
from .statistics import paired_bootstrap

__all__ = [
    "Run", "Samples", "build_report", "figure3_groups", "figure4_pairs", "figure5_series", "find_runs",
    "paired_bootstrap", "read_samples",
]
