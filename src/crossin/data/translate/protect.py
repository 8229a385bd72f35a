"""What a translation must leave alone, and the checks every translated piece passes before it is written.

A field is cut into pieces: fenced code blocks, whitespace and pieces made only of protected spans are kept
verbatim (never sent to an engine); the rest is translated. Inline code, URLs, numbers and {placeholders} stay in
the text sent (the engine needs them for context) and must come back unchanged.
"""

from __future__ import annotations

import re
from collections import Counter

FENCE = re.compile(r"```.*?(?:```|\Z)", re.S)
URL = re.compile(r"(?:https?|ftp)://[^\s<>\"'`]+[^\s<>\"'`.,;:!?)\]]")
INLINE_CODE = re.compile(r"`[^`\n]+`")
PLACEHOLDER = re.compile(r"\{\{?[^{}\s]*\}\}?")
NUMBER = re.compile(r"\d+")
# An answer that starts like this is a refusal unless the source itself starts like this.
REFUSAL = re.compile(r"^\W*(i'?m sorry|i am sorry|sorry, (?:but )?i|i apologi[sz]e|i can ?(?:no|')t|i'?m unable|"
                     r"i am unable|i'?m not able|i am not able|as an ai)\b", re.I)

FAILURE_REASONS: tuple[str, ...] = ("empty", "refusal", "cut_short", "wrong_language", "protected", "rejected")


def protected_spans(text: str) -> list[str]:
    """URLs, inline code and placeholders, in order (numbers are checked separately: formats differ by language)."""
    spans = [m.group() for m in URL.finditer(text)] + [m.group() for m in INLINE_CODE.finditer(text)]
    return spans + [m.group() for m in PLACEHOLDER.finditer(text)]


def _only_protected(core: str) -> bool:
    rest = core
    for pattern in (URL, INLINE_CODE, PLACEHOLDER):
        rest = pattern.sub(" ", rest)
    return not any(ch.isalpha() for ch in rest)


def split_pieces(text: str, per_line: bool) -> list[tuple[bool, str]]:
    """(translate?, piece) whose concatenation is `text`. per_line: one piece per line (sentence-level MT models)."""
    pieces: list[tuple[bool, str]] = []

    def prose(chunk: str) -> None:
        parts = re.split(r"(\n)", chunk) if per_line else [chunk]
        for part in parts:
            core = part.strip()
            if not core or _only_protected(core):
                if part:
                    pieces.append((False, part))
                continue
            start = part.index(core)
            if start:
                pieces.append((False, part[:start]))
            pieces.append((True, core))
            if start + len(core) < len(part):
                pieces.append((False, part[start + len(core):]))

    pos = 0
    for m in FENCE.finditer(text):
        prose(text[pos:m.start()])
        pieces.append((False, m.group()))
        pos = m.end()
    prose(text[pos:])
    return pieces


def letters(text: str) -> int:
    return sum(ch.isalpha() for ch in text)


def check_piece(source: str, output: str, finish: str, *, detect=None, target=None,
                min_langid_chars: int = 20) -> tuple[str | None, str]:
    """(reason, detail) why `output` is not a usable translation of `source`, or (None, '').

    detect(text) -> language code or None (lingua over the run's languages); target: the expected code."""
    if finish == "rejected":
        return "rejected", "the server refused the request"
    if finish == "length":
        return "cut_short", "the answer reached max_tokens"
    if not output.strip():
        return "empty", "empty answer"
    if REFUSAL.match(output) and not REFUSAL.match(source):
        return "refusal", output[:80]
    missing = Counter(protected_spans(source)) - Counter(protected_spans(output))
    numbers = set(NUMBER.findall(source)) - set(NUMBER.findall(output))
    if missing or numbers:
        return "protected", "lost " + ", ".join(sorted(missing) + sorted(numbers))[:200]
    if detect is not None and letters(source) >= min_langid_chars:
        if output.strip() == source.strip():
            return "wrong_language", "answer is the source text"
        found = detect(output) if letters(output) >= min_langid_chars else None
        if found is not None and found != target:
            return "wrong_language", f"identified as {found}"
    return None, ""
