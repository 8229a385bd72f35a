"""Answer extraction: free-form model output -> option index, or None when no answer can be read.

An unparsed answer is never replaced by a guess: it counts as wrong and agrees with nothing.
Order of evidence, strongest first: an explicit "answer is X" phrase in any benchmark language; an answer
written first (an option label, or the exact text of an option), whatever follows it, as base and lightly tuned
models write ("A 2019年12月12日,...", "B 1.1.1.1...", "负责任的 2019年..."); a single parenthesised label; then
the text of a choice found in the output.
"""

from __future__ import annotations

import functools
import re
import unicodedata

LETTERS = "ABCDEFGHIJ"

# "<answer phrase> [is|:] X" in the benchmark languages. Letters are upper-case only unless bracketed,
# so that articles ("a") and words are never read as options.
_ANSWER_WORDS = [
    r"(?:the\s+)?(?:correct\s+|right\s+|final\s+|best\s+)?(?:answer|option|choice)(?:\s+(?:is|would\s+be|should\s+be))?",
    r"i\s+(?:would\s+)?(?:choose|pick|select|go\s+with)",
    r"(?:正确)?(?:答案|选项|答)(?:应该|应|应当)?(?:是|为)?", r"(?:应该)?选(?:择)?",
    r"(?:la\s+)?(?:respuesta|opci[oó]n|alternativa)(?:\s+correcta)?(?:\s+(?:es|ser[ií]a))?(?:\s+la)?",
    r"(?:đáp\s+án|câu\s+trả\s+lời|phương\s+án|lựa\s+chọn)(?:\s+đúng)?(?:\s+(?:là|chính\s+xác\s+là))?", r"chọn",
    r"(?:jawaban|jawapan|pilihan)(?:nya)?(?:\s+(?:yang\s+)?(?:benar|betul|tepat))?(?:\s+(?:adalah|ialah))?",
    r"(?:ang\s+)?(?:tamang\s+)?sagot(?:\s+ay)?",
]
_SEP = r"\s*(?:[:：=\-–—]|(?i:\bis\b))?\s*(?:\*\*)?\s*"
_LETTER = r"(?:\(\s*([A-Ja-j])\s*\)|\[\s*([A-Ja-j])\s*\]|([A-J])(?![A-Za-z]))"
# Only the words are case-insensitive: a bare lower-case "a" is an article, not option A.
_ANSWER_RE = re.compile(rf"(?i:{'|'.join(_ANSWER_WORDS)}){_SEP}(?i:option\s+|la\s+|opción\s+)?{_LETTER}")
# A label at the very start: "(B)", "[B]", "B.", "B)", "B:", "B、", "**B**", "B" alone, or "B" then a space or
# newline and anything ("B 1.1.1...", "A 2019年...").
_LEADING_RE = re.compile(r"^\s*(?:\*\*|[\"'“「])?\s*(?:\(\s*([A-Ja-j])\s*\)|\[\s*([A-Ja-j])\s*\]|"
                         r"([A-J])(?=$|\s|[.)．:：、,，;；!！?？。*\]」”\"']))")
# ... but "A man ...", "A la ...", "I think ...": the article, preposition or pronoun that starts a sentence,
# unless the word after it says the letter is the answer ("A is correct").
_WORD_NOT_LABEL_RE = re.compile(r"^\s*[AI][ \t]+(?!(?:is|es|là|ialah|adalah|ay)\b)[a-zà-ÿ]")
# Letters, digits and the Latin letters of vi/es/fil: an option's text must not run on into more of them
# ("642" is not the start of "6420"); CJK text has no spaces, so no boundary is asked there.
_WORDISH = "0-9A-Za-z\u00C0-\u024F\u1E00-\u1EFF"
_PAREN_RE = re.compile(r"\(\s*([A-J])\s*\)")

