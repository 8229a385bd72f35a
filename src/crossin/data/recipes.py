"""CrossIn recipes: which (instruction language, output language) pairs a recipe uses, and drawing source samples.

- en2x: English instruction + input, output in another language;
- x2en: instruction + input in another language, English output;
- x2x: instruction and output languages both from all languages, never the same;
- monolingual: instruction, input and output in one language (the usual multilingual baseline);
- translation: "Translate the following sentence into <language>." with an instruction in one language as input
  and the same instruction in another as output.

The paper draws each sample's languages independently at random; we deal the pairs out evenly (each pair gets
n // pairs or one more slots) and shuffle them, so pairs stay balanced for any n, which random draws do not
guarantee for small n or many languages.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from itertools import permutations

from ..errors import CrossinError
from ..langs import to_code, to_name
from ..recipe_names import EN2X, MONOLINGUAL, TRANSLATION, TRANSLATION_DIRECTIONS, X2EN, X2X
from .corpus import ParallelCorpus

Pair = tuple[str, str]
PIVOT = "en"


def recipe_pairs(recipe: str, langs: tuple[str, ...]) -> list[Pair]:
    others = [lang for lang in langs if lang != PIVOT]
    if recipe in (EN2X, X2EN):
        if PIVOT not in langs or not others:
            raise CrossinError(f"recipe {recipe} needs English and at least one other language (langs: "
                               f"{','.join(langs)})", path="config")
        return [(PIVOT, x) for x in others] if recipe == EN2X else [(x, PIVOT) for x in others]
    if recipe == X2X:
        if len(langs) < 2:
            raise CrossinError(f"recipe {X2X} needs at least two languages", path="config")
        return list(permutations(langs, 2))
    if recipe == MONOLINGUAL:
        return [(lang, lang) for lang in langs]
    raise CrossinError(f"recipe {recipe!r} has no language pairs", path="config")


def translation_pairs(spec: str, langs: tuple[str, ...]) -> list[Pair]:
    """x2en / en2x / x2x, or explicit 'zh-en,en-es' (source-target)."""
    if spec in TRANSLATION_DIRECTIONS:
        return recipe_pairs(spec, langs)
    pairs: list[Pair] = []
    for part in spec.split(","):
        if not part.strip():
            continue
        bits = [b.strip() for b in part.replace(">", "-").split("-")]
        if len(bits) != 2 or not all(bits):
            raise CrossinError(f"translation direction {part!r} is not source-target (e.g. zh-en)", path="config")
        src, tgt = to_code(bits[0]), to_code(bits[1])
        if src == tgt:
            raise CrossinError(f"translation direction {part!r} translates a language into itself", path="config")
        for lang in (src, tgt):
            if lang not in langs:
                raise CrossinError(f"translation direction {part!r}: {lang} is not among langs {','.join(langs)}",
                                   path="config")
        if (src, tgt) not in pairs:
            pairs.append((src, tgt))
    if not pairs:
        raise CrossinError(f"no translation directions in {spec!r}", path="config")
    return pairs


def deal_pairs(pairs: list[Pair], n: int, rng: random.Random) -> list[Pair]:
    """n slots, each pair n // len(pairs) times, the remainder to randomly chosen pairs, in random order."""
    q, r = divmod(n, len(pairs))
    slots = pairs * q + rng.sample(pairs, r)
    rng.shuffle(slots)
    return slots


def draw_sources(corpus: ParallelCorpus, slots: list[Pair], rng: random.Random,
                 exclude: set[int] | None = None, max_reuse: float | None = None,
                 what: str = "samples") -> tuple[list[int], int]:
    """A source sample for each slot, valid in both of its languages.

    One random order of the corpus is walked per pair, skipping samples this recipe already used, so no
    sample repeats until a pair has used up every sample valid for it; then that pair starts another pass.
    A pair that would use each of its samples more than `max_reuse` times on average is an error (checked
    before drawing). Returns (source indices, number of slots that had to reuse a sample)."""
    order = list(range(len(corpus.ids)))
    rng.shuffle(order)
    exclude = exclude or set()
    pools: dict[Pair, list[int]] = {}
    for a, b in dict.fromkeys(slots):
        va, vb = corpus.valid[a], corpus.valid[b]
        pool = [i for i in order if va[i] and vb[i] and i not in exclude]
        if not pool:
            why = "outside the base set (exclude_base_ids)" if exclude else "(see the dropped counts)"
            raise CrossinError(f"no sample of the parallel corpus is usable for {a}->{b} {why}", path="config")
        pools[(a, b)] = pool
    if max_reuse is not None:
        wanted = Counter(slots)
        pair = max(pools, key=lambda p: wanted[p] / len(pools[p]))
        uses = wanted[pair] / len(pools[pair])
        if uses > max_reuse:
            raise CrossinError(f"{what}: {wanted[pair]} {pair[0]}->{pair[1]} samples from {len(pools[pair])} usable "
                               f"sources would use each ~{uses:.0f} times (max_reuse {max_reuse:g}); lower the number "
                               f"of samples, or allow it with --max-reuse {math.ceil(uses)}", path="config")
    used: dict[int, int] = {}
    pointer = dict.fromkeys(pools, 0)
    passes = dict.fromkeys(pools, 0)
    picked: list[int] = []
    reused = 0
    for pair in slots:
        pool = pools[pair]
        p = pointer[pair]
        while True:
            while p < len(pool) and used.get(pool[p], 0) > passes[pair]:
                p += 1
            if p < len(pool):
                break
            passes[pair] += 1
            p = 0
        i = pool[p]
        pointer[pair] = p + 1
        reused += used.get(i, 0) > 0
        used[i] = used.get(i, 0) + 1
        picked.append(i)
    return picked, reused


def crossin_row(corpus: ParallelCorpus, i: int, a: str, b: str, recipe: str,
                output_lang_hint: str | None = None) -> dict:
    """Instruction and input in language a, output in language b, all verbatim from sample i."""
    ta, tb = corpus.texts[a][i], corpus.texts[b][i]
    instruction = ta[0]
    if output_lang_hint:
        instruction = f"{instruction}\n\n{output_lang_hint.format(language=to_name(b))}"
    return {"instruction": instruction, "input": ta[1], "output": tb[2], "source_id": corpus.ids[i],
            "recipe": recipe, "instruction_lang": a, "input_lang": a, "output_lang": b}


def translation_row(corpus: ParallelCorpus, i: int, a: str, b: str, template: str) -> dict:
    """The instruction of sample i in language a, to be translated into its version in language b."""
    return {"instruction": template.format(language=to_name(b)), "input": corpus.texts[a][i][0],
            "output": corpus.texts[b][i][0], "source_id": corpus.ids[i], "recipe": TRANSLATION,
            "instruction_lang": "en", "input_lang": a, "output_lang": b}
