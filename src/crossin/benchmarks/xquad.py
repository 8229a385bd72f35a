"""Cross-XQuAD: XQuAD's 1,190 extractive questions as parallel 4-option multiple choice, built offline.

How a set is made (the paper used ChatGPT plus human review; this is the reproducible offline variant):
- The three distractors are gold answers of *other* questions of the same article, preferring, in this order,
  answers that occur in the question's passage (so matching options against the passage cannot find the gold;
  every answer of the same paragraph does), answers of the same type (number, date/year, name, short phrase,
  long phrase), similar length, the same paragraph. Candidates are picked by question id, so the options are the
  same questions' answers in every language.
- A distractor is never equal to, contained in or containing the gold answer, nor equal to another option, after
  normalisation (NFKC, case-folded, punctuation and spaces removed), in *any* validation language.
- Validation languages are all XQuAD languages found in the source folder, not only the requested ones. So the
  same folder gives the same set ids, options and order for en,zh,es,vi whether or not other languages are
  requested: a 4-language build is exactly those columns of the 12-language build.
- Gold positions are balanced: a seeded shuffle of [A, B, C, D, A, B, ...] over the kept sets; the distractors'
  order per set comes from a RNG seeded with (seed, set id). The seed is written on every line.

The optional LLM generator (the paper's method) asks an OpenAI-compatible server for three distractors in every
requested language; each proposal is validated by the same rules (in the requested languages, the only ones it
has) and replaced by the next passage answer when it fails.
"""

from __future__ import annotations

import functools
import json
import math
import os
import random
import re
import time
import unicodedata
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import CrossinError
from ..io import (
    atomic_write_text, built_benchmarks_dir, jsonl_text, parse_json, read_text, sha256_file, sha256_text, write_json,
    xquad_download_dir,
)
from ..langs import to_code
from .base import LETTERS, MCQ, BenchmarkSpec, ParallelSet, to_seaeval_row

XQUAD_LANGS: tuple[str, ...] = ("en", "ar", "de", "el", "es", "hi", "ro", "ru", "th", "tr", "vi", "zh")
XQUAD_URL = "https://raw.githubusercontent.com/google-deepmind/xquad/master/xquad.{lang}.json"
XQUAD_URL_ENV = "CROSSIN_XQUAD_URL"  # a mirror (or a test server); "{lang}" is replaced by the code
BUILD_VERSION = "1"  # bump when the output for the same inputs changes: it is part of the cache key
N_OPTIONS = 4
UNSPACED_LANGS = frozenset({"zh", "th", "ja"})  # no spaces between words: word overlap counts characters

ANSWER_TYPES = ("number", "date", "name", "short", "long")


# ----------------------------------------------------------------------------------------------- text helpers

@functools.lru_cache(maxsize=1 << 16)  # passages are compared again and again
def norm_key(text: str) -> str:
    """What "equal" and "contained" compare: NFKC, case-folded, without punctuation and spaces."""
    t = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in t if unicodedata.category(ch)[0] not in "PZC")


def clean_option(text: str) -> str:
    """The option as shown: the answer span without surrounding spaces or a trailing sentence mark.

    XQuAD spans sometimes end in ",", "。" or a sentence's final "." ("two."): left in, such marks would tell
    the gold from distractors that lack them. "U.S." keeps its dots (more than one ".").
    """
    t = " ".join(text.split())
    while t and t[-1] in ",;:，、。；：":
        t = t[:-1].rstrip()
    if t.endswith(".") and t.count(".") == 1 and len(t) > 1:
        t = t[:-1].rstrip()
    return t


_MONTHS = ("january|february|march|april|may|june|july|august|september|october|november|december|"
           "jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec")
_DATE = re.compile(rf"^(?:(?:c\.|circa|around|about|in|by|after|before|since|early|late|mid-?|the)\s*)*"
                   rf"(?:(?:1\d{{3}}|20\d{{2}})s?|\d{{1,2}}(?:st|nd|rd|th)\s+century|(?:{_MONTHS})\b.*|\d{{1,2}}\s+(?:{_MONTHS})\b.*)"
                   rf"(?:\s*(?:bc|bce|ad|ce))?$")
