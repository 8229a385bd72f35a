"""Reading XQuAD: one SQuAD-format file, a folder of `xquad.<lang>.json` checked to be parallel, the download."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ...config import check_template
from ...errors import CrossinError
from ...io import atomic_write_text, parse_json, read_text
from ...langs import to_code

XQUAD_LANGS: tuple[str, ...] = ("en", "ar", "de", "el", "es", "hi", "ro", "ru", "th", "tr", "vi", "zh")
XQUAD_URL = "https://raw.githubusercontent.com/google-deepmind/xquad/master/xquad.{lang}.json"
XQUAD_URL_ENV = "CROSSIN_XQUAD_URL"  # a mirror (or a test server); "{lang}" is replaced by the code


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


@dataclass(frozen=True)
class XquadFolder:
    """Every language of a folder, read and checked to hold the same questions."""

    files: dict[str, Path]  # every language found, in XQuAD's order: all of them validate the options
    anchor: str  # English when there: its order, articles, passages and answer types are the ones used
    questions: dict[str, list[Question]]  # per language, in file order
    index: dict[str, dict[str, Question]]  # per language, by question id

    @property
    def langs(self) -> tuple[str, ...]:
        return tuple(self.files)


def read_xquad_folder(xquad_dir: str | os.PathLike, langs: tuple[str, ...]) -> XquadFolder:
    """Read every `xquad.<lang>.json` of the folder; each of `langs` must be there."""
    files = find_xquad_files(xquad_dir)
    missing = [lang for lang in langs if lang not in files]
    if missing:
        raise CrossinError(
            f"no xquad.{missing[0]}.json here (missing: {', '.join(missing)}; found: {', '.join(files) or 'none'})",
            path=str(xquad_dir),
        )
    anchor = "en" if "en" in files else next(iter(files))
    questions = {lang: read_xquad_file(path) for lang, path in files.items()}
    index = {lang: {q.id: q for q in qs} for lang, qs in questions.items()}
    folder = XquadFolder(files, anchor, questions, index)
    _check_parallel(folder)
    return folder


def _check_parallel(folder: XquadFolder) -> None:
    # XQuAD is parallel: every file holds the same question ids. One that does not is damaged or not XQuAD.
    anchor, files = folder.anchor, folder.files
    for lang in folder.langs:
        extra = [q.id for q in folder.questions[lang] if q.id not in folder.index[anchor]]
        absent = [q.id for q in folder.questions[anchor] if q.id not in folder.index[lang]]
        if absent or extra:
            what = (f"question {absent[0]!r} of {files[anchor].name} is missing here" if absent else
                    f"question {extra[0]!r} is not in {files[anchor].name}")
            count = f" ({len(absent) + len(extra)} ids differ)" if len(absent) + len(extra) > 1 else ""
            raise CrossinError(f"{what}{count}; XQuAD files must hold the same questions", path=str(files[lang]))


def download_xquad(dest: str | os.PathLike, langs: Iterable[str] = XQUAD_LANGS, *, timeout: float = 60.0) -> Path:
    """Fetch `xquad.<lang>.json` from the public XQuAD release (github google-deepmind/xquad) into dest.

    All 12 languages by default: validation uses every language, so a download gives the same sets as a full folder.
    """
    dest = Path(dest)
    template = os.environ.get(XQUAD_URL_ENV) or XQUAD_URL
    check_template(template, ("lang",), required=("lang",), name=f"${XQUAD_URL_ENV}", where="environment")
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
