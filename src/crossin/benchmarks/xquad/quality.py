"""Quality checks of a built set: can the gold be found without reading the question?

A good set leaves every answer-free strategy near chance: options all found in the passage, and the gold neither
the longest option nor the one sharing most words with the question more often than the others.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from ..base import ParallelSet, best_option
from .text import norm_key, word_set


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
            qwords = word_set(item.question, lang)
            picks = {
                "context": best_option([float(_appears(c, ctx)) for c in item.choices]),
                "longest": best_option([float(len(c)) for c in item.choices]),
                "overlap": best_option([float(len(word_set(c, lang) & qwords)) for c in item.choices]),
            }
            for name, pick in picks.items():
                correct[name] += pick == item.gold
        for name in out:
            out[name][lang] = round(correct[name] / max(len(sets), 1), 4)
    return out