_NUMBER_WORDS = {
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
    "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty", "thirty", "forty",
    "fifty", "sixty", "seventy", "eighty", "ninety", "hundred", "thousand", "million", "billion", "trillion",
    "half", "dozen", "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth",
}
_NAME_GLUE = {"of", "the", "and", "de", "la", "le", "van", "von", "der", "da", "du", "for", "in", "on", "at", "&", "y"}


def answer_type(text: str) -> str:
    """number, date (or year), name (capitalised words), short (<= 3 words) or long phrase; for English text."""
    t = text.strip().lower()
    words = t.split()
    if _DATE.match(t) and (any(ch.isdigit() for ch in t) or len(words) <= 3):
        return "date"
    if len(words) <= 4 and (any(ch.isdigit() for ch in t) or any(w.strip(",.-") in _NUMBER_WORDS for w in words)):
        return "number"
    raw = text.strip().split()
    content = [w for w in raw if w.lower() not in _NAME_GLUE]
    if raw and len(raw) <= 6 and content and raw[0][:1].isupper() and all(w[:1].isupper() for w in content if w[:1].isalpha()):
        return "name"
    return "short" if len(words) <= 3 else "long"


def _words(text: str, lang: str) -> set[str]:
    key = unicodedata.normalize("NFKC", text).casefold()
    if lang in UNSPACED_LANGS:
        return {ch for ch in key if unicodedata.category(ch)[0] in "LN"}
    return set(re.findall(r"\w+", key))


# ----------------------------------------------------------------------------------------------- reading XQuAD

@dataclass(frozen=True)
class Question:
    id: str
    article: int
    paragraph: int  # global paragraph index (article-major)
    question: str
    answer: str
    context: str


def read_xquad_file(path: str | os.PathLike) -> list[Question]:
    """Read one SQuAD-format file; anything unexpected is a CrossinError naming the file (and line when known)."""
    where = str(path)
    raw = read_text(path)
    obj = parse_json(raw, path=where)

    def need(container, key, kind, at, qid=None):
        value = container.get(key) if isinstance(container, dict) else None
        if not isinstance(value, kind):
            what = "missing" if not isinstance(container, dict) or key not in container else f"not a {kind.__name__}"
            raise CrossinError(f"{at}: {key!r} {what} (expected SQuAD format)", path=where, line=line_of(qid))
        return value

    def line_of(qid: str | None) -> int | None:
        # Only looked up for an error: the question's id is the nearest thing to a line number JSON gives us.
        pos = raw.find(json.dumps(qid)) if qid is not None else -1
        return raw.count("\n", 0, pos) + 1 if pos >= 0 else None

    data = need(obj, "data", list, "top level")
    questions: list[Question] = []
    seen: set[str] = set()
    paragraph_index = 0
    for ai, article in enumerate(data):
        for pi, paragraph in enumerate(need(article, "paragraphs", list, f"data[{ai}]")):
            at = f"data[{ai}].paragraphs[{pi}]"
            context = need(paragraph, "context", str, at)
            for qi, qa in enumerate(need(paragraph, "qas", list, at)):
                qat = f"{at}.qas[{qi}]"
                qid = need(qa, "id", str, qat)
                qat = f"question {qid!r}"
                question = need(qa, "question", str, qat, qid)
                if not question.strip() or not context.strip():
                    raise CrossinError(f"{qat}: empty {'question' if not question.strip() else 'context'}",
                                       path=where, line=line_of(qid))
                answers = need(qa, "answers", list, qat, qid)
                if not answers:
                    raise CrossinError(f"{qat}: no answers", path=where, line=line_of(qid))
                text = need(answers[0], "text", str, f"{qat}, answers[0]", qid)
                if qid in seen:
                    raise CrossinError(f"duplicate question id {qid!r}", path=where, line=line_of(qid))
                seen.add(qid)
                questions.append(Question(qid, ai, paragraph_index, question, text, context))
            paragraph_index += 1
    if not questions:
        raise CrossinError("no questions in file", path=where)
    return questions


