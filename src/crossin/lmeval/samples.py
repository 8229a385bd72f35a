"""`crossin score --lm-eval-samples DIR`: crossin's metrics for an lm-eval run of our exported tasks.

lm-eval writes one `samples_<task>_<date>.jsonl` per task with `--log_samples`: each line holds the doc (our
exported row: id, lang, mode, prompt, choices, gold) and the option log-likelihoods (`filtered_resps`). The choice
is lm-eval's own: the argmax of the log-likelihoods (`acc`), or of log-likelihood / character length (`acc_norm`)
for tasks exported in cloze mode, so each language's accuracy equals lm-eval's number for that task.
Any model and backend lm-eval ran works: only the samples are read. lm-eval's own tasks of the parallel benchmarks
(`global_mmlu_full_*`, `mmlu_prox_*`, `belebele_*`) are read too (`native.py`), aligned across languages by the
dataset's ids. The option scores behind each choice come back as well (RankC).
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np

from ..benchmarks import MCQ, Benchmark, ParallelSet
from ..benchmarks.registry import benchmark_names
from ..errors import CrossinError
from ..io import iter_jsonl, sha256_file, sha256_text, short
from ..langs import ALL_NAMES, NAME_BY_CODE
from ..predictions import MatrixBuilder
from ..schemas import check_record
from .export import group_name
from .native import loglikelihoods as _loglikelihoods
from .native import native_matrix, native_task

# One line of lm-eval's samples file, as far as crossin reads it (the doc is our exported row).
SAMPLE = {
    "type": "object",
    "properties": {
        "doc_id": {"type": "integer", "minimum": 0},
        "doc": {"type": "object", "properties": {
            "id": {"type": ["string", "integer"]}, "lang": {"type": "string"}, "mode": {"type": "string"},
            "choices": {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 2},
            "gold": {"type": "integer", "minimum": 0}}},
    },
}
SAMPLES_FILE = re.compile(r"^samples_(?P<task>.+)_(?P<stamp>\d{4}-\d{2}-\d{2}T[^_]+)\.jsonl$")


def find_sample_files(folder: str | Path) -> dict[str, Path]:
    """{task: samples file} under `folder` (lm-eval's --output_path, or the model folder inside it)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise CrossinError("no such folder (give lm_eval's --output_path)", path=str(folder))
    files: dict[str, Path] = {}
    for path in sorted(folder.rglob("samples_*.jsonl")):
        found = SAMPLES_FILE.match(path.name)
        if not found:
            continue
        task = found["task"]
        if task in files:
            raise CrossinError(f"two sample files for task {task} ({files[task].name}, {path.name}); point "
                               "--lm-eval-samples at the folder of one run", path=str(folder))
        files[task] = path
    if not files:
        raise CrossinError("no lm-eval samples_<task>_<date>.jsonl files here (run lm_eval with --log_samples)",
                           path=str(folder))
    return files


def split_task(task: str) -> tuple[str, str] | None:
    """`cross_mmlu_zh` -> ("cross-mmlu", "zh"); None for a task that is not ours."""
    for name in sorted(benchmark_names(), key=len, reverse=True):
        prefix = group_name(name) + "_"
        if task.startswith(prefix) and len(task) > len(prefix):
            return name, task[len(prefix):]
    return None


def read_task(path: Path, lang: str) -> list[tuple[int, str, int, int, tuple[str, ...], list[float]]]:
    """(doc_id, set id, choice, gold, choices, option scores) per line, in doc order."""
    rows = []
    where = str(path)
    for line, obj in iter_jsonl(path):
        doc = obj.get("doc")
        if not isinstance(doc, dict) or not {"id", "lang", "choices", "gold"} <= set(doc):
            raise CrossinError("not a sample of a crossin task (export the tasks with `crossin export lm-eval`)",
                               path=where, line=line)
        check_record(obj, SAMPLE, path=where, line=line, what="lm-eval sample")
        if doc["lang"] != lang:
            raise CrossinError(f"a {short(doc['lang'])} doc in the {lang} task", path=where, line=line)
        choices = tuple(doc["choices"])
        if doc["gold"] >= len(choices):
            raise CrossinError(f"doc.gold: {doc['gold']} is not an option index (0-{len(choices) - 1})", path=where,
                               line=line)
        lls = _loglikelihoods(obj, where, line)
        if len(lls) != len(choices):
            raise CrossinError(f"{len(lls)} log-likelihoods for {len(choices)} options", path=where, line=line)
        if not all(math.isfinite(x) for x in lls):
            raise CrossinError("a log-likelihood is NaN or infinite", path=where, line=line)
        # lm-eval's own choice: argmax (first of ties) of the raw or the length-normalised log-likelihoods.
        scores = [ll / len(c) for ll, c in zip(lls, choices)] if doc.get("mode") == "cloze" else lls
        choice = int(np.argmax(scores))
        rows.append((int(obj.get("doc_id", len(rows))), str(doc["id"]), choice, int(doc["gold"]), choices, scores))
    if not rows:
        raise CrossinError("no samples", path=where)
    return sorted(rows)


