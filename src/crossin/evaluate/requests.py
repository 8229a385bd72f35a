"""Benchmark items -> the prompts a model is asked (one Request per set, rotation and language).

What shapes a prompt, besides the item: the mode, the template (crossin's `1`..`5` or SeaEval's `seaeval:1`..`5`),
the prompt format shared with training, the language of the prompt's own words (`en` or `native`), and few-shot
examples. Few-shot examples are whole parallel sets drawn with the seed from the benchmark's *other* sets: the same
sets in every language, each shown in that language, so that languages differ only in language.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from ..benchmarks import MCQ, Benchmark, ParallelSet, load_benchmark
from ..errors import CrossinError
from ..letters import LETTERS
from .scoring import rotate
from ..prompts import (chat_messages, encode_messages, family_templates, format_cloze, format_mcq, format_with_shots, item_turn, prompt_words,
                       template_name)

ALL_TEMPLATES = "all"


@dataclass(frozen=True)
class Request:
    set_id: str
    lang: str
    rotation: int
    prompt: str
    options: tuple[str, ...]  # option texts in the (rotated) order shown to the model


def shot_response(item: MCQ, mode: str) -> str:
    """What a solved example shows after its prompt: exactly what the mode reads (letter, option text, or both)."""
    letter = LETTERS[item.gold]
    if mode == "loglik":
        return letter
    if mode == "cloze":
        return item.choices[item.gold]
    return f"({letter}) {item.choices[item.gold]}"


def fewshot_sets(pool: list[ParallelSet], k: int, seed: int, exclude: str) -> list[ParallelSet]:
    """K sets of `pool` other than `exclude`: a seeded order of the pool's ids, the first K that are not it.

    The order does not depend on --limit or on which languages are asked, so neither changes the examples.
    """
    if k <= 0:
        return []
    if k >= len(pool):
        raise CrossinError(f"--num-fewshot {k} needs more than {k} sets; the benchmark has {len(pool)}")
    order = sorted(pool, key=lambda s: s.id)
    random.Random(f"fewshot:{seed}").shuffle(order)
    return [s for s in order if s.id != exclude][:k]


def build_prompt(item: MCQ, mode: str, *, template=1, prompt_format: str = "alpaca", tokenizer=None, lang: str | None = None,
                 prompt_lang: str = "en", shots: list[MCQ] = (), system: str | None = None,
                 multiturn: bool = True) -> str:
    words = prompt_words(lang, prompt_lang)
    turns = [(*item_turn(s.question, None if mode == "cloze" else s.choices, s.context, template, words), shot_response(s, mode))
             for s in shots]
    if mode == "cloze":
        return format_cloze(item.question, item.context, template=template, fmt=prompt_format, tokenizer=tokenizer,
                            words=words, shots=turns, system=system, multiturn=multiturn)
    return format_mcq(item.question, item.choices, item.context, template=template, fmt=prompt_format, tokenizer=tokenizer,
                      words=words, shots=turns, system=system, multiturn=multiturn)


def build_requests(bench: Benchmark, mode: str, *, template=1, prompt_format: str = "alpaca", tokenizer=None,
                   rotations: Callable[[int], list[int]] = lambda n: [0], api: bool = False, prompt_lang: str = "en",
                   num_fewshot: int = 0, fewshot_pool: list[ParallelSet] | None = None, seed: int = 0,
                   system: str | None = None, multiturn: bool = True) -> list[Request]:
    """`fewshot_pool`: the sets examples are drawn from (default: the benchmark's own; pass the unlimited list).
    `system`, `multiturn`: the chat protocol (a system prompt; few-shot examples as turns), in process and for a
    server alike: a server's generate requests carry their turns (`prompts.encode_messages`)."""
    requests = []
    pool = fewshot_pool if fewshot_pool is not None else bench.sets
    for pset in bench.sets:
        examples = fewshot_sets(pool, num_fewshot, seed, pset.id)
        for rotation in rotations(pset.n_choices):
            for lang in bench.langs:
                item = rotate(pset.items[lang], rotation)
                shots = [ex.items[lang] for ex in examples]
                if api and prompt_format == "chat":
                    # The server applies its own chat template: send the bare instruction (examples before it).
                    words = prompt_words(lang, prompt_lang)
                    turns = [(*item_turn(s.question, s.choices, s.context, template, words), shot_response(s, mode))
                             for s in shots]
                    instruction, input_ = item_turn(item.question, item.choices, item.context, template, words)
                    if mode == "generate" and (system or (multiturn and turns)):
                        prompt = encode_messages(chat_messages(instruction, input_, shots=turns, system=system,
                                                               multiturn=multiturn))
                    else:
                        prompt = format_with_shots(instruction, input_, fmt="plain", shots=turns, cue=None,
                                                   system=system)
                else:
                    prompt = build_prompt(item, mode, template=template, prompt_format=prompt_format, tokenizer=tokenizer,
                                          lang=lang, prompt_lang=prompt_lang, shots=shots, system=system,
                                          multiturn=multiturn)
                requests.append(Request(pset.id, lang, rotation, prompt, item.choices))
    return requests


def load_eval_benchmark(config, name: str, langs, load=load_benchmark) -> tuple[Benchmark, list[ParallelSet]]:
    """The benchmark as asked (--limit applied) and the full list of its sets, which few-shot examples come from."""
    # Always the whole benchmark: few-shot examples come from it, and records state how many sets it has.
    bench = load(name, langs, data_dir=config.data_dir, limit=None, path=config.bench_file)
    pool = list(bench.sets)
    if config.limit is not None:
        bench.sets = bench.sets[:config.limit]
    return bench, pool


def templates_to_run(template) -> list[str]:
    """`--template all` -> every template of crossin's family; `all:seaeval` or `seaeval:all` -> SeaEval's."""
    text = str(template).strip().lower()
    if ALL_TEMPLATES in text.split(":"):
        family = text.replace(ALL_TEMPLATES, "").strip(":") or "crossin"
        if family not in ("crossin", "seaeval"):
            raise CrossinError(f"unknown template family {family!r}; choose from crossin, seaeval")
        return family_templates(family)
    try:
        return [template_name(template)]
    except ValueError as e:
        raise CrossinError(str(e)) from None