def find_xquad_files(xquad_dir: str | os.PathLike) -> dict[str, Path]:
    """{lang: path} for every `xquad.<lang>.json` in the folder, in XQuAD's language order."""
    folder = Path(xquad_dir)
    if not folder.is_dir():
        raise CrossinError("XQuAD folder not found", path=str(folder))
    found: dict[str, Path] = {}
    for file in sorted(folder.glob("xquad.*.json")):
        code = file.name[len("xquad."):-len(".json")]
        try:
            found[to_code(code)] = file
        except CrossinError:
            continue  # a language we have no name for cannot be written in SeaEval's format
    order = {lang: i for i, lang in enumerate(XQUAD_LANGS)}
    return dict(sorted(found.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0])))


def default_xquad_download_dir() -> Path:
    """Where XQuAD is downloaded when no local copy is given."""
    return xquad_download_dir()


def download_xquad(dest: str | os.PathLike, langs: Iterable[str] = XQUAD_LANGS, *, timeout: float = 60.0) -> Path:
    """Fetch `xquad.<lang>.json` from the public XQuAD release (github google-deepmind/xquad) into dest.

    All 12 languages by default: validation uses every language, so a download gives the same sets as a full folder.
    """
    dest = Path(dest)
    template = os.environ.get(XQUAD_URL_ENV) or XQUAD_URL
    for lang in langs:
        target = dest / f"xquad.{lang}.json"
        if target.is_file():
            continue
        url = template.format(lang=lang)
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:
                text = response.read().decode("utf-8")
            json.loads(text)
        except (urllib.error.URLError, TimeoutError, ConnectionError, UnicodeDecodeError, json.JSONDecodeError) as e:
            raise CrossinError(
                f"could not download {url} ({type(e).__name__}: {e}); pass --xquad-dir or set $CROSSIN_DATA_DIR "
                "to a folder with xquad.<lang>.json"
            ) from None
        atomic_write_text(target, text)
    return dest


# ----------------------------------------------------------------------------------------------- building

# An LLM distractor generator: (set id, prompt messages) -> raw reply text. Kept this thin so tests and other
# clients plug in; `openai_generator` below is the one the CLI uses.
Generator = Callable[[str, list[dict]], str]


@dataclass
class BuildResult:
    sets: list[ParallelSet]
    rows: list[dict]
    report: dict = field(default_factory=dict)

    def jsonl(self) -> str:
        return jsonl_text(self.rows)


@dataclass
class _Entry:
    """One question across the validation languages."""

    q: dict[str, Question]
    text: dict[str, str]  # option text per language
    key: dict[str, str]  # normalised text per language
    type: str
    order: int


def _conflicts(a: dict[str, str], b: dict[str, str], langs: Iterable[str], *, allow_containment: bool) -> str | None:
    """Why option a cannot stand beside option b (normalised keys per language): "equal", "contained" or None."""
    for lang in langs:
        x, y = a[lang], b[lang]
        if x == y:
            return "equal"
        if not allow_containment and (x in y or y in x):
            return "contained"
    return None


def _length_distance(a: str, b: str) -> float:
    return abs(math.log((len(a) + 1) / (len(b) + 1)))


def distractor_prompt(gold: _Entry, anchor: str, langs: tuple[str, ...]) -> list[dict]:
    q = gold.q[anchor]
    spec = {"languages": list(langs), "answer": {lang: gold.text[lang] for lang in langs}}
    example = {"distractors": [{lang: "..." for lang in langs}] * 3}
    user = (
        "Write three wrong but plausible answers (distractors) for this reading-comprehension question.\n"
        "Prefer other short spans of the passage of the same kind as the correct answer (number, date, name, phrase) "
        "and of similar length. A distractor must not equal, contain or be contained in the correct answer. "
        f"Give each distractor in every language listed, as parallel translations.\n\n"
        f"Passage: {q.context}\n\nQuestion: {q.question}\n\n"
        f"```json\n{json.dumps(spec, ensure_ascii=False)}\n```\n\n"
        f"Reply with JSON only, in this shape: {json.dumps(example, ensure_ascii=False)}"
    )
    return [
        {"role": "system", "content": "You write distractors for multiple-choice reading-comprehension questions."},
        {"role": "user", "content": user},
    ]


