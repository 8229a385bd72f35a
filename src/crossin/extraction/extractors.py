"""The answer extractors behind `--extractor`: one interface for `crossin score` and `crossin eval --mode generate`.

- `crossin` (default): crossin's rules (`extract.py`); unparsed stays unparsed, two final answers are ambiguous.
- `seaeval`: SeaEval's own rule (`extract_seaeval.py`), random fill seeded by `seed` and the item, and counted.
- `crossin-paper`: the CrossIn authors' rule (`extract_paper.py`, their SeaEval fork), random draws seeded and counted.
- `judge`: an LLM on an OpenAI-compatible server names the option (`extraction/judge.py`), cached.
- `crossin+judge`: crossin's rules first; the judge is asked only about the answers they leave unread or ambiguous
  (never about a reasoning model's answer cut off inside its thinking: there is none). `extraction.read_by` counts
  per language how many each path read.
A reasoning model's thinking part (`crossin.thinking`; `think_end_token` for a model's own end token) is never read
by any of them: only the answer after it.
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
from ..thinking import split_thinking

EXTRACTORS = ("crossin", "seaeval", "crossin-paper", "judge", "crossin+judge")
SEEDED = ("seaeval", "crossin-paper")  # the extractors that draw an answer at random (seeded) where they read none
JUDGED = ("judge", "crossin+judge")  # the extractors that ask a judge
OPENAI_PREFIX = "openai:"


@dataclass(frozen=True)
class Item:
    key: str  # "set_id:lang" (the seaeval fill and the judge cache are keyed by it, with the seed / the prompt)
    lang: str
    output: str | None
    choices: tuple[str, ...]
    question: str | None = None  # lets the rules tell a question that asks which option is NOT (crossin.extract)


@dataclass(frozen=True)
class ExtractorSpec:
    name: str = "crossin"
    seed: int = 0
    judge_model: str | None = None
    judge_base_url: str | None = None
    cache_dir: str | None = None  # judge replies (default: the eval cache); None with no_cache=True: not cached
    no_cache: bool = False
    think_end_token: str | None = None  # a reasoning model's end-of-thinking token (crossin.thinking)


def check_spec(spec: ExtractorSpec) -> None:
    """Every problem with the extractor options, as one line, before anything loads."""
    if spec.name not in EXTRACTORS:
        raise CrossinError(f"unknown extractor {spec.name!r}; choose from {', '.join(EXTRACTORS)}")
    if spec.name in JUDGED:
        if not spec.judge_model or not spec.judge_model.startswith(OPENAI_PREFIX) or not spec.judge_model[len(OPENAI_PREFIX):]:
            raise CrossinError(f"--extractor {spec.name} needs --judge-model openai:NAME (a model on an OpenAI-compatible "
                               "server)")
        if not spec.judge_base_url:
            raise CrossinError(f"--extractor {spec.name} needs --judge-base-url (e.g. http://127.0.0.1:8000/v1)")
        from .judge import check_base_url

        check_base_url(spec.judge_base_url)
    elif spec.judge_model or spec.judge_base_url:
        raise CrossinError(f"--judge-model and --judge-base-url are for --extractor judge or crossin+judge, not {spec.name}")
    if spec.think_end_token is not None and not spec.think_end_token.strip():
        raise CrossinError("--think-end-token must not be empty")


def read_items(spec: ExtractorSpec, items: list[Item], *, progress: bool = False) -> list[Reading]:
    """One Reading per item, in order."""
    check_spec(spec)
    think_end = spec.think_end_token
    if spec.name in ("crossin", "crossin+judge"):
        readings = [read_answer(it.output, it.choices, think_end, it.question) for it in items]
        if spec.name == "crossin":
            return readings
        from .judge import judge_items

        ask = [k for k, r in enumerate(readings) if r.choice is None and not r.cut_off]
        answers = [_answer_part(items[k], split_thinking(items[k].output or "", think_end)) for k in ask]
        for k, r in zip(ask, judge_items(spec, answers, progress=progress)):
            readings[k] = r
        return readings
    splits = [split_thinking(it.output or "", think_end) for it in items]
    if spec.name in SEEDED:
        align = seaeval_align if spec.name == "seaeval" else paper_align
        out = []
        for it, sp in zip(items, splits):
            if sp.cut_off:
                out.append(Reading(None, rule="cut_off", cut_off=True))
                continue
            r = align(sp.answer, it.choices, seed=spec.seed, key=it.key)
            out.append(Reading(r.choice, rule="random" if r.random else spec.name, random=r.random))
        return out
    from .judge import judge_items

    readings = judge_items(spec, [_answer_part(it, sp) for it, sp in zip(items, splits)], progress=progress)
    return [Reading(None, rule="cut_off", cut_off=True) if sp.cut_off else r for sp, r in zip(splits, readings)]


def _answer_part(item: Item, sp) -> Item:
    """The item with only the answer after its thinking part (`sp`: its split_thinking; what the judge is shown)."""
    return item if sp.answer == item.output else Item(item.key, item.lang, sp.answer, item.choices, item.question)


def version(spec: ExtractorSpec) -> str:
    if spec.name == "crossin":
        return CROSSIN_VERSION
    if spec.name == "seaeval":
        return SEAEVAL_VERSION
    if spec.name == "crossin-paper":
        return PAPER_VERSION
    from .judge import JUDGE_VERSION

    return JUDGE_VERSION if spec.name == "judge" else f"{CROSSIN_VERSION}+judge{JUDGE_VERSION}"


def extraction_block(spec: ExtractorSpec, langs, readings: list[tuple[str, Reading]]) -> dict:
    """results.json's `extraction`: which extractor read the answers, its version and, per language, how many texts
    it read, left unparsed, found ambiguous (two different answers stated), found cut off inside a reasoning model's
    thinking (`cut_off`, also unparsed), the unread share (`unread_share`: unparsed / texts; accuracy and consistency
    count those as wrong, so above a few percent they are lower bounds), for seaeval how many it filled at random,
    and for crossin+judge how many each path read (`read_by`: rules, judge)."""
    block: dict = {"extractor": spec.name, "version": version(spec)}
    if spec.name in SEEDED:
        block["seed"] = spec.seed
    if spec.name in JUDGED:
        from .judge import judge_description

        block["judge"] = judge_description(spec)
    if spec.think_end_token:
        block["think_end_token"] = spec.think_end_token
    counts = {name: {lang: 0 for lang in langs} for name in ("texts", "unparsed", "ambiguous", "cut_off", "random")}
    read_by = {path: {lang: 0 for lang in langs} for path in ("rules", "judge")}
    for lang, r in readings:
        if lang not in counts["texts"]:
            continue
        counts["texts"][lang] += 1
        counts["unparsed"][lang] += r.choice is None
        counts["ambiguous"][lang] += r.ambiguous
        counts["cut_off"][lang] += r.cut_off
        counts["random"][lang] += bool(r.random)
        if r.choice is not None:
            read_by["judge" if r.rule == "judge" else "rules"][lang] += 1
    block.update(counts)
    block["unread_share"] = {lang: round(counts["unparsed"][lang] / counts["texts"][lang], 4) if counts["texts"][lang]
                             else None for lang in langs}
    if spec.name not in SEEDED:
        del block["random"]
    if spec.name == "crossin+judge":
        block["read_by"] = read_by
    return block


UNREAD_WARN = 0.05  # above this share of unread answers in a language, accuracy and consistency are lower bounds


def extraction_warnings(block: dict) -> list[str]:
    """One line per problem worth a user's attention in an `extraction` block: a high unread share, answers cut off
    inside a reasoning model's thinking."""
    out = []
    share = block.get("unread_share") or {}
    high = {lang: s for lang, s in share.items() if s is not None and s > UNREAD_WARN}
    if high:
        langs = ", ".join(f"{lang} {s:.0%}" for lang, s in high.items())
        out.append(f"{block.get('extractor')} left more than {UNREAD_WARN:.0%} of the answers unread ({langs}): unread "
                   "answers count as wrong, so accuracy and consistency are lower bounds (see samples.jsonl for the "
                   "texts; --extractor crossin+judge asks a judge about them)")
    cut = sum((block.get("cut_off") or {}).values())
    if cut:
        out.append(f"{cut} answers were cut off inside the model's thinking before it answered: raise "
                   "--max-new-tokens (they count as unread)")
    return out


def disagreements(items: list[Item], a: list[Reading], b: list[Reading]) -> list[tuple[Item, Reading, Reading]]:
    """The items two extractors read differently."""
    return [(it, x, y) for it, x, y in zip(items, a, b) if x.choice != y.choice]
