"""lm-eval's own tasks of the parallel benchmarks, read from its `--log_samples` files.

Task names as lm-eval 0.4 registers them (lm_eval/tasks/global_mmlu, mmlu_prox, belebele):
- `global_mmlu_full_<lang>_<subject>` (Global-MMLU, 57 subjects per language) -> global-mmlu;
  `global_mmlu_<lang>_<category>` (Global-MMLU-Lite, 6 categories) -> global-mmlu-lite;
- `mmlu_prox_<lang>_<subject>` -> mmlu-prox; `mmlu_prox_lite_<lang>_<subject>` -> mmlu-prox-lite (generate_until:
  the answer is the letter lm-eval's `custom-extract` filter read, `[invalid]` is unparsed);
- `belebele_<flores>` (`belebele_zho_Hans`) -> belebele, the language mapped to crossin's code.
The subject files of a language are one language; documents are matched across languages by the dataset's id
(`sample_id`, `question_id`, `link` + `question_number`), never by position. The choice is lm-eval's own (`acc`:
the argmax of the option log-likelihoods, first of ties), so each language's accuracy equals lm-eval's `acc`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import CrossinError
from ..letters import LETTERS
from ..io import iter_jsonl
from ..lang_table import FLORES

GLOBAL_MMLU_LITE_CATEGORIES = ("business", "humanities", "medical", "other", "stem", "social_sciences")
_PATTERNS = (
    ("global-mmlu", re.compile(r"^global_mmlu_full_(?P<lang>[a-z]{2,3})_(?P<part>[a-z_]+)$")),
    ("global-mmlu-lite", re.compile(rf"^global_mmlu_(?P<lang>[a-z]{{2,3}})_(?P<part>{'|'.join(GLOBAL_MMLU_LITE_CATEGORIES)})$")),
    ("mmlu-prox-lite", re.compile(r"^mmlu_prox_lite_(?P<lang>[a-z]{2,3})_(?P<part>[a-z_]+)$")),
    ("mmlu-prox", re.compile(r"^mmlu_prox_(?P<lang>[a-z]{2,3})_(?P<part>[a-z_]+)$")),
    ("belebele", re.compile(r"^belebele_(?P<flores>[a-z]{3}_[A-Z][a-z]{3})$")),
)


def native_task(task: str) -> tuple[str, str] | None:
    """(benchmark, crossin language code) of one of lm-eval's own tasks, or None."""
    for bench, pattern in _PATTERNS:
        found = pattern.match(task)
        if found is None:
            continue
        if bench == "belebele":
            lang = FLORES.get(found["flores"])
            return (bench, lang) if lang else None
        return bench, found["lang"]
    return None


@dataclass
class Doc:
    """One document of one language as lm-eval logged it."""

    id: str
    gold: int
    n_choices: int
    choice: int | None
    scores: list[float] | None  # option log-likelihoods (multiple_choice); None for generate_until
    labels: dict = field(default_factory=dict)


def _doc_id(bench: str, doc: dict) -> str | None:
    if bench.startswith("global-mmlu"):
        value = doc.get("sample_id")
    elif bench.startswith("mmlu-prox"):
        value = doc.get("question_id")
    elif doc.get("link") is not None and doc.get("question_number") is not None:
        value = f"{doc['link']}#{doc['question_number']}"
    else:
        value = None
    return None if value is None or str(value) == "" else str(value)


ID_FIELDS = {"global-mmlu": "sample_id", "global-mmlu-lite": "sample_id", "mmlu-prox": "question_id",
             "mmlu-prox-lite": "question_id", "belebele": "link + question_number"}


def _gold(bench: str, doc: dict, n: int) -> int | None:
    if bench.startswith("belebele"):
        answer = str(doc.get("correct_answer_num", "")).strip()
        return int(answer) - 1 if answer in ("1", "2", "3", "4") else None
    answer = doc.get("answer")
    if isinstance(answer, str) and len(answer.strip()) == 1 and answer.strip().upper() in LETTERS[:n]:
        return LETTERS.index(answer.strip().upper())
    index = doc.get("answer_index")
    return index if isinstance(index, int) and 0 <= index < n else None


def _n_options(bench: str, doc: dict) -> int:
    if bench.startswith("mmlu-prox"):
        return sum(1 for i in range(10) if doc.get(f"option_{i}") not in (None, ""))
    return 4


def _letter(resp) -> int | None:
    """A generate_until answer after lm-eval's filter: "B" (or ["B"]); "[invalid]" and anything else: None."""
    while isinstance(resp, list) and resp:
        resp = resp[0]
    text = str(resp).strip().strip("()").upper() if resp is not None else ""
    return LETTERS.index(text) if len(text) == 1 and text in LETTERS else None


def loglikelihoods(obj: dict, path: str, line: int) -> list[float]:
    resps = obj.get("filtered_resps", obj.get("resps"))
    try:  # one [loglikelihood, is_greedy] per option (nested once more in `resps`)
        return [float(r[0][0] if isinstance(r[0], list) else r[0]) if isinstance(r, list) else float(r) for r in resps]
    except (TypeError, ValueError, IndexError):
        raise CrossinError("no option log-likelihoods in 'filtered_resps' (not a multiple_choice task?)",
                           path=path, line=line) from None


