"""The answer extractors behind `--extractor`: one interface for `crossin score` and `crossin eval --mode generate`.

- `crossin` (default): crossin's rules (`extract.py`); unparsed stays unparsed, two final answers are ambiguous.
- `seaeval`: SeaEval's own rule (`extract_seaeval.py`), random fill seeded by `seed` and the item, and counted.
- `crossin-paper`: the CrossIn authors' rule (`extract_paper.py`, their SeaEval fork), random draws seeded and counted.
- `judge`: an LLM on an OpenAI-compatible server names the option (`extraction/judge.py`), cached.
Each reads a batch of `Item`s and returns one `Reading` per item; `extraction_block` is what results.json records.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import CrossinError
from ..extract import VERSION as CROSSIN_VERSION
from ..extract import Reading, read_answer
from ..extract_seaeval import VERSION as SEAEVAL_VERSION
from ..extract_paper import VERSION as PAPER_VERSION
from ..extract_paper import paper_align
from ..extract_seaeval import seaeval_align

EXTRACTORS = ("crossin", "seaeval", "crossin-paper", "judge")
SEEDED = ("seaeval", "crossin-paper")  # the extractors that draw an answer at random (seeded) where they read none
OPENAI_PREFIX = "openai:"


@dataclass(frozen=True)
class Item:
    key: str  # "set_id:lang" (the seaeval fill and the judge cache are keyed by it, with the seed / the prompt)
    lang: str
    output: str | None
    choices: tuple[str, ...]


@dataclass(frozen=True)
class ExtractorSpec:
    name: str = "crossin"
    seed: int = 0
    judge_model: str | None = None
    judge_base_url: str | None = None
    cache_dir: str | None = None  # judge replies (default: the eval cache); None with no_cache=True: not cached
    no_cache: bool = False


def check_spec(spec: ExtractorSpec) -> None:
    """Every problem with the extractor options, as one line, before anything loads."""
    if spec.name not in EXTRACTORS:
        raise CrossinError(f"unknown extractor {spec.name!r}; choose from {', '.join(EXTRACTORS)}")
    if spec.name == "judge":
        if not spec.judge_model or not spec.judge_model.startswith(OPENAI_PREFIX) or not spec.judge_model[len(OPENAI_PREFIX):]:
            raise CrossinError("--extractor judge needs --judge-model openai:NAME (a model on an OpenAI-compatible server)")
        if not spec.judge_base_url:
            raise CrossinError("--extractor judge needs --judge-base-url (e.g. http://127.0.0.1:8000/v1)")
        from .judge import check_base_url

        check_base_url(spec.judge_base_url)
    elif spec.judge_model or spec.judge_base_url:
        raise CrossinError(f"--judge-model and --judge-base-url are for --extractor judge, not {spec.name}")


def read_items(spec: ExtractorSpec, items: list[Item], *, progress: bool = False) -> list[Reading]:
    """One Reading per item, in order."""
    check_spec(spec)
    if spec.name == "crossin":
        return [read_answer(it.output, it.choices) for it in items]
    if spec.name in SEEDED:
        align = seaeval_align if spec.name == "seaeval" else paper_align
        out = []
        for it in items:
            r = align(it.output, it.choices, seed=spec.seed, key=it.key)
            out.append(Reading(r.choice, rule="random" if r.random else spec.name, random=r.random))
        return out
    from .judge import judge_items

    return judge_items(spec, items, progress=progress)


def version(spec: ExtractorSpec) -> str:
    if spec.name == "crossin":
        return CROSSIN_VERSION
    if spec.name == "seaeval":
        return SEAEVAL_VERSION
    if spec.name == "crossin-paper":
        return PAPER_VERSION
    from .judge import JUDGE_VERSION

    return JUDGE_VERSION


def extraction_block(spec: ExtractorSpec, langs, readings: list[tuple[str, Reading]]) -> dict:
    """results.json's `extraction`: which extractor read the answers, its version and, per language, how many texts
    it read, left unparsed, found ambiguous (two different answers stated) and, for seaeval, filled at random."""
    block: dict = {"extractor": spec.name, "version": version(spec)}
    if spec.name in SEEDED:
        block["seed"] = spec.seed
    if spec.name == "judge":
        from .judge import judge_description

        block["judge"] = judge_description(spec)
    counts = {name: {lang: 0 for lang in langs} for name in ("texts", "unparsed", "ambiguous", "random")}
    for lang, r in readings:
        if lang not in counts["texts"]:
            continue
        counts["texts"][lang] += 1
        counts["unparsed"][lang] += r.choice is None
        counts["ambiguous"][lang] += r.ambiguous
        counts["random"][lang] += bool(r.random)
    block.update(counts)
    if spec.name not in SEEDED:
        del block["random"]
    return block


def disagreements(items: list[Item], a: list[Reading], b: list[Reading]) -> list[tuple[Item, Reading, Reading]]:
    """The items two extractors read differently."""
    return [(it, x, y) for it, x, y in zip(items, a, b) if x.choice != y.choice]
