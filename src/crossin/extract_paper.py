"""`--extractor crossin-paper`: the CrossIn authors' answer mapping, re-implemented so that its random choices are
seeded per item.

The rule is `Metric._compute_cross_mmlu` of the authors' SeaEval fork (github.com/Lingy12/my_seaeval,
`src/metric.py`, commit 2e134032c7bf443a22f00ec5fe9e195687bb4d57), which scores Cross-MMLU, Cross-LogiQA and
Cross-XQuAD there. It is *not* tiger-eval's `heuristic_align` (`extract_seaeval.py`) though both descend from
SeaEval: it accepts other spellings and breaks ties within a sentence at random instead of by length.
On SeaEval's option strings ("(A) responsible"):
0. an empty output is read as the text "None";
1. Chinese punctuation becomes ASCII; the output is split into sentences (`[^!?。.]+[!?。.]?`); in each
   (lower-cased) sentence the candidates that occur are the whole option string lower-cased, "(a)", "(a" and "a)";
   when several occur, one of them is drawn at random; the option with most votes wins, a tie between the two
   most voted is drawn at random;
2. with no vote: each sentence, stripped of punctuation and padded with spaces, with " A " replaced by a marker,
   lower-cased: the first (longest) of " b ", " c ", " d ", the marker and each option's text (up to its first
   sentence end) that occurs is its vote; most votes win, a tie is drawn at random;
3. still no vote: a random option.
The authors draw from Python's global `random`, seeded once per process (`transformers.set_seed(42)` in
`src/evaluate.py`) and shared by every item, so their draws depend on every earlier item. Here each (seed, item)
has its own generator: the same seed gives the same reading in any order, and every random draw is reported.
"""

from __future__ import annotations

import random
from collections import Counter

from .extract_seaeval import _SEGMENT_RE, _STRIP, _ZH_PUNCT, SeaEvalReading, seaeval_choices
from .letters import LETTERS

VERSION = "lingy12-my_seaeval-2e13403"
SOURCE = {"repo": "Lingy12/my_seaeval", "file": "src/metric.py", "function": "Metric._compute_cross_mmlu",
          "commit": "2e134032c7bf443a22f00ec5fe9e195687bb4d57"}
MAX_CHARS = 32_000  # as extract_seaeval: longer outputs are cut
MAX_OPTIONS = 4  # their rule raises NotImplementedError for 5 or more options
_A_MARK = " aasspecialsymbol "


def _segments(text: str) -> list[str]:
    return _SEGMENT_RE.findall(text)


def _vote(votes: list[int], rng: random.Random) -> tuple[int, str]:
    """The most voted option; a tie between the two most voted is drawn at random (their `top2` rule)."""
    top = Counter(votes).most_common(2)
    if len(top) == 2 and top[0][1] == top[1][1]:
        return rng.choice([top[0][0], top[1][0]]), "tie"
    return top[0][0], ""


def paper_align(output: str | None, texts, *, seed: int, key: str) -> SeaEvalReading:
    """The authors' reading of `output` for options `texts` (without labels); random draws use Random(seed, key).

    `random` says why the answer was drawn: "several" (two spellings of different options in one sentence),
    "tie" (two options with as many votes), "fill" (nothing read), or "" (deterministic)."""
    choices = seaeval_choices(texts)
    if len(choices) > MAX_OPTIONS:
        raise ValueError(f"the authors' rule reads at most {MAX_OPTIONS} options, got {len(choices)}")
    rng = random.Random(f"crossin-paper:{seed}:{key}")
    output = (output or "")[:MAX_CHARS] or "None"

    first: dict[str, int] = {}
    second: dict[str, int] = {}
    for i, choice in enumerate(choices):
        letter = LETTERS[i].lower()
        for k in (choice.lower(), f"({letter})", f"({letter}", f"{letter})"):
            first[k] = i
        second[_A_MARK if i == 0 else f" {letter} "] = i
        second[choice[4:].lower()] = i
    first_keys = sorted(first, key=len, reverse=True)  # stable: equal lengths keep insertion order, as theirs
    second_sorted = {}
    for k, v in sorted(second.items(), key=lambda kv: len(kv[0]), reverse=True):
        segs = _segments(k)
        if segs:  # theirs fails (IndexError) on an option text with no word; such a key can match nothing
            second_sorted[segs[0]] = v
    second_keys = [k for k in second_sorted if len(k) > 1]

    sentences = _segments(output.translate(_ZH_PUNCT))
    votes, several = [], False
    for sent in sentences:
        found = [k for k in first_keys if k in sent.lower()]
        if len(found) > 1:
            several = several or len({first[k] for k in found}) > 1
            found = [rng.choice(found)]
        votes += [first[k] for k in found]
    if votes:
        choice, why = _vote(votes, rng)
        return SeaEvalReading(choice, why or ("several" if several else ""))
    for sent in sentences:
        padded = f" {sent.strip(_STRIP)} ".replace(" A ", _A_MARK)
        padded = f" {padded.lower()} "
        hit = next((k for k in second_keys if k in padded), None)
        if hit is not None:
            votes.append(second_sorted[hit])
    if votes:
        return SeaEvalReading(*_vote(votes, rng))
    return SeaEvalReading(rng.randrange(len(choices)), "fill")
