"""Parallel instruction corpora: loading, joining by id, validation (missing / empty / quality score / language id).

A corpus is, per language, a list of (instruction, input, output) joined across languages by sample id.
Validity is per (sample, language): a sample whose Chinese side is broken can still give an en->es pair.
Texts are kept exactly as read (never stripped), so a mix reproduces the source texts byte for byte.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ..answer_lang import LangId
from ..errors import CrossinError
from ..io import iter_jsonl, read_text, sha256_file
from ..langs import NAME_BY_CODE, to_code

Texts = tuple[str, str, str]  # (instruction, input, output)

# Other names a language's files or dataset configs may use (Bactrian-X and x-LLM say "tl" for Filipino).
FILE_ALIASES: dict[str, tuple[str, ...]] = {"fil": ("tl",)}
DROP_REASONS: tuple[str, ...] = ("missing", "empty", "score", "langid")
# Languages written in the Latin script: a pure-ASCII text can only be identified as one of these.
LATIN_SCRIPT = frozenset({"en", "es", "vi", "id", "ms", "fil", "de", "fr", "pt", "it", "ro", "tr"})


@dataclass
class Source:
    """Samples of one language from one file or dataset, in file order."""

    lang: str
    ids: list[str]
    texts: list[Texts]
    info: dict  # path, format, sha256 (files) or dataset/config/fingerprint (HF)


@dataclass
class ParallelCorpus:
    langs: tuple[str, ...]
    ids: list[str]
    texts: dict[str, list[Texts | None]]  # aligned with ids; None = missing in that language
    valid: dict[str, bytearray] = field(default_factory=dict)  # 1 = usable in that language
    dropped: dict[str, dict[str, int]] = field(default_factory=dict)  # lang -> reason -> count
    drop_log: list[tuple[str, str, str]] = field(default_factory=list)  # (id, lang, reason), for dropped.jsonl
    sources: list[dict] = field(default_factory=list)
    filters: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.ids)

    def n_valid(self, lang: str) -> int:
        return sum(self.valid[lang])

    def report(self) -> dict:
        return {
            "langs": list(self.langs),
            "n_ids": len(self.ids),
            "valid": {lang: self.n_valid(lang) for lang in self.langs},
            "dropped": {lang: dict(self.dropped[lang]) for lang in self.langs},
        }


# ---------------------------------------------------------------------------------------------------------------- files

def _field_text(obj: dict, key: str, path: Path, line: int | None, item: int | None, required: bool) -> str:
    value = obj.get(key)
    if value is None and (not required or key in obj):
        # A JSON null is an empty field (validation counts it), not a malformed file.
        return ""
    if isinstance(value, str):
        return value
    where = f"item {item}: " if item is not None and line is None else ""
    what = "missing" if key not in obj else f"not a string ({type(value).__name__})"
    raise CrossinError(f"{where}field {key!r} is {what}", path=str(path), line=line)


def _default_prefix(path: Path) -> str:
    # x-LLM's alpaca_<lang>.json keep the original Alpaca order, like the `alpaca-NNNNN` ids of our jsonl files.
    return "alpaca" if path.name.startswith("alpaca") else path.stem


def _json_item_lines(text: str) -> Iterable[int]:
    """Line number where each item of a top-level JSON array starts (used only to locate an error)."""
    decoder = json.JSONDecoder()
    pos = text.index("[") + 1
    ws = re.compile(r"[\s,]*")
    while True:
        pos = ws.match(text, pos).end()
        if pos >= len(text) or text[pos] == "]":
            return
        yield text.count("\n", 0, pos) + 1
        _, pos = decoder.raw_decode(text, pos)


def _records(path: Path) -> tuple[str, Iterable[tuple[int | None, int | None, object]], str | None]:
    """(format, records as (line, item index, object), the raw text of a JSON array file)."""
    if path.suffix == ".jsonl":
        return "jsonl", ((lineno, None, obj) for lineno, obj in iter_jsonl(path)), None
    raw = read_text(path)
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as e:
        if e.msg == "Extra data" and raw.lstrip().startswith("{"):  # JSON Lines under a .json name
            return "jsonl", ((lineno, None, obj) for lineno, obj in iter_jsonl(path)), None
        raise CrossinError(f"invalid JSON ({e.msg}, column {e.colno})", path=str(path), line=e.lineno) from None
    except RecursionError:
        raise CrossinError("JSON nested too deeply", path=str(path)) from None
    if isinstance(data, dict) and isinstance(data.get("data"), list):
        data = data["data"]
    if not isinstance(data, list):
        raise CrossinError("expected a JSON array of {instruction, input, output} objects", path=str(path))
    return "json", ((None, i, obj) for i, obj in enumerate(data)), raw


def read_samples(path: str | Path, lang: str, id_prefix: str = "") -> Source:
    """Read one language's samples from .jsonl (one object a line) or .json (an array of objects).

    Records without an `id` get `<prefix>-NNNNN` by position, so files that keep the same order join."""
    path = Path(path)
    if not path.is_file():
        raise CrossinError("file not found", path=str(path))
    prefix = id_prefix or _default_prefix(path)
    ids: list[str] = []
    texts: list[Texts] = []
    seen: dict[str, int] = {}
    try:
        fmt, records, raw = _records(path)
        for position, (line, item, obj) in enumerate(records):
            try:
                if not isinstance(obj, dict):
                    raise CrossinError(f"item {item}: expected a JSON object, got {type(obj).__name__}",
                                       path=str(path))
                instruction = _field_text(obj, "instruction", path, line, item, required=True)
                inp = _field_text(obj, "input", path, line, item, required=False)
                output = _field_text(obj, "output", path, line, item, required=True)
                sid = obj.get("id")
                if sid is None:
                    sid = f"{prefix}-{position:05d}"
                elif not isinstance(sid, (str, int)) or isinstance(sid, bool):
                    raise CrossinError(f"field 'id' must be a string or an integer, got {type(sid).__name__}",
                                       path=str(path), line=line)
                sid = str(sid)
                if sid in seen:
                    raise CrossinError(f"duplicate id {sid!r} (first at {'line' if line else 'item'} {seen[sid]})",
                                       path=str(path), line=line)
            except CrossinError as e:
                if raw is not None and e.line is None:
                    # JSON array: say on which line the bad item starts (found only now, as it costs a re-scan).
                    starts = _json_item_lines(raw)
                    located = next((ln for j, ln in enumerate(starts) if j == item), None)
                    raise CrossinError(e.reason, path=str(path), line=located) from None
                raise
            seen[sid] = line if line is not None else item
            ids.append(sid)
            texts.append((instruction, inp, output))
    except UnicodeDecodeError as e:
        raise CrossinError(f"not UTF-8 text ({e.reason})", path=str(path)) from None
    if not ids:
        raise CrossinError("no samples in the file", path=str(path))
    info = {"lang": lang, "path": str(path.resolve()), "format": fmt, "n": len(ids), "sha256": sha256_file(path)}
    return Source(lang=lang, ids=ids, texts=texts, info=info)


def _lang_file_names(lang: str) -> list[str]:
    names = []
    for code in (lang, *FILE_ALIASES.get(lang, ())):
        names += [f"{code}.jsonl", f"{code}.json", f"alpaca_{code}.json", f"alpaca_{code}.jsonl"]
    return names


def find_lang_file(folder: Path, lang: str) -> Path | None:
    for name in _lang_file_names(lang):
        if (folder / name).is_file():
            return folder / name
    return None


_LANG_FILE = re.compile(r"^(?:alpaca_)?([a-z]{2,3})\.jsonl?$")


def discover_langs(folder: Path) -> tuple[str, ...]:
    """Languages with a file in the folder, English first (it is the pivot), then alphabetical."""
    found = set()
    for p in folder.iterdir():
        m = _LANG_FILE.match(p.name)
        if m and p.is_file():
            try:
                found.add(to_code(m.group(1)))
            except CrossinError:
                continue
    return tuple(sorted(found, key=lambda c: (c != "en", c)))


def load_sources(spec: str, langs: Iterable[str], *, id_prefix: str = "", hf_split: str = "train") -> list[Source]:
    """One Source per language from a folder or from hf:<dataset> (one config per language)."""
    langs = tuple(langs)
    if spec.startswith("hf:"):
        return [_load_hf(spec[3:], lang, hf_split) for lang in langs]
    folder = Path(spec)
    if not folder.is_dir():
        raise CrossinError("parallel corpus folder not found", path=str(folder))
    out = []
    for lang in langs:
        path = find_lang_file(folder, lang)
        if path is None:
            raise CrossinError(f"no file for language {lang!r} (looked for {', '.join(_lang_file_names(lang))})",
                               path=str(folder))
        out.append(read_samples(path, lang, id_prefix))
    return out


def _load_hf(name: str, lang: str, split: str) -> Source:
    """A Hugging Face dataset with one config per language (MBZUAI/Bactrian-X: id, instruction, input, output)."""
    from datasets import load_dataset

    last: Exception | None = None
    for config in (lang, *FILE_ALIASES.get(lang, ())):
        try:
            ds = load_dataset(name, config, split=split)
            break
        except Exception as e:  # noqa: BLE001 - the Hub raises many types; report the last one
            last = e
    else:
        raise CrossinError(f"cannot load config {lang!r} of dataset {name!r}: {last}", path=f"hf:{name}")
    ids, texts = dataset_rows(ds, name, where=f"hf:{name}/{lang}")
    info = {"lang": lang, "path": f"hf:{name}", "config": lang, "split": split, "n": len(ids),
            "fingerprint": getattr(ds, "_fingerprint", None)}
    return Source(lang=lang, ids=ids, texts=texts, info=info)


def dataset_rows(ds, name: str, where: str) -> tuple[list[str], list[tuple[str, str, str]]]:
    """ids and (instruction, input, output) of a datasets.Dataset; 'input' and 'id' are optional columns."""
    missing = {"instruction", "output"} - set(ds.column_names)
    if missing:
        raise CrossinError(f"dataset has no column(s) {', '.join(sorted(missing))}", path=where)
    n = len(ds)
    ids = [str(x) for x in ds["id"]] if "id" in ds.column_names else [f"{name.split('/')[-1]}-{i:05d}" for i in range(n)]
    inputs = ds["input"] if "input" in ds.column_names else [""] * n
    return ids, [(a or "", b or "", c or "") for a, b, c in zip(ds["instruction"], inputs, ds["output"])]


# ------------------------------------------------------------------------------------------------------------- joining

def join_sources(sources: list[Source]) -> ParallelCorpus:
    """Union of ids (first source's order, then new ids in order); texts aligned to it, None where missing."""
    ids: list[str] = []
    index: dict[str, int] = {}
    for src in sources:
        for sid in src.ids:
            if sid not in index:
                index[sid] = len(ids)
                ids.append(sid)
    texts: dict[str, list[Texts | None]] = {}
    for src in sources:
        column: list[Texts | None] = [None] * len(ids)
        for sid, t in zip(src.ids, src.texts):
            column[index[sid]] = t
        texts[src.lang] = column
    langs = tuple(src.lang for src in sources)
    return ParallelCorpus(langs=langs, ids=ids, texts=texts, sources=[src.info for src in sources])


# ---------------------------------------------------------------------------------------------------------- validation

def read_scores(path: str | Path) -> dict[str, float | None]:
    scores: dict[str, float | None] = {}
    for lineno, obj in iter_jsonl(path):
        sid, score = obj.get("id"), obj.get("score")
        if not isinstance(sid, (str, int)) or isinstance(sid, bool):
            raise CrossinError("score line needs an 'id'", path=str(path), line=lineno)
        if score is not None and (isinstance(score, bool) or not isinstance(score, (int, float))):
            raise CrossinError(f"'score' must be a number or null, got {score!r}", path=str(path), line=lineno)
        scores[str(sid)] = score
    return scores


def resolve_score_files(specs: list[str], parallel: str, langs: tuple[str, ...]) -> list[tuple[str, Path]]:
    """[(lang or '*', path)]: explicit `lang=path` / `path`, else <lang>_translation_score.jsonl in the folder."""
    out: list[tuple[str, Path]] = []
    for spec in specs:
        if "=" in spec and not Path(spec).exists():
            lang, path = spec.split("=", 1)
            out.append((to_code(lang), Path(path)))
            continue
        path = Path(spec)
        head = path.name.split("_", 1)[0]
        try:
            lang = to_code(head) if "_" in path.name else "*"
        except CrossinError:
            lang = "*"
        out.append((lang, path))
    if not specs and parallel and not parallel.startswith("hf:"):
        for lang in langs:
            for name in (f"{lang}_translation_score.jsonl", f"{lang}_score.jsonl"):
                if (Path(parallel) / name).is_file():
                    out.append((lang, Path(parallel) / name))
                    break
    for _, path in out:
        if not path.is_file():
            raise CrossinError("score file not found", path=str(path))
    return out


def langid_text(t: Texts, chars: int) -> str:
    """The start of the instruction and the start of the output: both must be in the language, and
    lingua's cost grows with text length, so a prefix of each keeps a 52k-sample corpus to seconds."""
    head = t[0][: chars // 2]
    return head + "\n" + t[2][: max(chars - len(head), 1)]


def validate(corpus: ParallelCorpus, *, langid: bool = True, langid_chars: int = 120, high_accuracy: bool = False,
             min_score: float | None = None, score_files: list[tuple[str, Path]] | None = None) -> ParallelCorpus:
    """Fill corpus.valid / corpus.dropped. Each invalid (sample, language) is counted under its first reason:
    missing (no such id in that language), empty (empty instruction or output, or an empty input where another
    language has one), score (below min_score or unscored), langid (identified as another corpus language)."""
    n = len(corpus.ids)
    has_input = bytearray(n)
    for lang in corpus.langs:
        for i, t in enumerate(corpus.texts[lang]):
            if t is not None and t[1].strip():
                has_input[i] = 1
    score_files = score_files or []
    if min_score is not None and not score_files:
        raise CrossinError("min_score is set but no score file was given or found (score_files)", path="config")
    scores = [(lang, path, read_scores(path)) for lang, path in score_files] if min_score is not None else []

    detector, checked_langs, unchecked = None, [], []
    if langid and len(corpus.langs) > 1:
        # Only the corpus languages: the question is "is this the claimed one, or another one we have?".
        lang_id = LangId(tuple(corpus.langs), high_accuracy=high_accuracy)
        unchecked = lang_id.unchecked
        if lang_id.detector is not None:
            detector, checked_langs = lang_id, list(lang_id.lingua)

    for lang in corpus.langs:
        valid = bytearray(n)
        reason_of: dict[int, str] = {}
        lang_scores = [s for target, _, s in scores if target in (lang, "*")]
        for i, t in enumerate(corpus.texts[lang]):
            if t is None:
                reason_of[i] = "missing"
            elif not t[0].strip() or not t[2].strip() or (has_input[i] and not t[1].strip()):
                reason_of[i] = "empty"
            elif lang_scores and any((s := table.get(corpus.ids[i])) is None or s < min_score
                                     for table in lang_scores):
                reason_of[i] = "score"
            else:
                valid[i] = 1
        if detector is not None and lang in checked_langs:
            texts = corpus.texts[lang]
            detect = detector.detect
            # When no other checked language uses the Latin script (en among en/zh), lingua can only answer
            # `lang` or None for pure-ASCII text, so skip it there: same verdicts, most of the English cost saved.
            ascii_is_ours = lang in LATIN_SCRIPT and not any(o in LATIN_SCRIPT for o in checked_langs if o != lang)
            for i in [i for i in range(n) if valid[i]]:
                text = langid_text(texts[i], langid_chars)
                if ascii_is_ours and text.isascii():
                    continue
                found = detect(text)
                # None = lingua cannot tell (numbers, symbols): keep rather than guess.
                if found is not None and found != lang:
                    valid[i] = 0
                    reason_of[i] = "langid"
        corpus.valid[lang] = valid
        corpus.dropped[lang] = {r: 0 for r in DROP_REASONS}
        for i, reason in sorted(reason_of.items()):
            corpus.dropped[lang][reason] += 1
            corpus.drop_log.append((corpus.ids[i], lang, reason))

    corpus.filters = {
        "langid": {"enabled": detector is not None, "library": "lingua-language-detector",
                   "mode": "high" if high_accuracy else "low", "chars": langid_chars,
                   "languages": checked_langs, "unchecked": unchecked},
        "min_score": min_score,
        "score_files": [{"lang": lang, "path": str(path.resolve()), "sha256": sha256_file(path)}
                        for lang, path in score_files] if min_score is not None else [],
    }
    return corpus


def load_parallel(spec: str, langs: Iterable[str] | None = None, *, id_prefix: str = "", hf_split: str = "train",
                  langid: bool = True, langid_chars: int = 120, high_accuracy: bool = False,
                  min_score: float | None = None, score_files: list[str] | None = None) -> ParallelCorpus:
    """Load, join and validate a parallel corpus (folder or hf:<dataset>)."""
    langs = tuple(langs or ())
    if not langs:
        if spec.startswith("hf:"):
            raise CrossinError("name the languages (--langs) of a Hugging Face corpus", path=spec)
        if not Path(spec).is_dir():
            raise CrossinError("parallel corpus folder not found", path=spec)
        langs = discover_langs(Path(spec))
        if not langs:
            raise CrossinError(f"no language files (<lang>.jsonl, alpaca_<lang>.json) among known languages "
                               f"{', '.join(sorted(NAME_BY_CODE))}", path=spec)
    corpus = join_sources(load_sources(spec, langs, id_prefix=id_prefix, hf_split=hf_split))
    resolved = resolve_score_files(list(score_files or []), spec, corpus.langs) if min_score is not None else []
    return validate(corpus, langid=langid, langid_chars=langid_chars, high_accuracy=high_accuracy,
                    min_score=min_score, score_files=resolved)
