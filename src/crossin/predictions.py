"""The (sets x languages) prediction matrix: built here, and only here, for `crossin eval`, `score` and `report`."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import CrossinError
from .metrics import UNPARSED


@dataclass
class PredictionMatrix:
    ids: list[str]
    langs: list[str]
    pred: np.ndarray  # (sets, langs) option index; UNPARSED (-1) = no answer, wrong and agreeing with nothing
    gold: np.ndarray  # (sets,)
    path: Path | None = None
    scores: np.ndarray | None = None  # (sets, langs, options) option scores, NaN past a set's last option (RankC)


@dataclass
class MatrixBuilder:
    """Collects one choice per (set, language) from a file or a run; duplicates and gaps are errors naming the file."""

    path: str | None = None
    what: str = "prediction"
    cells: dict[tuple[str, str], int] = field(default_factory=dict)
    first_line: dict[tuple[str, str], int | None] = field(default_factory=dict)

    def add(self, set_id: str, lang: str, choice: int | None, line: int | None = None) -> None:
        key = (set_id, lang)
        if key in self.cells:
            first = f"; first on line {self.first_line[key]}" if self.first_line[key] else ""
            raise CrossinError(f"duplicate {self.what} for ({set_id}, {lang}){first}", path=self.path, line=line)
        self.cells[key] = UNPARSED if choice is None else int(choice)
        self.first_line[key] = line

    def build(self, ids: list[str], langs: list[str], gold, *, allow_missing: bool = False,
              hint: str = "pass --allow-missing to score them as unparsed") -> PredictionMatrix:
        missing = [(i, lang) for i in ids for lang in langs if (i, lang) not in self.cells]
        if missing and not allow_missing:
            shown = ", ".join(f"({i}, {lang})" for i, lang in missing[:5])
            more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
            raise CrossinError(f"{len(missing)} (set, language) pairs have no {self.what}: {shown}{more}"
                               + (f"; {hint}" if hint else ""), path=self.path)
        pred = np.array([[self.cells.get((i, lang), UNPARSED) for lang in langs] for i in ids], dtype=np.int64)
        pred = pred.reshape(len(ids), len(langs))
        return PredictionMatrix(list(ids), list(langs), pred, np.asarray(gold, dtype=np.int64),
                                Path(self.path) if self.path else None)


def option_score_matrix(samples: list[dict], bench) -> np.ndarray:
    """(sets, langs, options) of the samples' `option_scores` (RankC's input), NaN past a set's last option;
    `bench`: the crossin.benchmarks.Benchmark the samples are of."""
    out = np.full((len(bench.sets), len(bench.langs), bench.n_choices), np.nan)
    row = {s.id: i for i, s in enumerate(bench.sets)}
    col = {lang: j for j, lang in enumerate(bench.langs)}
    for sample in samples:
        values = sample["option_scores"]
        out[row[sample["id"]], col[sample["lang"]], :len(values)] = values
    return out