def parse_proposals(reply: str, langs: tuple[str, ...]) -> tuple[list[dict[str, str]], list[str]] | None:
    """Reply text -> (well-formed proposals, reasons for the malformed ones); None for a reply without them."""
    m = re.search(r"\{.*\}", reply, re.S)
    try:
        obj = json.loads(m.group(0)) if m else None
    except json.JSONDecodeError:
        obj = None
    items = obj.get("distractors") if isinstance(obj, dict) else None
    if not isinstance(items, list):
        return None
    good, bad = [], []
    for item in items:
        if not isinstance(item, dict):
            bad.append("proposal is not an object")
            continue
        missing = [lang for lang in langs if not isinstance(item.get(lang), str) or not norm_key(item[lang])]
        if missing:
            bad.append("no text in some language")
            continue
        good.append({lang: clean_option(item[lang]) for lang in langs})
    return good, bad


def build_cross_xquad(
    xquad_dir: str | os.PathLike,
    langs: Iterable[str],
    *,
    seed: int = 0,
    generator: Generator | None = None,
    workers: int = 4,
    progress: bool = False,
) -> BuildResult:
    """Build the parallel sets for `langs` from a folder of `xquad.<lang>.json` (see the module docstring)."""
    start = time.perf_counter()
    langs = tuple(to_code(lang) for lang in langs)
    if not langs:
        raise CrossinError("no languages given")
    files = find_xquad_files(xquad_dir)
    missing = [lang for lang in langs if lang not in files]
    if missing:
        raise CrossinError(
            f"no xquad.{missing[0]}.json here (missing: {', '.join(missing)}; found: {', '.join(files) or 'none'})",
            path=str(xquad_dir),
        )
    vlangs = tuple(files)
    anchor = "en" if "en" in files else vlangs[0]
    by_lang = {lang: read_xquad_file(files[lang]) for lang in vlangs}
    index = {lang: {q.id: q for q in qs} for lang, qs in by_lang.items()}

    # XQuAD is parallel: every file holds the same question ids. One that does not is damaged or not XQuAD.
    for lang in vlangs:
        extra = [q.id for q in by_lang[lang] if q.id not in index[anchor]]
        absent = [q.id for q in by_lang[anchor] if q.id not in index[lang]]
        if absent or extra:
            what = (f"question {absent[0]!r} of {files[anchor].name} is missing here" if absent else
                    f"question {extra[0]!r} is not in {files[anchor].name}")
            count = f" ({len(absent) + len(extra)} ids differ)" if len(absent) + len(extra) > 1 else ""
            raise CrossinError(f"{what}{count}; XQuAD files must hold the same questions", path=str(files[lang]))
    dropped: list[dict] = []
    entries: dict[str, _Entry] = {}
    for order, aq in enumerate(by_lang[anchor]):
        qs = {lang: index[lang][aq.id] for lang in vlangs}
        text = {lang: clean_option(q.answer) for lang, q in qs.items()}
        key = {lang: norm_key(t) for lang, t in text.items()}
        empty = [lang for lang in vlangs if not key[lang]]
        if empty:
            dropped.append({"id": aq.id, "reason": f"empty answer in {', '.join(empty)}"})
            continue
        entries[aq.id] = _Entry(qs, text, key, answer_type(text[anchor]), order)

    by_article: dict[int, list[_Entry]] = {}
    for e in entries.values():
        by_article.setdefault(e.q[anchor].article, []).append(e)
    context_keys: dict[int, str] = {}

    def in_passage(candidate: _Entry, gold: _Entry) -> bool:
        p = gold.q[anchor].paragraph
        if p not in context_keys:
            context_keys[p] = norm_key(gold.q[anchor].context)
        return candidate.key[anchor] in context_keys[p]

    replies: dict[str, str] = {}
    if generator is not None:
        prompts = {i: distractor_prompt(e, anchor, langs) for i, e in entries.items()}
        with ThreadPoolExecutor(max(1, workers)) as pool:
            futures = {i: pool.submit(generator, i, m) for i, m in prompts.items()}
            items = futures.items()
            if progress:
                from tqdm import tqdm

                items = tqdm(items, total=len(futures), desc="LLM distractors")
            for i, fut in items:
                replies[i] = fut.result()

    chosen: dict[str, list[tuple[dict[str, str], str]]] = {}  # id -> [(option text per lang, source)]
    llm_stats: Counter = Counter()
    type_matches = 0
    for gid, gold in entries.items():
        picks: list[tuple[dict[str, str], dict[str, str], str]] = []  # (text, key, source)
        if generator is not None:
            parsed = parse_proposals(replies[gid], langs)
            if parsed is None:
                llm_stats["unusable replies (no JSON 'distractors' list)"] += 1
            good, bad = parsed or ([], [])
            llm_stats["proposed"] += len(good) + len(bad)
            for reason in bad:
                llm_stats[f"rejected: {reason}"] += 1
            for prop in good:
                if len(picks) == N_OPTIONS - 1:
                    break
                pkey = {lang: norm_key(t) for lang, t in prop.items()}
                clash = _conflicts(pkey, gold.key, langs, allow_containment=False)
                if clash:
                    llm_stats[f"rejected: gold {clash}"] += 1
                elif any(_conflicts(pkey, other, langs, allow_containment=True) for _, other, _ in picks):
                    llm_stats["rejected: duplicate option"] += 1
                else:
                    llm_stats["accepted"] += 1
                    picks.append((prop, pkey, "llm"))
        candidates = [c for c in by_article[gold.q[anchor].article] if c is not gold]
        candidates.sort(key=lambda c: (
            not in_passage(c, gold),
            c.type != gold.type,
            round(_length_distance(c.text[anchor], gold.text[anchor]), 6),
            c.q[anchor].paragraph != gold.q[anchor].paragraph,
            c.order,
        ))
        for c in candidates:
            if len(picks) == N_OPTIONS - 1:
                break
            if _conflicts(c.key, gold.key, vlangs, allow_containment=False):
                continue
            # LLM picks exist only in the requested languages; passage picks in all validation languages.
            if any(_conflicts(c.key, other, langs if src == "llm" else vlangs, allow_containment=True)
                   for _, other, src in picks):
                continue
            source = "paragraph" if c.q[anchor].paragraph == gold.q[anchor].paragraph else "article"
            picks.append(({lang: c.text[lang] for lang in langs}, c.key, source))
            type_matches += c.type == gold.type
        if len(picks) < N_OPTIONS - 1:
            dropped.append({"id": gid, "reason": f"only {len(picks)} valid distractors in the article"})
            continue
        chosen[gid] = [(text, src) for text, _, src in picks]

    # Balanced gold positions: a shuffled [A, B, C, D, A, ...]; the rest of each set's order from (seed, id).
    kept = [gid for gid in entries if gid in chosen]
    positions = [i % N_OPTIONS for i in range(len(kept))]
    random.Random(seed).shuffle(positions)
    sets: list[ParallelSet] = []
    rows: list[dict] = []
    sources: Counter = Counter()
    for gid, pos in zip(kept, positions):
        gold = entries[gid]
        distractors = list(chosen[gid])
        random.Random(f"{seed}:{gid}").shuffle(distractors)
        sources.update(src for _, src in distractors)
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

    n_sets = len(sets)
    gold_counts = Counter(s.gold for s in sets)
    report = {
        "benchmark": "cross-xquad-built",
        "build_version": BUILD_VERSION,
        "seed": seed,
        "languages": list(langs),
        "validation_languages": list(vlangs),
        "anchor_language": anchor,
        "generator": "openai" if generator is not None else "passage",
        "inputs": {files[lang].name: sha256_file(files[lang]) for lang in vlangs},
        "n_questions": len(by_lang[anchor]),
        "n_sets": n_sets,
        "n_dropped": len(dropped),
        "dropped": dropped,
        "dropped_by_reason": dict(Counter(re.sub(r"\d+", "N", d["reason"]) for d in dropped)),
        "gold_positions": {LETTERS[i]: gold_counts.get(i, 0) for i in range(N_OPTIONS)},
        "gold_share": {LETTERS[i]: round(gold_counts.get(i, 0) / max(n_sets, 1), 4) for i in range(N_OPTIONS)},
        "distractor_sources": {k: sources.get(k, 0) for k in ("paragraph", "article", "llm")},
        "answer_types": dict(Counter(entries[s.id].type for s in sets)),
        "distractor_type_match": round(type_matches / max(sources["paragraph"] + sources["article"], 1), 4),
        "options_in_context": options_in_context(sets, langs),
        "baselines": trivial_baselines(sets, langs),
        "chance": 1 / N_OPTIONS,
    }
    if generator is not None:
        report["llm"] = dict(sorted(llm_stats.items()))
        report["llm"]["sets_with_fallback"] = sum(1 for g in kept if sum(s == "llm" for _, s in chosen[g]) < N_OPTIONS - 1)
    report["build_seconds"] = round(time.perf_counter() - start, 3)
    return BuildResult(sets=sets, rows=rows, report=report)