_REFUSALS = re.compile(
    r"(i\s+(do\s+not|don't|cannot|can't)\s+(know|answer|determine)|none\s+of\s+the\s+(above|options)|"
    r"不知道|无法(回答|确定|判断)|no\s+(lo\s+)?s[eé]|no\s+puedo|không\s+biết|tidak\s+tahu|hindi\s+ko\s+alam)",
    re.IGNORECASE,
)


def normalise(text: str) -> str:
    # NFKC folds full-width letters and brackets (（Ｂ）) into ASCII ones.
    return unicodedata.normalize("NFKC", text).strip()


def _fold(text: str) -> str:
    text = normalise(text).casefold()
    text = re.sub(r"[\s\"'“”‘’«»「」『』*`]+", " ", text)
    return text.strip(" .。!！?？,，;；:：")


def _letter(match: re.Match, n_choices: int) -> int | None:
    letter = next(g for g in match.groups() if g)
    index = LETTERS.index(letter.upper())
    return index if index < n_choices else None


def extract_choice(output: str | None, choices: list[str] | tuple[str, ...]) -> int | None:
    """Return the 0-based option index the output picks, or None if it picks none (or is ambiguous)."""
    if output is None:
        return None
    text = normalise(output)
    if not text:
        return None
    n = len(choices)

    matches = [m for m in _ANSWER_RE.finditer(text)]
    if matches:
        picked = {_letter(m, n) for m in matches} - {None}
        if len(picked) == 1:
            return picked.pop()
        if picked:  # "the answer is not A, the answer is B": the last explicit statement of an option wins
            return next(i for m in reversed(matches) if (i := _letter(m, n)) is not None)

    m = _LEADING_RE.match(text)
    if m and not _WORD_NOT_LABEL_RE.match(text):
        picked = _letter(m, n)
        if picked is not None:
            return picked

    folded, folded_choices = _fold(text), [_fold(c) for c in choices]
    first = _leading_choice_text(folded, folded_choices)
    if first is not None:
        return first

    if _REFUSALS.search(text):
        return None

    labels = {LETTERS.index(x) for x in _PAREN_RE.findall(text)} & set(range(n))
    if len(labels) == 1:
        return labels.pop()

    return _match_choice_text(folded, folded_choices)


@functools.lru_cache(maxsize=4096)  # the same options come back for every language and every model
def _bounded(choice: str) -> re.Pattern:
    """The choice's text, not running on into letters or digits where it starts or ends with one."""
    head = rf"(?<![{_WORDISH}])" if re.match(rf"[{_WORDISH}]", choice) else ""
    tail = rf"(?![{_WORDISH}])" if re.match(rf"[{_WORDISH}]", choice[-1]) else ""
    if choice[-1].isdigit():  # "640" is not the start of "640.5" or "6,400"
        tail = rf"(?![{_WORDISH}]|[.,][0-9])"
    return re.compile(head + re.escape(choice) + tail)


def _leading_choice_text(folded: str, folded_choices: list[str]) -> int | None:
    """The option whose exact text the (folded) output starts with; the longest one when one option's text is a
    prefix of another's ("New York" / "New York City")."""
    starts = [(len(c), i) for i, c in enumerate(folded_choices) if c and _bounded(c).match(folded)]
    if not starts:
        return None
    longest = max(starts)[0]
    picked = {i for length, i in starts if length == longest}
    return picked.pop() if len(picked) == 1 else None


def _match_choice_text(folded: str, folded_choices: list[str]) -> int | None:
    for i, c in enumerate(folded_choices):
        if c and folded == c:
            return i
    # A choice quoted or embedded in a longer answer. When one choice's text contains another's
    # ("1990" in "1990s"), the longer one explains the shorter match, so it wins.
    found = [i for i, c in enumerate(folded_choices) if c and _bounded(c).search(folded)]
    found = [i for i in found if not any(j != i and folded_choices[i] in folded_choices[j] for j in found)]
    if len(set(folded_choices[i] for i in found)) == 1:
        return found[0]
    return None