def load_lm_eval_samples(folder: str | Path, *, bench: list[str] | None = None, langs: tuple[str, ...] | None = None
                         ) -> list[tuple[Benchmark, np.ndarray, dict, np.ndarray | None]]:
    """Per benchmark found: (benchmark rebuilt from the docs, (sets, langs) choice matrix, {task: file},
    (sets, langs, options) option scores or None)."""
    files = find_sample_files(folder)
    wanted = {b.strip().lower().replace("_", "-") for b in bench} if bench else None
    by_bench: dict[str, dict[str, Path]] = {}
    native: dict[str, dict[str, list[tuple[str, Path]]]] = {}
    for task, path in files.items():
        parsed = split_task(task)
        theirs = native_task(task) if parsed is None else None
        if parsed is None and theirs is None:
            if wanted is None:
                raise CrossinError(f"task {task} is not a crossin task (ours are <bench>_<lang>, e.g. cross_mmlu_zh, "
                                   "or lm-eval's global_mmlu_full_*, mmlu_prox_*, belebele_*); pass --bench to score "
                                   "only those", path=str(path))
            continue
        name, lang = parsed or theirs
        if parsed is not None and lang not in ALL_NAMES:  # `crossin export lm-eval` names tasks by crossin's codes
            raise CrossinError(f"task {task}: {short(lang)} is not a language code of crossin's tasks "
                               f"({', '.join(sorted(NAME_BY_CODE))}, ...)", path=str(path))
        if wanted is not None and name not in wanted:
            continue
        if parsed is not None:
            by_bench.setdefault(name, {})[lang] = path
        else:
            native.setdefault(name, {}).setdefault(lang, []).append((task, path))
    for name in sorted(wanted or ()):
        if name not in by_bench and name not in native:
            raise CrossinError(f"no samples of {name} ({group_name(name)}_<lang>, or lm-eval's own tasks of it) here",
                               path=str(folder))
    clash = sorted(set(by_bench) & set(native))
    if clash:
        raise CrossinError(f"samples of both crossin's and lm-eval's {clash[0]} tasks here; pass --lm-eval-samples "
                           "the folder of one run", path=str(folder))
    out = []
    for name, per_lang in native.items():
        codes, missing = _languages(langs, per_lang)
        if missing:
            raise CrossinError(f"no samples of {name} in {', '.join(missing)} (found: {', '.join(sorted(per_lang))})",
                               path=str(folder))
        if len(codes) < 2:
            raise CrossinError(f"{name}: samples of one language only ({codes[0]}); consistency needs two or more",
                               path=str(folder))
        out.append(native_matrix(name, codes, per_lang, str(folder)))
    for name, paths in by_bench.items():
        codes, missing = _languages(langs, paths)
        if missing:
            raise CrossinError(f"no samples for {', '.join(group_name(name) + '_' + c for c in missing)} "
                               f"(found: {', '.join(sorted(paths))})", path=str(folder))
        out.append(_matrix(name, codes, {c: paths[c] for c in codes}, str(folder)))
    return out


def _languages(langs: tuple[str, ...] | None, found) -> tuple[tuple[str, ...], list[str]]:
    """The languages to score (those asked for, else every one found, English first) and those without samples."""
    codes = langs or tuple(sorted(found, key=lambda c: (c != "en", c)))
    return codes, [c for c in codes if c not in found]


def _matrix(name: str, codes: tuple[str, ...], paths: dict[str, Path], folder: str):
    per_lang = {lang: read_task(paths[lang], lang) for lang in codes}
    first = codes[0]
    ids = [r[1] for r in per_lang[first]]
    for lang in codes[1:]:
        other = [r[1] for r in per_lang[lang]]
        if len(other) != len(ids):
            raise CrossinError(f"{group_name(name)}_{lang} has {len(other)} samples but {group_name(name)}_{first} has "
                               f"{len(ids)}: run every language with the same --limit", path=str(paths[lang]))
        if other != ids:
            diff = next(i for i, (a, b) in enumerate(zip(ids, other)) if a != b)
            raise CrossinError(f"doc {diff} is set {other[diff]} here but {ids[diff]} in {group_name(name)}_{first}: "
                               "samples of different runs or limits", path=str(paths[lang]))
    sets = []
    matrix = MatrixBuilder(path=folder, what="sample")
    width = max(len(r[4]) for rows in per_lang.values() for r in rows)
    scores = np.full((len(ids), len(codes), width), np.nan)
    for i, set_id in enumerate(ids):
        items = {}
        for j, lang in enumerate(codes):
            _, _, choice, gold, choices, option_scores = per_lang[lang][i]
            items[lang] = MCQ(question="", choices=choices, gold=gold)
            matrix.add(set_id, lang, choice)
            scores[i, j, :len(option_scores)] = option_scores
        golds = {item.gold for item in items.values()}
        if len(golds) > 1:
            raise CrossinError(f"set {set_id} has different gold answers across languages", path=folder)
        sets.append(ParallelSet(set_id, items))
    pred = matrix.build(ids, list(codes), [s.items[first].gold for s in sets]).pred
    digest = sha256_text("".join(sha256_file(paths[c]) for c in codes))
    bench = Benchmark(name=name, langs=codes, sets=sets, source=f"lm-eval samples in {folder}", sha256=digest)
    return bench, pred, {f"{group_name(name)}_{c}": str(paths[c]) for c in codes}, scores