# ----------------------------------------------------------------------------------------------- quality checks

def _appears(option: str, context_key: str) -> bool:
    key = norm_key(option)
    return bool(key) and key in context_key


def options_in_context(sets: list[ParallelSet], langs: Iterable[str]) -> dict[str, float]:
    """Per language: share of sets whose every option occurs in the passage (then matching the passage is no clue)."""
    out = {}
    for lang in langs:
        hits = 0
        for s in sets:
            ctx = norm_key(s.items[lang].context or "")
            hits += all(_appears(c, ctx) for c in s.items[lang].choices)
        out[lang] = round(hits / max(len(sets), 1), 4)
    return out


def _first_max(scores: list[float]) -> int:
    return max(range(len(scores)), key=lambda i: (scores[i], -i))  # ties go to the earliest option


def trivial_baselines(sets: list[ParallelSet], langs: Iterable[str]) -> dict[str, dict[str, float]]:
    """Accuracy per language of three answer-free strategies; ties (and no match) go to the earliest option.

    - context: an option that occurs in the passage
    - longest: the longest option (characters)
    - overlap: most words shared with the question (characters for zh/th/ja)
    """
    langs = tuple(langs)
    out: dict[str, dict[str, float]] = {"context": {}, "longest": {}, "overlap": {}}
    for lang in langs:
        correct = Counter()
        for s in sets:
            item = s.items[lang]
            ctx = norm_key(item.context or "")
            qwords = _words(item.question, lang)
            picks = {
                "context": _first_max([float(_appears(c, ctx)) for c in item.choices]),
                "longest": _first_max([float(len(c)) for c in item.choices]),
                "overlap": _first_max([float(len(_words(c, lang) & qwords)) for c in item.choices]),
            }
            for name, pick in picks.items():
                correct[name] += pick == item.gold
        for name in out:
            out[name][lang] = round(correct[name] / max(len(sets), 1), 4)
    return out


