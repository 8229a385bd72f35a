"""Choosing distractors from the passage: other gold answers of the same article, valid in every language.

Candidates are ranked, best first: found in the question's passage (so matching options against the passage cannot
find the gold), of the same answer type, of similar length, from the same paragraph; then in file order.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from .reader import Question, XquadFolder
from .text import answer_type, clean_option, norm_key

N_OPTIONS = 4

# A chosen distractor: (option text per requested language, normalised text per language, source), where the
# source is "paragraph" or "article" (a passage pick, keyed in every validation language) or "llm" (keyed in the
# requested languages only, the only ones an LLM proposal has).
Pick = tuple[dict[str, str], dict[str, str], str]


@dataclass
class Entry:
    """One question across the validation languages."""

    q: dict[str, Question]
    text: dict[str, str]  # option text per language
    key: dict[str, str]  # normalised text per language
    type: str
    order: int


def make_entries(folder: XquadFolder) -> tuple[dict[str, Entry], list[dict]]:
    """({question id: entry} in the anchor's order, the questions dropped with their reason)."""
    anchor, vlangs = folder.anchor, folder.langs
    entries: dict[str, Entry] = {}
    dropped: list[dict] = []
    for order, aq in enumerate(folder.questions[anchor]):
        qs = {lang: folder.index[lang][aq.id] for lang in vlangs}
        text = {lang: clean_option(q.answer) for lang, q in qs.items()}
        key = {lang: norm_key(t) for lang, t in text.items()}
        empty = [lang for lang in vlangs if not key[lang]]
        if empty:
            dropped.append({"id": aq.id, "reason": f"empty answer in {', '.join(empty)}"})
            continue
        entries[aq.id] = Entry(qs, text, key, answer_type(text[anchor]), order)
    return entries, dropped


def conflicts(a: dict[str, str], b: dict[str, str], langs: Iterable[str], *, allow_containment: bool) -> str | None:
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


class PassageCandidates:
    """The other questions of a question's article, ranked as the module docstring says."""

    def __init__(self, entries: dict[str, Entry], anchor: str):
        self.anchor = anchor
        self.by_article: dict[int, list[Entry]] = {}
        for e in entries.values():
            self.by_article.setdefault(e.q[anchor].article, []).append(e)
        self._context_keys: dict[int, str] = {}  # paragraph -> normalised passage, made when first needed

    def in_passage(self, candidate: Entry, gold: Entry) -> bool:
        p = gold.q[self.anchor].paragraph
        if p not in self._context_keys:
            self._context_keys[p] = norm_key(gold.q[self.anchor].context)
        return candidate.key[self.anchor] in self._context_keys[p]

    def ranked(self, gold: Entry) -> list[Entry]:
        a = self.anchor
        candidates = [c for c in self.by_article[gold.q[a].article] if c is not gold]
        candidates.sort(key=lambda c: (
            not self.in_passage(c, gold),
            c.type != gold.type,
            round(_length_distance(c.text[a], gold.text[a]), 6),
            c.q[a].paragraph != gold.q[a].paragraph,
            c.order,
        ))
        return candidates


def add_passage_picks(picks: list[Pick], gold: Entry, candidates: list[Entry], anchor: str,
                      langs: tuple[str, ...], vlangs: tuple[str, ...]) -> int:
    """Fill `picks` up to three from the ranked candidates; return how many added share the gold's answer type."""
    type_matches = 0
    for c in candidates:
        if len(picks) == N_OPTIONS - 1:
            break
        if conflicts(c.key, gold.key, vlangs, allow_containment=False):
            continue
        # LLM picks exist only in the requested languages; passage picks in all validation languages.
        if any(conflicts(c.key, other, langs if src == "llm" else vlangs, allow_containment=True)
               for _, other, src in picks):
            continue
        source = "paragraph" if c.q[anchor].paragraph == gold.q[anchor].paragraph else "article"
        picks.append(({lang: c.text[lang] for lang in langs}, c.key, source))
        type_matches += c.type == gold.type
    return type_matches
