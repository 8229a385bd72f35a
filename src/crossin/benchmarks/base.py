"""The benchmark data model: a parallel multiple-choice set is one question asked in several languages.

On disk we use SeaEval's line format, so SeaEval and other tools read our files and we read theirs:
`{"id": ..., "English": {"question", "choices": ["(A) ...", ...], "answer": "(A) ...", ["context"]}, ...}`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import CrossinError
from ..letters import LETTERS
from ..langs import to_code, to_name

MIN_CHOICES, MAX_CHOICES = 2, 10
_LABEL = re.compile(r"^\s*\(([A-J])\)\s?")


@dataclass(frozen=True)
class MCQ:
    """One question in one language. `choices` hold the option texts without their "(A) " labels."""

    question: str
    choices: tuple[str, ...]
    gold: int
    context: str | None = None


@dataclass(frozen=True)
class ParallelSet:
    """The same question in every language, with the options in the same order everywhere."""

    id: str
    items: dict[str, MCQ]

    @property
    def gold(self) -> int:
        """The gold index, which is the same in every language (validated on load)."""
        return next(iter(self.items.values())).gold

    @property
    def n_choices(self) -> int:
        return len(next(iter(self.items.values())).choices)


@dataclass
class Benchmark:
    name: str
    langs: tuple[str, ...]
    sets: list[ParallelSet]
    source: str = ""
    sha256: str | None = None
    meta: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.sets)

    @property
    def n_choices(self) -> int:
        return max(s.n_choices for s in self.sets)

    def by_id(self) -> dict[str, ParallelSet]:
        return {s.id: s for s in self.sets}


@dataclass(frozen=True)
class BenchmarkSpec:
    """What the registry knows of a benchmark: its name and where its data lives."""

    name: str
    description: str
    local_relpath: str  # where the file sits under a data root, e.g. cross_mmlu/test.jsonl
    hub_id: str | None = None  # Hugging Face dataset id, for users online
    hub_split: str = "test"
    # For benchmarks that are built rather than downloaded: (data root or None, langs) -> file path.
    builder: Callable[[Path | None, tuple[str, ...]], Path] | None = None
    # The one line shown when no source can be reached (how to get the data).
    how_to_get: str = ""
    # For benchmarks published one file per language (benchmarks/parallel.py): a loader of their own,
    # (codes, root, limit, subset, explicit) -> Benchmark, and the subsets it can select (`--subset`).
    loader: Callable[..., Benchmark] | None = None
    subsets: tuple[str, ...] = ()


def best_option(scores: list[float]) -> int:
    """The index of the highest option score; ties go to the earliest option."""
    return max(range(len(scores)), key=lambda i: (scores[i], -i))


def strip_label(choice: str, index: int) -> str:
    """"(B) text" -> "text"; a label that does not match the position is left in place."""
    m = _LABEL.match(choice)
    if m and LETTERS.index(m.group(1)) == index:
        return choice[m.end():].strip()
    return choice.strip()


def with_label(text: str, index: int) -> str:
    return f"({LETTERS[index]}) {text}"


def parse_seaeval_row(row: dict, langs: tuple[str, ...], *, path: str, line: int) -> ParallelSet:
    """Validate one SeaEval line and keep the requested languages."""
    set_id = row.get("id")
    if set_id is None or str(set_id) == "":
        raise CrossinError("line has no 'id'", path=path, line=line)
    if isinstance(set_id, bool) or not isinstance(set_id, (str, int)):
        raise CrossinError(f"'id' must be a string or an integer, got {set_id!r}", path=path, line=line)
    available = {}
    key_of: dict[str, str] = {}
    for key, value in row.items():
        if key == "id" or not isinstance(value, dict):
            continue
        try:
            code = to_code(key)
        except CrossinError:
            continue  # unknown extra columns are not our business
        if code in available:
            raise CrossinError(f"set {set_id!r} has two entries for {to_name(code)}: {key_of[code]!r} and {key!r}",
                               path=path, line=line)
        available[code], key_of[code] = value, key
    items: dict[str, MCQ] = {}
    golds: set[int] = set()
    n_choices: set[int] = set()
    for lang in langs:
        if lang not in available:
            raise CrossinError(
                f"set {set_id!r} has no {to_name(lang)} ({lang}); it has {', '.join(sorted(available)) or 'no language'}",
                path=path, line=line,
            )
        entry = available[lang]
        for key in ("question", "choices", "answer"):
            if key not in entry:
                raise CrossinError(f"set {set_id!r}, {lang}: missing {key!r}", path=path, line=line)
        raw_choices = entry["choices"]
        if not isinstance(raw_choices, list) or not all(isinstance(c, str) for c in raw_choices):
            raise CrossinError(f"set {set_id!r}, {lang}: 'choices' must be a list of strings", path=path, line=line)
        if not MIN_CHOICES <= len(raw_choices) <= MAX_CHOICES:
            raise CrossinError(f"set {set_id!r}, {lang}: {len(raw_choices)} choices (need {MIN_CHOICES}-{MAX_CHOICES})", path=path, line=line)
        answer = entry["answer"]
        if isinstance(answer, int) and not isinstance(answer, bool):
            gold = answer
        elif answer in raw_choices:
            gold = raw_choices.index(answer)
        else:
            raise CrossinError(f"set {set_id!r}, {lang}: answer {answer!r} is not one of the choices", path=path, line=line)
        if not 0 <= gold < len(raw_choices):
            raise CrossinError(f"set {set_id!r}, {lang}: answer index {gold} out of range", path=path, line=line)
        question, context = entry["question"], entry.get("context")
        if not isinstance(question, str) or not question.strip():
            raise CrossinError(f"set {set_id!r}, {lang}: 'question' must be a non-empty string, got {question!r}",
                               path=path, line=line)
        if context is not None and not isinstance(context, str):
            raise CrossinError(f"set {set_id!r}, {lang}: 'context' must be a string, got {context!r}", path=path,
                               line=line)
        choices = tuple(strip_label(c, i) for i, c in enumerate(raw_choices))
        if not all(choices):
            raise CrossinError(f"set {set_id!r}, {lang}: option {LETTERS[choices.index('')]} is empty", path=path,
                               line=line)
        if len(set(choices)) < len(choices):
            same = next(c for c in choices if choices.count(c) > 1)
            raise CrossinError(f"set {set_id!r}, {lang}: options repeat ({same!r} twice): the answer would be ambiguous",
                               path=path, line=line)
        golds.add(gold)
        n_choices.add(len(raw_choices))
        items[lang] = MCQ(question=question, choices=choices, gold=gold, context=context or None)
    if len(n_choices) > 1:
        raise CrossinError(f"set {set_id!r}: languages have different numbers of choices {sorted(n_choices)}", path=path, line=line)
    if len(golds) > 1:
        raise CrossinError(f"set {set_id!r}: the gold option differs between languages", path=path, line=line)
    return ParallelSet(id=str(set_id), items=items)


def to_seaeval_row(pset: ParallelSet) -> dict:
    row: dict = {"id": pset.id}
    for lang, item in pset.items.items():
        choices = [with_label(c, i) for i, c in enumerate(item.choices)]
        entry = {"question": item.question, "choices": choices, "answer": choices[item.gold]}
        if item.context is not None:
            entry = {"context": item.context, **entry}
        row[to_name(lang)] = entry
    return row


def parse_rows(rows, langs: tuple[str, ...], *, path: str) -> list[ParallelSet]:
    """rows: iterable of (line number, dict). Ids must be unique."""
    sets: list[ParallelSet] = []
    seen: dict[str, int] = {}
    for line, row in rows:
        pset = parse_seaeval_row(row, langs, path=path, line=line)
        if pset.id in seen:
            raise CrossinError(f"duplicate id {pset.id!r} (first on line {seen[pset.id]})", path=path, line=line)
        seen[pset.id] = line
        sets.append(pset)
    if not sets:
        raise CrossinError("no sets in file", path=path)
    return sets


def resolve_file(path: Path, relpath: str) -> Path:
    """A user may point at the file itself, at its folder, or at the data root that holds the folder."""
    if path.is_file():
        return path
    for candidate in (path / relpath, path / Path(relpath).name):
        if candidate.is_file():
            return candidate
    raise CrossinError(f"no {relpath} here", path=str(path))
