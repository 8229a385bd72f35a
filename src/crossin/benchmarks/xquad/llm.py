"""LLM-proposed distractors (the paper's method): the prompt, reading and validating the reply, a client.

Each proposal is validated by the same rules as passage picks, in the requested languages (the only ones it has);
a question is filled up with passage picks when fewer than three proposals pass.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable

from ...threads import map_concurrent
from .distractors import N_OPTIONS, Entry, Pick, conflicts
from .text import clean_option, norm_key

# An LLM distractor generator: (set id, prompt messages) -> raw reply text. Kept this thin so tests and other
# clients plug in; the CLI's is crossin.models.openai_api.openai_generator (the HTTP client is a model's concern).
Generator = Callable[[str, list[dict]], str]


def distractor_prompt(gold: Entry, anchor: str, langs: tuple[str, ...]) -> list[dict]:
    q = gold.q[anchor]
    spec = {"languages": list(langs), "answer": {lang: gold.text[lang] for lang in langs}}
    example = {"distractors": [{lang: "..." for lang in langs}] * 3}
    user = (
        "Write three wrong but plausible answers (distractors) for this reading-comprehension question.\n"
        "Prefer other short spans of the passage of the same kind as the correct answer (number, date, name, phrase) "
        "and of similar length. A distractor must not equal, contain or be contained in the correct answer. "
        f"Give each distractor in every language listed, as parallel translations.\n\n"
        f"Passage: {q.context}\n\nQuestion: {q.question}\n\n"
        f"```json\n{json.dumps(spec, ensure_ascii=False)}\n```\n\n"
        f"Reply with JSON only, in this shape: {json.dumps(example, ensure_ascii=False)}"
    )
    return [
        {"role": "system", "content": "You write distractors for multiple-choice reading-comprehension questions."},
        {"role": "user", "content": user},
    ]


def parse_proposals(reply: str, langs: tuple[str, ...]) -> tuple[list[dict[str, str]], list[str]] | None:
    """Reply text -> (well-formed proposals, reasons for the malformed ones); None for a reply without them."""
    m = re.search(r"\{.*\}", reply, re.S)
    try:
        obj = json.loads(m.group(0)) if m else None
    except json.JSONDecodeError:
        obj = None
    items = obj.get("distractors") if isinstance(obj, dict) else None
    if not isinstance(items, list):
        return None
    good, bad = [], []
    for item in items:
        if not isinstance(item, dict):
            bad.append("proposal is not an object")
            continue
        missing = [lang for lang in langs if not isinstance(item.get(lang), str) or not norm_key(item[lang])]
        if missing:
            bad.append("no text in some language")
            continue
        good.append({lang: clean_option(item[lang]) for lang in langs})
    return good, bad


def ask_all(generator: Generator, entries: dict[str, Entry], anchor: str, langs: tuple[str, ...], *,
            workers: int, progress: bool) -> dict[str, str]:
    """{question id: reply}, asked `workers` at a time."""
    ids = list(entries)
    replies = map_concurrent(lambda i: generator(i, distractor_prompt(entries[i], anchor, langs)), ids,
                             workers=workers, progress={"desc": "LLM distractors", "disable": not progress})
    return dict(zip(ids, replies))


def accept_proposals(reply: str, gold: Entry, langs: tuple[str, ...], stats: Counter) -> list[Pick]:
    """The reply's valid proposals for `gold`, three at most, in its order; `stats` counts what happened to each."""
    parsed = parse_proposals(reply, langs)
    if parsed is None:
        stats["unusable replies (no JSON 'distractors' list)"] += 1
    good, bad = parsed or ([], [])
    stats["proposed"] += len(good) + len(bad)
    for reason in bad:
        stats[f"rejected: {reason}"] += 1
    picks: list[Pick] = []
    for prop in good:
        if len(picks) == N_OPTIONS - 1:
            break
        pkey = {lang: norm_key(t) for lang, t in prop.items()}
        clash = conflicts(pkey, gold.key, langs, allow_containment=False)
        if clash:
            stats[f"rejected: gold {clash}"] += 1
        elif any(conflicts(pkey, other, langs, allow_containment=True) for _, other, _ in picks):
            stats["rejected: duplicate option"] += 1
        else:
            stats["accepted"] += 1
            picks.append((prop, pkey, "llm"))
    return picks
