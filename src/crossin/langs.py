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
# Names are matched in any case ("chinese"); codes only as written: `zho_hans` or `ZH` is not a code (a typo that
# would otherwise pass as another spelling), and is one error line.
_BY_LOWER: dict[str, str] = {**{name.lower(): code for code, name in ALL_NAMES.items()}, "tagalog": "fil"}
_ALIASES: dict[str, str] = {**FLORES, "tl": "fil"}


def to_code(lang: str) -> str:
    """Accept a code (`zh`), a language name (`Chinese`, any case) or a FLORES-200 code (`zho_Hans`) and return the
    code."""
    if lang in ALL_NAMES:
        return lang
    if lang in CODE_BY_NAME:
        return CODE_BY_NAME[lang]
    code = _ALIASES.get(lang.strip()) or _BY_LOWER.get(lang.strip().lower())
    if code is not None:
        return code
    near = [c for c in (*ALL_NAMES, *FLORES) if c.lower() == lang.strip().lower()]
    hint = f" (did you mean {near[0]!r}? codes are case-sensitive)" if near else ""
    raise CrossinError(f"unknown language {lang!r}{hint}; known: {', '.join(sorted(NAME_BY_CODE))}, the ISO codes of "
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