# ----------------------------------------------------------------------------------------------- LLM client

def openai_generator(base_url: str, model: str, *, seed: int = 0, api_key: str | None = None,
                     cache: str | os.PathLike | None = None, timeout: float = 120.0) -> Generator:
    """A Generator backed by any OpenAI-compatible server; replies are appended to `cache` so a rerun resumes."""
    import threading

    from ..models.openai_api import chat_completion

    done: dict[tuple[str, str], str] = {}
    cache_path = Path(cache) if cache else None
    if cache_path and cache_path.exists():
        for raw in cache_path.read_text(encoding="utf-8").splitlines():
            try:
                obj = json.loads(raw)
                done[(obj["id"], obj["prompt_sha256"])] = obj["reply"]
            except (json.JSONDecodeError, RecursionError, KeyError, TypeError):
                continue  # a line cut short by an interrupted run: that call is simply made again
    lock = threading.Lock()

    def generate(set_id: str, messages: list[dict]) -> str:
        digest = sha256_text(json.dumps([model, messages], ensure_ascii=False))
        if (set_id, digest) in done:
            return done[(set_id, digest)]
        reply = chat_completion(base_url, model, messages, temperature=0.0, max_tokens=512, seed=seed,
                                api_key=api_key, timeout=timeout)
        if cache_path:
            with lock:
                cache_path.parent.mkdir(parents=True, exist_ok=True)
                with open(cache_path, "a", encoding="utf-8") as f:
                    f.write(json.dumps({"id": set_id, "prompt_sha256": digest, "reply": reply}, ensure_ascii=False) + "\n")
        return reply

    return generate


