"""Language codes: ISO 639-1 (Filipino `fil`, ISO 639-2) and SeaEval's language names."""

from __future__ import annotations

from .errors import CrossinError
from .lang_table import FLORES, MORE_LANGS

# SeaEval stores each language under its English name; we use codes everywhere else.
NAME_BY_CODE: dict[str, str] = {
    "en": "English",
    "zh": "Chinese",
    "es": "Spanish",
    "vi": "Vietnamese",
    "id": "Indonesian",
    "ms": "Malay",
    "fil": "Filipino",
    "ar": "Arabic",
    "de": "German",
    "el": "Greek",
    "hi": "Hindi",
    "ro": "Romanian",
    "ru": "Russian",
    "th": "Thai",
    "tr": "Turkish",
    "fr": "French",
    "ja": "Japanese",
    "ko": "Korean",
    "pt": "Portuguese",
    "it": "Italian",
}
CODE_BY_NAME: dict[str, str] = {name: code for code, name in NAME_BY_CODE.items()}
CODE_BY_NAME["Tagalog"] = "fil"

PAPER_LANGS: tuple[str, ...] = ("en", "zh", "es", "vi")
SEAEVAL_LANGS: tuple[str, ...] = ("en", "zh", "es", "vi", "id", "ms", "fil")


# Every code crossin knows: SeaEval's and the paper's first, then the large parallel benchmarks' (lang_table).
ALL_NAMES: dict[str, str] = {**NAME_BY_CODE, **MORE_LANGS}
_BY_LOWER: dict[str, str] = {
    **{code.lower(): code for code in ALL_NAMES}, **{name.lower(): code for code, name in ALL_NAMES.items()},
    **{flores.lower(): code for flores, code in FLORES.items()}, "tl": "fil", "tagalog": "fil",
}


def to_code(lang: str) -> str:
    """Accept a code (`zh`), a SeaEval name (`Chinese`) or a FLORES-200 code (`zho_Hans`) and return the code."""
    if lang in ALL_NAMES:
        return lang
    if lang in CODE_BY_NAME:
        return CODE_BY_NAME[lang]
    code = _BY_LOWER.get(lang.strip().lower())
    if code is not None:
        return code
    raise CrossinError(f"unknown language {lang!r}; known: {', '.join(sorted(NAME_BY_CODE))}, the ISO codes of "
                       "Global-MMLU, MMLU-ProX and Belebele (crossin.lang_table), or a FLORES-200 code (zho_Hans)")


def to_name(code: str) -> str:
    return ALL_NAMES[to_code(code)]


def parse_langs(spec: str | list[str] | tuple[str, ...] | None, default: tuple[str, ...] = PAPER_LANGS) -> tuple[str, ...]:
    """`"en,zh,es"` or a list -> validated, de-duplicated codes in the given order."""
    if spec is None or spec == "" or spec == []:
        return tuple(default)
    parts = spec.split(",") if isinstance(spec, str) else list(spec)
    out: list[str] = []
    for part in parts:
        if part.strip():
            code = to_code(part.strip())
            if code not in out:
                out.append(code)
    if not out:
        raise CrossinError("no languages given")
    return tuple(out)
