"""`--extractor seaeval`: SeaEval's own answer rule, re-implemented so that its random choices are seeded.

The rule is `heuristic_align(choices, model_prediction)` of `tiger-eval` 0.0.2 (SeaEval's scoring package on PyPI,
`tiger_eval/multichoice_align.py`, Apache-2.0), which SeaEval v0.1 uses for Cross-MMLU, Cross-LogiQA and
Cross-XQuAD. It works on SeaEval's option strings ("(A) responsible"):
1. the output is split into sentences; in each, every option string, its lower/upper case, "(A)" and "(a)" that
   occur (as substrings) are candidates and the longest one is the sentence's vote; the option with most votes wins;
2. with no vote: per sentence (stripped of punctuation, padded with spaces), the first of " b ", " c ", ... and the
   options' texts (up to their first punctuation) that occurs is the vote; " A " stands for option A;
3. an empty output, a tie between the two most voted options, or no vote at all: a random option.
tiger-eval draws those with the global `random` module; here each (item, seed) has its own generator, so the same
seed gives the same fill in any order, and every random pick is reported (`SeaEvalReading.random`). On outputs
where the rule is deterministic the result equals tiger-eval's (tests/test_extract_seaeval.py runs the real one).
"""

from __future__ import annotations

import random
import re
from collections import Counter
from dataclasses import dataclass

from .letters import LETTERS

VERSION = "tiger-eval-0.0.2"
MAX_CHARS = 32_000  # SeaEval reads everything; longer outputs are cut (no real answer is this long; keeps reads fast)

_SEGMENT_RE = re.compile(r"[^!?。.]+[!?。.]?")
_ZH_PUNCT = str.maketrans("，。“”‘’！？【】《》（）", ",.\"\"''!?[]<>()")
_STRIP = "(。$,|！|\\!|\\.|？|\\?)，；：？！…—·《》“”‘’{}[]（）()、|\\/\n\t\r\v\f "
_A_MARK = " *&^%$asa "  # tiger-eval's stand-in for " A " (so that the article "a" is not read as option A)


@dataclass(frozen=True)
class SeaEvalReading:
    choice: int
    random: str = ""  # "fill" (nothing read), "tie" (two options with the same votes), or "" (deterministic)


def seaeval_choices(texts) -> list[str]:
    """SeaEval's option strings from crossin's option texts: "(A) text"."""
    return [f"({LETTERS[i]}) {t}" for i, t in enumerate(texts)]


def _segments(text: str) -> list[str]:
    return _SEGMENT_RE.findall(text)


def seaeval_align(output: str | None, texts, *, seed: int, key: str) -> SeaEvalReading:
    """SeaEval's reading of `output` for options `texts` (without labels); random picks use Random(seed, key)."""
    choices = seaeval_choices(texts)
    rng = random.Random(f"seaeval:{seed}:{key}")
    output = (output or "")[:MAX_CHARS]
    if not output.strip():
        return SeaEvalReading(rng.randrange(len(choices)), "fill")

    first: dict[str, int] = {}
    second: dict[str, int] = {}
    for i, choice in enumerate(choices):
        for k in (choice, choice.lower(), choice.upper(), f"({LETTERS[i]})", f"({LETTERS[i].lower()})"):
            first[k] = i
        second[_A_MARK if i == 0 else f" {LETTERS[i].lower()} "] = i
        second[choice[4:].lower()] = i
    # Longest first (stable: ties keep insertion order), as tiger-eval sorts its dicts.
    first_keys = sorted(first, key=len, reverse=True)
    first = {k: first[k] for k in first_keys}
    second_items = sorted(second.items(), key=lambda kv: len(kv[0]), reverse=True)
    second = {}
    for k, v in second_items:
        segs = _segments(k)
        if segs:  # tiger-eval fails on an option text with no word; such a key can match nothing
            second[segs[0]] = v
    second_keys = [k for k in second if len(k) > 1]

    sentences = _segments(output.translate(_ZH_PUNCT))
    votes = []
    for sent in sentences:
        lower = sent.lower()
        found = [k for k in first_keys if k in sent] + [k for k in first_keys if k in lower]
        if found:
            votes.append(first[max(found, key=len)])  # max keeps the first of the longest, like sorted(...)[0]
    if not votes:
        for sent in sentences:
            padded = f" {sent.strip(_STRIP)} ".replace(" A ", _A_MARK).lower()
            hit = next((k for k in second_keys if k in padded), None)
            if hit is not None:
                votes.append(second[hit])
    if not votes:
        return SeaEvalReading(rng.randrange(len(choices)), "fill")
    top = Counter(votes).most_common(2)
    if len(top) == 2 and top[0][1] == top[1][1]:
        return SeaEvalReading(rng.choice([top[0][0], top[1][0]]), "tie")
    return SeaEvalReading(top[0][0])