# ----------------------------------------------------------------------------------------------- registry hook

def build_cached(xquad_dir: str | os.PathLike, langs: tuple[str, ...], seed: int = 0) -> Path:
    """Build into the cache, keyed by the input files' hashes, seed, languages and BUILD_VERSION; reuse if there."""
    files = find_xquad_files(xquad_dir)
    key = json.dumps({
        "inputs": {lang: sha256_file(path) for lang, path in files.items()},
        "seed": seed, "langs": list(langs), "version": BUILD_VERSION,
    }, sort_keys=True)
    target = built_benchmarks_dir() / f"cross_xquad_{sha256_text(key)[:16]}.jsonl"
    if target.is_file():
        return target
    result = build_cross_xquad(xquad_dir, langs, seed=seed)
    write_json(target.with_suffix(".report.json"), result.report)
    atomic_write_text(target, result.jsonl())
    return target


def build_for_registry(data_root: Path | None, langs: tuple[str, ...]) -> Path:
    """`--bench cross-xquad-built`: a seed-0 build from `<root>/xquad` (downloaded from XQuAD's GitHub without a root).

    `<root>/cross_xquad/test.jsonl` is the *released* set (`--bench cross-xquad`), never read here; a build written
    with `crossin bench build-xquad --out FILE` is loaded with `--bench cross-xquad-built --bench-file FILE`.
    """
    if data_root is None:
        return build_cached(download_xquad(default_xquad_download_dir()), langs)
    root = Path(data_root)
    if root.is_file():
        return root
    for folder in (root / "xquad", root):
        if folder.is_dir() and any(folder.glob("xquad.*.json")):
            return build_cached(folder, langs)
    raise CrossinError("no xquad/xquad.<lang>.json here to build cross-xquad-built from", path=str(root))


def write_build(result: BuildResult, out: str | os.PathLike, report: str | os.PathLike | None = None) -> None:
    atomic_write_text(out, result.jsonl())
    if report is not None:
        write_json(report, result.report)


# Registered lazily by name in registry.py ("crossin.benchmarks.xquad:SPEC"); this module never imports the registry.
SPEC = BenchmarkSpec(
    name="cross-xquad-built",
    description="Cross-XQuAD built offline by crossin (seed 0): 1,190 XQuAD questions as parallel 4-option MCQ with a "
                "passage, distractors from other answers of the same article (12 languages)",
    local_relpath="cross_xquad_built/test.jsonl",
    builder=build_for_registry,
)

__all__ = [
    "XQUAD_LANGS", "BUILD_VERSION", "BuildResult", "build_cross_xquad", "build_cached", "build_for_registry",
    "download_xquad", "read_xquad_file", "find_xquad_files", "trivial_baselines", "options_in_context",
    "openai_generator", "parse_proposals", "distractor_prompt", "norm_key", "clean_option", "answer_type",
    "write_build",
]
