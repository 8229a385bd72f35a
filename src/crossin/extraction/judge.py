"""`--extractor judge`: an LLM on an OpenAI-compatible server reads each answer and names the option it chose.

SeaEval v2 reads answers with an LLM judge; this is that idea with a fixed prompt (`JUDGE_PROMPT`, recorded in
results.json with its sha256), greedy decoding, and replies cached in the eval request cache (sqlite, keyed by the
judge's identity, the settings and the prompt), so a rerun asks nothing. A reply that is not one option's letter
(or "none") is unparsed. Works with `crossin serve`, vLLM and any OpenAI-compatible server.
"""

from __future__ import annotations

import re

from ..errors import CrossinError
from ..extract import Reading
from ..io import sha256_text
from ..letters import LETTERS
from ..request_cache import EvalCache, Resolver, request_key
from ..threads import map_concurrent

JUDGE_VERSION = "1"
JUDGE_PROMPT = (
    "You are checking which option a model chose in its answer to a multiple-choice question. Do not solve the "
    "question yourself; only read the answer.\n\n"
    "Options:\n{options}\n\n"
    "Model's answer:\n<<<\n{output}\n>>>\n\n"
    "Which option did the answer choose? Reply with the option's letter only ({letters}). Reply NONE if it chose no "
    "option, several options, or refused."
)
SETTINGS = {"temperature": 0.0, "max_tokens": 8, "prompt_version": JUDGE_VERSION}
MAX_OUTPUT_CHARS = 6000  # what of a longer answer the judge sees (its start and its end)
CONCURRENCY = 8
_REPLY_RE = re.compile(r"\W{0,3}(?:option |answer:? )?\(?([A-J])\)?(?![A-Za-z0-9])\W{0,3}", re.IGNORECASE)


def check_base_url(url: str) -> None:
    if not re.fullmatch(r"https?://[^\s/:]+(?::\d{1,5})?(?:/\S*)?", url):
        raise CrossinError(f"--judge-base-url {url!r} is not an http(s) URL")
    port = re.match(r"https?://[^/]*:(\d+)", url)
    if port and not 0 < int(port.group(1)) < 65536:
        raise CrossinError(f"--judge-base-url {url!r}: port out of range")


def judge_prompt(output: str | None, choices) -> str:
    text = output or ""
    if len(text) > MAX_OUTPUT_CHARS:
        text = text[:MAX_OUTPUT_CHARS // 2] + "\n[...]\n" + text[-MAX_OUTPUT_CHARS // 2:]
    options = "\n".join(f"({LETTERS[i]}) {c}" for i, c in enumerate(choices))
    return JUDGE_PROMPT.format(options=options, output=text, letters=", ".join(LETTERS[:len(choices)]))


def parse_reply(reply: str, n_choices: int) -> int | None:
    """The option letter the judge replied with; anything else (NONE, prose, a letter out of range) is None."""
    m = _REPLY_RE.fullmatch(reply.strip())
    if not m:
        return None
    index = LETTERS.index(m.group(1).upper())
    return index if index < n_choices else None


def identity(spec) -> dict:
    from ..models.openai_api import redact_url

    return {"backend": "openai", "role": "judge", "base_url": redact_url(spec.judge_base_url.rstrip("/")),
            "model": spec.judge_model.removeprefix("openai:")}


def judge_description(spec) -> dict:
    return {**identity(spec), "prompt": JUDGE_PROMPT, "prompt_sha256": sha256_text(JUDGE_PROMPT), "settings": SETTINGS}


def judge_items(spec, items, *, progress: bool = False) -> list[Reading]:
    """Ask the judge about every item whose reply is not cached yet (each reply stored as it arrives); read every
    reply."""
    from ..io import eval_cache_dir
    from ..models.openai_api import chat_completion

    ident = identity(spec)
    asked = [it for it in items if it.output and it.output.strip()]  # an empty answer chose nothing: not asked
    if len(asked) < len(items):
        readings = iter(judge_items(spec, asked, progress=progress)) if asked else iter(())
        return [next(readings) if it.output and it.output.strip() else Reading(None, rule="judge") for it in items]
    prompts = [judge_prompt(it.output, it.choices) for it in items]

    def ask(prompt: str) -> str:
        return chat_completion(spec.judge_base_url, ident["model"], [{"role": "user", "content": prompt}],
                               temperature=SETTINGS["temperature"], max_tokens=SETTINGS["max_tokens"], seed=0)

    def compute(indices: list[int], commit) -> None:
        map_concurrent(ask, [prompts[i] for i in indices], workers=CONCURRENCY,
                       on_result=lambda j, reply: commit([j], [reply]),
                       progress={"desc": "judge", "unit": "answer", "disable": not progress, "leave": False})

    cache = None if spec.no_cache else EvalCache(spec.cache_dir or eval_cache_dir())
    try:
        keys = [request_key(ident, "judge", SETTINGS, p) for p in prompts]
        replies = Resolver(cache, valid=lambda v: isinstance(v, str))(keys, compute)
    finally:
        if cache is not None:
            cache.close()
    return [Reading(parse_reply(reply, len(it.choices)), rule="judge") for reply, it in zip(replies, items)]
