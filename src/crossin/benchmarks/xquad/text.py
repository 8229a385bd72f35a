"""Cross-XQuAD's text rules: when two options are the same, how an answer span is shown, what kind of answer it is."""

from __future__ import annotations

import functools
import re
import unicodedata

UNSPACED_LANGS = frozenset({"zh", "th", "ja"})  # no spaces between words: word overlap counts characters
ANSWER_TYPES = ("number", "date", "name", "short", "long")


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


def word_set(text: str, lang: str) -> set[str]:
    """The words of `text` (its letters and digits in languages written without spaces), case-folded."""
    key = unicodedata.normalize("NFKC", text).casefold()
    if lang in UNSPACED_LANGS:
        return {ch for ch in key if unicodedata.category(ch)[0] in "LN"}
    return set(re.findall(r"\w+", key))
