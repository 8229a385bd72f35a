"""Parallel benchmarks published one file (or Hub config) per language: Global-MMLU, MMLU-ProX, Belebele.

Each language is read on its own, from a local copy in the dataset's published layout (the Hub repository's files:
`<lang>/test-00000-of-00001.parquet`, `data/<flores>.jsonl`, ...) or from the Hub config, and the languages are
joined by the dataset's own question id. A malformed row (a missing field, an answer that is not an option) is an
error naming the file and row; a question missing from one language's file, and a degenerate one (an empty or
repeated option in some language: the answer would be ambiguous there), is left out of every language and counted
under `alignment` in the benchmark's source record, with its reason.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import CrossinError
from ..io import iter_jsonl, sha256_file, sha256_text
from .base import MCQ, Benchmark, ParallelSet


@dataclass(frozen=True)
class Row:
    """One question in one language, as a loader reads it; `labels` are what subsets select on."""

    id: str
    item: MCQ
    labels: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Layout:
    """Where a per-language dataset lives and how one of its rows reads."""

    hub_id: str
    folder: str  # under a data root: <root>/<folder>/<the Hub repository's files>
    split: str
    config: Callable[[str], str]  # crossin code -> Hub config and file stem ("zh", "zho_Hans")
    patterns: tuple[str, ...]  # file globs under the folder, with {config} and {split}
    parse: Callable[[dict, str, int], Row]  # (row, file, row number) -> Row
    subsets: dict[str, Callable[[dict], bool]] = field(default_factory=dict)  # name -> labels -> in the subset
    languages: tuple[str, ...] = ()  # the crossin codes it has


def find_local(folder: Path, layout: Layout, code: str) -> list[Path]:
    """Language `code`'s files under `folder` (a dataset's parquet shards, in order), in the first published layout
    that has them."""
    config = layout.config(code)
    for pattern in layout.patterns:
        found = sorted(folder.glob(pattern.format(config=config, split=layout.split)))
        if found:
            return found
    return []


def local_rows(path: Path) -> Iterator[tuple[int, dict]]:
    """(row number from 1, row) of a .jsonl, .parquet or .csv (header row first, e.g. MMMLU's) file."""
    if path.suffix == ".csv":
        import csv

        with open(path, encoding="utf-8", newline="") as f:
            yield from enumerate(csv.DictReader(f), start=1)
        return
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        try:
            table = pq.read_table(path)
        except Exception as e:  # noqa: BLE001 - pyarrow raises several kinds for a broken file
            raise CrossinError(f"not a readable parquet file ({type(e).__name__}: {e})", path=str(path)) from None
        yield from enumerate(table.to_pylist(), start=1)
    else:
        yield from iter_jsonl(path)


def hub_rows(layout: Layout, code: str) -> tuple[list[dict], str | None]:
    from .registry import hub_dataset

    ds, revision = hub_dataset(layout.hub_id, layout.split, name=layout.config(code))
    return [dict(r) for r in ds], revision


def load_parallel(name: str, layout: Layout, codes: tuple[str, ...], *, root: str | os.PathLike | None,
                  limit: int | None = None, subset: str | None = None, explicit: bool = False) -> Benchmark:
    """The sets present in every language of `codes`, in the first language's order; `subset` filters by labels.

    `root`: a data root holding `<layout.folder>/`, or that folder itself; without one there (and not `explicit`,
    i.e. not a path the user named for this benchmark) the Hub is read."""
    if subset not in (None, "all") and subset not in layout.subsets:
        choices = ", ".join(["all", *layout.subsets]) if layout.subsets else "none"
        raise CrossinError(f"{name} has no subset {subset!r} (subsets: {choices})")
    unknown = [c for c in codes if c not in layout.languages]
    if unknown:
        raise CrossinError(f"{name} has no {', '.join(unknown)}; its {len(layout.languages)} languages: "
                           f"{', '.join(layout.languages)}")
    per_lang: dict[str, dict[str, Row]] = {}
    files: dict[str, dict] = {}
    folder = _local_folder(root, layout) if root is not None else None
    if folder is None and explicit:
        raise CrossinError(f"no {name} files in the published layout "
                           f"({layout.patterns[0].format(config='<lang>', split=layout.split)}) here", path=str(root))
    for code in codes:
        paths = find_local(folder, layout, code) if folder is not None else []
        if folder is not None and not paths:
            wanted = " or ".join(p.format(config=layout.config(code), split=layout.split) for p in layout.patterns)
            raise CrossinError(f"{name}: no {code} file ({wanted})", path=str(folder))
        if paths:
            per_lang[code] = _read_language([(str(path), local_rows(path)) for path in paths], layout)
            files[code] = {"files": [str(path) for path in paths], "sha256": [sha256_file(path) for path in paths]}
            continue
        try:
            hub, revision = hub_rows(layout, code)
        except Exception as e:  # network, auth, a config the Hub does not have: the user's environment
            raise CrossinError(f"{name}: could not load {layout.hub_id} config {layout.config(code)!r} from the "
                               f"Hugging Face Hub ({type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''})"
                               f"; or pass --data-dir with a local copy in {layout.folder}/") from None
        where = f"hf://{layout.hub_id}/{layout.config(code)}"
        per_lang[code] = _read_language([(where, enumerate(hub, start=1))], layout)
        files[code] = {"hub": layout.hub_id, "config": layout.config(code), "split": layout.split,
                       "revision": revision}
    sets, alignment, subsets = _align(per_lang, codes, layout, subset)
    if limit is not None:
        sets = sets[:limit]
        kept = {s.id for s in sets}
        subsets = {k: [i for i in v if i in kept] for k, v in subsets.items()}
    if not sets:
        raise CrossinError(f"{name}: no question is in every language of {', '.join(codes)}"
                           + (f" (subset {subset})" if subset not in (None, "all") else ""))
    digest = sha256_text("".join(f"{c}:{f.get('sha256') or f.get('revision')}" for c, f in files.items()))
    source = {"name": name, "layout": layout.hub_id, "folder": str(folder) if folder else None, "split": layout.split,
              "languages": files, "subset": subset or "all", "alignment": alignment}
    # Ids of the dataset that are not scored (other subset, left out, past --limit): a prediction for one is no error.
    meta = {"source": source, "other_ids": frozenset().union(*map(set, per_lang.values())) - {x.id for x in sets}}
    if subsets:
        meta["subsets"] = subsets
    return Benchmark(name=name, langs=codes, sets=sets, source=str(folder) if folder else f"hf://{layout.hub_id}",
                     sha256=digest, meta=meta)


def _local_folder(root: str | os.PathLike, layout: Layout) -> Path | None:
    """The data root's <folder>/, or the root itself, when it holds files in the published layout."""
    root = Path(root)
    for candidate in (root / layout.folder, root):
        if candidate.is_dir() and any(next(iter(candidate.glob(p.format(config="*", split=layout.split))), None)
                                      for p in layout.patterns):
            return candidate
    return None


def _read_language(sources: list[tuple[str, Iterator[tuple[int, dict]]]], layout: Layout) -> dict[str, Row]:
    out: dict[str, Row] = {}
    first: dict[str, str] = {}
    for where, rows in sources:
        for number, raw in rows:
            if not isinstance(raw, dict):
                raise CrossinError("row is not an object", path=where, line=number)
            row = layout.parse(raw, where, number)
            if row.id in out:
                raise CrossinError(f"duplicate id {row.id!r} (first at {first[row.id]})", path=where, line=number)
            out[row.id], first[row.id] = row, f"{where}:{number}"
    if not out:
        raise CrossinError("no rows", path=sources[0][0])
    return out


def _degenerate(item: MCQ) -> str | None:
    if not item.question.strip():
        return "empty question"
    if not all(c.strip() for c in item.choices):
        return "empty option"
    if len(set(item.choices)) < len(item.choices):
        return "repeated option"
    return None


def _align(per_lang: dict[str, dict[str, Row]], codes: tuple[str, ...], layout: Layout, subset: str | None):
    first = per_lang[codes[0]]
    every = set(first).intersection(*(set(rows) for rows in per_lang.values()))
    missing = {code: len(every.symmetric_difference(rows)) for code, rows in per_lang.items()}
    left_out: dict[str, int] = {}
    sets: list[ParallelSet] = []
    subsets: dict[str, list[str]] = {k: [] for k in layout.subsets} if subset in (None, "all") else {}
    for set_id, row in first.items():
        if set_id not in every:
            continue
        items = {code: per_lang[code][set_id].item for code in codes}
        golds = {code: item.gold for code, item in items.items()}
        sizes = {len(item.choices) for item in items.values()}
        if len(set(golds.values())) > 1 or len(sizes) > 1:
            raise CrossinError(f"question {set_id!r}: the gold option or the number of options differs between "
                               f"languages ({', '.join(f'{c}: {g}' for c, g in golds.items())}); the files are not "
                               "the same release")
        reason = next((f"{r} ({code})" for code, item in items.items() if (r := _degenerate(item))), None)
        if reason is not None:
            key = reason.split(" (")[0]
            left_out[key] = left_out.get(key, 0) + 1
            continue
        if subset not in (None, "all") and not layout.subsets[subset](row.labels):
            continue
        for name, test in (layout.subsets.items() if subsets else ()):
            if test(row.labels):
                subsets[name].append(set_id)
        sets.append(ParallelSet(id=set_id, items=items))
    alignment = {"in_every_language": len(every), "missing_by_language": missing, "left_out": left_out}
    return sets, alignment, subsets


def text(raw: dict, key: str, where: str, number: int, *, required: bool = True) -> str | None:
    """A string field of a row; missing or not a string is a malformed row."""
    value = raw.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        got = "missing" if key not in raw else f"{type(value).__name__} {value!r}"
        raise CrossinError(f"field {key!r} must be a string, got {got}", path=where, line=number)
    return value


def letter_index(value, n: int, where: str, number: int, key: str = "answer") -> int:
    """A gold answer given as a letter ("B") or a 0-based index."""
    from ..letters import LETTERS

    if isinstance(value, str) and len(value.strip()) == 1 and value.strip().upper() in LETTERS[:n]:
        return LETTERS.index(value.strip().upper())
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < n:
        return value
    raise CrossinError(f"{key!r} {value!r} is not one of the {n} options ({LETTERS[0]}-{LETTERS[n - 1]})",
                       path=where, line=number)