def read_native(path: Path, bench: str, lang: str, task: str) -> list[Doc]:
    """The documents of one of lm-eval's task files, in its doc order (the first filter's line per document)."""
    where = str(path)
    docs: list[Doc] = []
    seen: dict[int, str] = {}
    for line, obj in iter_jsonl(path):
        doc = obj.get("doc")
        if not isinstance(doc, dict):
            raise CrossinError(f"{task}: no 'doc' in the sample (not an lm-eval --log_samples file?)", path=where,
                               line=line)
        doc_id, filt = obj.get("doc_id", line), obj.get("filter")
        if doc_id in seen and seen[doc_id] != filt:
            continue  # the same document under another filter: the first filter is the one read
        seen[doc_id] = filt
        set_id = _doc_id(bench, doc)
        if set_id is None:
            raise CrossinError(f"cannot align {task}: its docs have no {ID_FIELDS[bench]} (the dataset's id; is this "
                               f"lm-eval's {bench} task?)", path=where, line=line)
        n = _n_options(bench, doc)
        gold = _gold(bench, doc, n)
        if gold is None:
            raise CrossinError(f"{task}: doc {set_id} has no gold answer among {n} options", path=where, line=line)
        labels = {"cultural_sensitivity_label": doc.get("cultural_sensitivity_label")}
        if not _looks_like_loglik(obj):
            docs.append(Doc(set_id, gold, n, _letter(obj.get("filtered_resps")), None, labels))
            if docs[-1].choice is not None and docs[-1].choice >= n:
                docs[-1].choice = None  # a letter past the question's last option answers nothing
            continue
        lls = loglikelihoods(obj, where, line)
        if len(lls) != n:
            raise CrossinError(f"{task}: {len(lls)} log-likelihoods for {n} options", path=where, line=line)
        docs.append(Doc(set_id, gold, n, max(range(n), key=lambda i: (lls[i], -i)), lls, labels))
    if not docs:
        raise CrossinError(f"{task}: no samples", path=where)
    return docs


def _looks_like_loglik(obj: dict) -> bool:
    """multiple_choice samples hold one [log-likelihood, is_greedy] pair per option."""
    resps = obj.get("filtered_resps")
    return isinstance(resps, list) and len(resps) > 1 and all(isinstance(r, list) and len(r) == 2 for r in resps)


def native_matrix(name: str, codes: tuple[str, ...], tasks: dict[str, list[tuple[str, Path]]], folder: str):
    """(Benchmark, (sets, langs) choices, {task: file}, option scores or None) of lm-eval's tasks of one benchmark;
    `tasks`: language -> [(task, samples file)], a language's subject files together."""
    import numpy as np

    from ..benchmarks import MCQ, Benchmark, ParallelSet
    from ..io import sha256_file, sha256_text
    from ..predictions import MatrixBuilder

    per_lang: dict[str, dict[str, Doc]] = {}
    for lang in codes:
        docs: dict[str, Doc] = {}
        for task, path in sorted(tasks[lang]):
            for doc in read_native(path, name, lang, task):
                if doc.id in docs:
                    raise CrossinError(f"cannot align {task}: document {doc.id} is also in another {lang} task",
                                       path=str(path))
                docs[doc.id] = doc
        per_lang[lang] = docs
    common = set(per_lang[codes[0]]).intersection(*map(set, per_lang.values()))
    if not common:
        counts = ", ".join(f"{lang}: {len(d)}" for lang, d in per_lang.items())
        raise CrossinError(f"cannot align {name}: no document id ({ID_FIELDS[name]}) is in every language ({counts} "
                           "documents); samples of different subsets or --limit per task?", path=folder)
    ids = [i for i in per_lang[codes[0]] if i in common]
    sets, matrix = [], MatrixBuilder(path=folder, what="sample")
    width = max(per_lang[codes[0]][i].n_choices for i in ids)
    scores = np.full((len(ids), len(codes), width), np.nan)
    has_scores = True
    for row, set_id in enumerate(ids):
        docs = {lang: per_lang[lang][set_id] for lang in codes}
        if len({(d.gold, d.n_choices) for d in docs.values()}) > 1:
            raise CrossinError(f"cannot align {name}: document {set_id} has a different gold answer or number of "
                               "options across languages (samples of different dataset versions?)", path=folder)
        for col, (lang, doc) in enumerate(docs.items()):
            matrix.add(set_id, lang, doc.choice)
            if doc.scores is None:
                has_scores = False
            else:
                scores[row, col, :doc.n_choices] = doc.scores
        first = docs[codes[0]]
        items = {lang: MCQ(question="", choices=tuple(LETTERS[:d.n_choices]), gold=d.gold) for lang, d in docs.items()}
        sets.append((ParallelSet(set_id, items), first.labels))
    pred = matrix.build(ids, list(codes), [s.gold for s, _ in sets]).pred
    files = {task: str(path) for lang in codes for task, path in tasks[lang]}
    digest = sha256_text("".join(sha256_file(p) for p in sorted(files.values())))
    left_out = {lang: len(d) - len(ids) for lang, d in per_lang.items()}
    meta = {"source": {"name": name, "lm_eval_samples": folder, "alignment": {
        "in_every_language": len(ids), "missing_by_language": left_out, "left_out": {}}}}
    if name.startswith("global-mmlu"):
        meta["subsets"] = {sub: [s.id for s, labels in sets if labels.get("cultural_sensitivity_label") == label]
                           for sub, label in (("cs", "CS"), ("ca", "CA"))}
    bench = Benchmark(name=name, langs=codes, sets=[s for s, _ in sets], source=f"lm-eval samples in {folder}",
                      sha256=digest, meta=meta)
    return bench, pred, files, scores if has_scores else None
