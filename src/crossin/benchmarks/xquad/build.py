"""Building Cross-XQuAD (the steps the package docstring describes): read, choose distractors, place the gold, report."""

from __future__ import annotations

import os
import random
import re
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from ...errors import CrossinError
from ...io import atomic_write_text, jsonl_text, sha256_file, write_json
from ...langs import to_code
from ..base import LETTERS, MCQ, ParallelSet, to_seaeval_row
from .distractors import N_OPTIONS, Entry, PassageCandidates, Pick, add_passage_picks, make_entries
from .llm import Generator, accept_proposals, ask_all
from .quality import options_in_context, trivial_baselines
from .reader import XquadFolder, read_xquad_folder

BUILD_VERSION = "1"  # bump when the output for the same inputs changes: it is part of the cache key


@dataclass
class BuildResult:
    sets: list[ParallelSet]
    rows: list[dict]
    report: dict = field(default_factory=dict)

    def jsonl(self) -> str:
        return jsonl_text(self.rows)


@dataclass
class _Choice:
    """The distractors chosen for every kept question, with what the report counts about them."""

    picks: dict[str, list[tuple[dict[str, str], str]]]  # question id -> [(option text per lang, source)]
    dropped: list[dict]
    llm_stats: Counter
    type_matches: int  # passage picks of the gold's answer type


def build_cross_xquad(
    xquad_dir: str | os.PathLike,
    langs: Iterable[str],
    *,
    seed: int = 0,
    generator: Generator | None = None,
    workers: int = 4,
    progress: bool = False,
) -> BuildResult:
    """Build the parallel sets for `langs` from a folder of `xquad.<lang>.json` (see the package docstring)."""
    start = time.perf_counter()
    langs = tuple(to_code(lang) for lang in langs)
    if not langs:
        raise CrossinError("no languages given")
    folder = read_xquad_folder(xquad_dir, langs)
    entries, dropped = make_entries(folder)
    replies = None
    if generator is not None:
        replies = ask_all(generator, entries, folder.anchor, langs, workers=workers, progress=progress)
    choice = _choose(entries, folder, langs, replies, dropped)
    sets, rows = _arrange(entries, choice, langs, seed)
    report = _report(folder, entries, choice, sets, langs, seed, generator is not None)
    report["build_seconds"] = round(time.perf_counter() - start, 3)
    return BuildResult(sets=sets, rows=rows, report=report)


def _choose(entries: dict[str, Entry], folder: XquadFolder, langs: tuple[str, ...], replies: dict[str, str] | None,
            dropped_before: list[dict]) -> _Choice:
    """Per question: the LLM's valid proposals first (with replies), then passage picks up to three."""
    anchor, vlangs = folder.anchor, folder.langs
    candidates = PassageCandidates(entries, anchor)
    choice = _Choice({}, list(dropped_before), Counter(), 0)
    for gid, gold in entries.items():
        picks: list[Pick] = []
        if replies is not None:
            picks = accept_proposals(replies[gid], gold, langs, choice.llm_stats)
        choice.type_matches += add_passage_picks(picks, gold, candidates.ranked(gold), anchor, langs, vlangs)
        if len(picks) < N_OPTIONS - 1:
            choice.dropped.append({"id": gid, "reason": f"only {len(picks)} valid distractors in the article"})
            continue
        choice.picks[gid] = [(text, src) for text, _, src in picks]
    return choice


def _arrange(entries: dict[str, Entry], choice: _Choice, langs: tuple[str, ...],
             seed: int) -> tuple[list[ParallelSet], list[dict]]:
    """Balanced gold positions: a shuffled [A, B, C, D, A, ...]; the rest of each set's order from (seed, id)."""
    kept = [gid for gid in entries if gid in choice.picks]
    positions = [i % N_OPTIONS for i in range(len(kept))]
    random.Random(seed).shuffle(positions)
    sets: list[ParallelSet] = []
    rows: list[dict] = []
    for gid, pos in zip(kept, positions):
        gold = entries[gid]
        distractors = list(choice.picks[gid])
        random.Random(f"{seed}:{gid}").shuffle(distractors)
        options = [text for text, _ in distractors]
        options.insert(pos, {lang: gold.text[lang] for lang in langs})
        items = {
            lang: MCQ(question=gold.q[lang].question, choices=tuple(o[lang] for o in options), gold=pos,
                      context=gold.q[lang].context)
            for lang in langs
        }
        pset = ParallelSet(id=gid, items=items)
        sets.append(pset)
        rows.append({**to_seaeval_row(pset), "answer_type": gold.type, "seed": seed})
    return sets, rows


def _report(folder: XquadFolder, entries: dict[str, Entry], choice: _Choice, sets: list[ParallelSet],
            langs: tuple[str, ...], seed: int, used_llm: bool) -> dict:
    n_sets = len(sets)
    gold_counts = Counter(s.gold for s in sets)
    sources = Counter(src for picks in choice.picks.values() for _, src in picks)
    dropped = choice.dropped
    report = {
        "benchmark": "cross-xquad-built",
        "build_version": BUILD_VERSION,
        "seed": seed,
        "languages": list(langs),
        "validation_languages": list(folder.langs),
        "anchor_language": folder.anchor,
        "generator": "openai" if used_llm else "passage",
        "inputs": {path.name: sha256_file(path) for path in folder.files.values()},
        "n_questions": len(folder.questions[folder.anchor]),
        "n_sets": n_sets,
        "n_dropped": len(dropped),
        "dropped": dropped,
        "dropped_by_reason": dict(Counter(re.sub(r"\d+", "N", d["reason"]) for d in dropped)),
        "gold_positions": {LETTERS[i]: gold_counts.get(i, 0) for i in range(N_OPTIONS)},
        "gold_share": {LETTERS[i]: round(gold_counts.get(i, 0) / max(n_sets, 1), 4) for i in range(N_OPTIONS)},
        "distractor_sources": {k: sources.get(k, 0) for k in ("paragraph", "article", "llm")},
        "answer_types": dict(Counter(entries[s.id].type for s in sets)),
        "distractor_type_match": round(choice.type_matches / max(sources["paragraph"] + sources["article"], 1), 4),
        "options_in_context": options_in_context(sets, langs),
        "baselines": trivial_baselines(sets, langs),
        "chance": 1 / N_OPTIONS,
    }
    if used_llm:
        report["llm"] = dict(sorted(choice.llm_stats.items()))
        report["llm"]["sets_with_fallback"] = sum(
            1 for picks in choice.picks.values() if sum(s == "llm" for _, s in picks) < N_OPTIONS - 1)
    return report


def write_build(result: BuildResult, out: str | os.PathLike, report: str | os.PathLike | None = None) -> None:
    atomic_write_text(out, result.jsonl())
    if report is not None:
        write_json(report, result.report)
