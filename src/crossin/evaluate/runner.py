"""Evaluation runner: benchmark items -> prompts -> cached model requests -> predictions -> results.json.

Python API (stable; used by `crossin train` and `crossin experiment`):
- `run_eval(config) -> {bench: results}`: what `crossin eval` does, files included.
- `score_options(model, tokenizer, bench, mode=..., batch_size=...) -> {(set_id, lang): [score per option]}`:
  the raw option scores of an in-memory model, in the benchmark's option order.

Circular evaluation: every set is asked once per cyclic rotation r of its options (rotated option j is original
option (j + r) mod n; the same rotation in every language). Each rotation's answer is mapped back to the original
index; a (set, language) counts as that option only when all rotations agree, otherwise it is unparsed (-1), so it
is neither correct nor consistent with anything. Cloze mode never shows the options, so their order cannot
matter and `circular` changes nothing there (no rotations are run).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ..benchmarks import Benchmark, best_option, load_benchmark
from ..config import config_to_dict
from ..errors import CrossinError
from ..extraction import Item, extraction_block, read_items
from ..io import RESULTS_FILE, package_versions, remove_stale_tmp, samples_file, write_json, write_jsonl
from ..langs import parse_langs
from ..predictions import MatrixBuilder, option_score_matrix
from ..registry import Registry
from ..results import score
from .backend import OPENAI_PREFIX, Backend, GenerationKwargs, is_cacheable, make_backend
from .cache import CachingBackend, EvalCache, RunStats
from .config import EvalConfig, extractor_spec
from .protocols import protocol_block
from .scoring import letter_spellings, option_scores, question_requests, unrotate_scores
from .requests import Request, build_requests, load_eval_benchmark, templates_to_run
from .template_summary import summarize_templates, template_folder


def execute(requests: list[Request], mode: str, backend: Backend, *, max_new_tokens: int = 48,
            cache: EvalCache | None = None, progress: bool = False, desc: str = "",
            on_batch: Callable[[int], None] | None = None, stats: RunStats | None = None,
            cloze_norm: str = "chars", stop: tuple[str, ...] = ()) -> list:
    """Each request's value (option scores, or generated text), from the cache where possible.

    Questions become primitive requests (scoring.py's policy), the cached backend answers them, and the answers
    become option scores. Every computed batch is written to the cache before the next starts, so an interrupted
    run resumes.
    """
    from tqdm import tqdm

    stats = stats if stats is not None else RunStats()
    with tqdm(total=len(requests), unit="q", desc=desc, disable=not progress, dynamic_ncols=True, leave=False) as bar:
        done = [0]

        def report(s: RunStats) -> None:
            bar.update(s.hits + s.computed - done[0])
            done[0] = s.hits + s.computed
            if on_batch is not None:
                on_batch(s.batches)

        cached = CachingBackend(backend, cache, stats=stats, on_batch=report)
        if mode == "generate":
            kwargs = GenerationKwargs(max_gen_toks=max_new_tokens, until=tuple(stop))
            return cached.generate_until([(r.prompt, kwargs) for r in requests])
        per_question = [question_requests(r.prompt, r.options, mode, cloze_norm) for r in requests]
        flat = [pair for pairs in per_question for pair in pairs]
        owners = [q for q, pairs in enumerate(per_question) for _ in pairs]
        answers = cached.loglikelihood(flat, owners=owners)
        token_ids = None
        if mode == "loglik" and requests:  # which letter spellings are one token (merged by id, not by value)
            spellings = letter_spellings(max(len(r.options) for r in requests))
            ids = cached.continuation_ids(spellings)
            token_ids = dict(zip(spellings, map(tuple, ids))) if ids is not None else None
        out, k = [], 0
        for r, pairs in zip(requests, per_question):
            out.append(option_scores(r.prompt, r.options, mode, answers[k:k + len(pairs)], cloze_norm, token_ids))
            k += len(pairs)
        return out


def score_options(model, tokenizer, bench: Benchmark, *, mode: str = "loglik", batch_size: int | str = "auto", template: int = 1,
                  prompt_format: str = "alpaca", rotation: int = 0, cache: EvalCache | None = None,
                  model_id: dict | None = None, progress: bool = False,
                  cloze_norm: str = "chars") -> dict[tuple[str, str], list[float]]:
    """{(set_id, lang): option scores in the benchmark's option order} for an in-memory HF model.

    loglik: log P(option letter) after the prompt; cloze: log-likelihood of the option text, normalised by
    `cloze_norm` (default: its length in characters). Higher is better; the prediction is the argmax. Cached only when both cache and model_id are given.
    """
    if mode not in ("loglik", "cloze"):
        raise CrossinError(f"score_options supports loglik and cloze, not {mode!r}")
    requests = build_requests(bench, mode, template=template, prompt_format=prompt_format, tokenizer=tokenizer,
                              rotations=lambda n: [rotation % n])
    from .hf_backend import HFBackend

    backend = HFBackend(model=model, tokenizer=tokenizer, batch_size=batch_size, identity=model_id)
    values = execute(requests, mode, backend, cache=cache, progress=progress, desc=f"{bench.name} {mode}",
                     cloze_norm=cloze_norm)
    return {(r.set_id, r.lang): unrotate_scores(v, r.rotation) for r, v in zip(requests, values)}


# A block that a layer above evaluation adds to each benchmark's results (crossin.lmeval's `lm_eval`, the run in
# lm-eval's layout; evaluation does not import its interop): block(config, bench, samples, results, n_original=the
# benchmark's sets before --limit) -> the block.
ResultBlock = Callable[..., dict]
# Every results.json has these blocks, whichever entry point (the CLI, `run_eval` from Python, an experiment) wrote it:
# reached by name like the backends, so this module never imports the layer above.
RESULT_BLOCKS = Registry("results block", {"lm_eval": "crossin.lmeval.results:lm_eval_block"})


@dataclasses.dataclass(frozen=True)
class _Session:
    """What every benchmark (and template) of one run_eval call shares."""

    langs: tuple[str, ...]
    backend: Backend
    cache: EvalCache | None
    tokenizer: Any  # the tokenizer prompts are built with (chat templates), None when not needed
    api: bool
    progress: bool
    on_batch: Callable[[int], None] | None
    blocks: Mapping[str, ResultBlock]


def run_eval(config: EvalConfig, *, model=None, tokenizer=None, model_id: dict | None = None, progress: bool = True,
             on_batch: Callable[[int], None] | None = None,
             blocks: Mapping[str, ResultBlock] | None = None) -> dict[str, dict]:
    """Run every benchmark of `config`; write <out>/<bench>/results.json and samples_<bench>.jsonl when config.out is set.

    `model`/`tokenizer`: evaluate an in-memory model instead of loading config.model (cached only when `model_id`
    identifies it). `on_batch(n)` is called after each computed batch (progress hooks; tests interrupt with it).
    `blocks`: {key: ResultBlock} added to each results dict; default: every block of RESULT_BLOCKS (`lm_eval`), the
    same as `crossin eval` writes ({} leaves them out).
    """
    config.validate()
    if config.out:
        remove_stale_tmp(config.out)  # temp files of a killed eval (its finished files are kept and reused)
    with _torch_threads(config.threads):
        return _run_all(config, model, tokenizer, model_id, progress, on_batch, blocks)


@contextlib.contextmanager
def _torch_threads(threads: int | None):
    """torch's process-wide thread count set for one run and given back after it (the caller's setting stays)."""
    if not threads:
        yield
        return
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _run_all(config, model, tokenizer, model_id, progress, on_batch, blocks) -> dict[str, dict]:
    backend = make_backend(config, model=model, tokenizer=tokenizer, model_id=model_id)
    cache = None
    if not config.no_cache and is_cacheable(backend):
        from ..io import eval_cache_dir

        cache = EvalCache(config.cache_dir or eval_cache_dir())
    session = _Session(parse_langs(config.langs), backend, cache, _prompt_tokenizer(config, model, tokenizer),
                       config.model.startswith(OPENAI_PREFIX), progress, on_batch,
                       dict({name: RESULT_BLOCKS.get(name) for name in RESULT_BLOCKS} if blocks is None else blocks))
    try:
        return dict(_run_bench(config, name, session) for name in config.bench)
    finally:
        if cache is not None:
            cache.close()


def _prompt_tokenizer(config: EvalConfig, model, tokenizer):
    if not config.model.startswith(OPENAI_PREFIX) and model is None and config.prompt_format == "chat":
        from ..models.hf import load_tokenizer

        return load_tokenizer(config.model)
    return tokenizer


def _run_bench(config: EvalConfig, name: str, session: _Session) -> tuple[str, dict]:
    """(the registered name, as in the output folder; its results or, for --template all, their summary)."""
    templates = templates_to_run(config.template)
    if len(templates) == 1:
        results = _run_one(dataclasses.replace(config, template=templates[0]), name, session)
        return results["inputs"]["benchmark"], results
    # --template all: each template is a run of its own (own folder, own cache entries: the prompt differs).
    per_template = {t: _run_one(dataclasses.replace(config, template=t), name, session, subfolder=template_folder(t))
                    for t in templates}
    bench_name = next(iter(per_template.values()))["inputs"]["benchmark"]
    return bench_name, summarize_templates(per_template, out=config.out and Path(config.out) / bench_name)


def _run_one(config: EvalConfig, name: str, session: _Session, subfolder: str = "") -> dict:
    """One benchmark under one template: requests -> answers -> samples -> results (and files under config.out)."""
    started = time.perf_counter()
    bench, pool = load_eval_benchmark(config, name, session.langs,
                                      load=functools.partial(load_benchmark, subset=config.subset))
    # Cloze scores each option on its own after a prompt that does not list them: the order cannot matter, so
    # rotating would only recompute the same numbers.
    circular = config.circular and config.mode != "cloze"
    requests = _requests(config, bench, pool, session, circular)
    stats = RunStats()
    values = execute(requests, config.mode, session.backend, max_new_tokens=config.max_new_tokens,
                     cache=session.cache, progress=session.progress, desc=f"{bench.name} {config.mode}",
                     on_batch=session.on_batch, stats=stats, cloze_norm=config.cloze_norm)
    spec = extractor_spec(config)
    readings = []
    if config.mode == "generate":
        sets = bench.by_id()
        items = [Item(f"{r.set_id}:{r.lang}" + (f":r{r.rotation}" if r.rotation else ""), r.lang, v, tuple(r.options),
                      sets[r.set_id].items[r.lang].question) for r, v in zip(requests, values)]
        readings = read_items(spec, items, progress=session.progress)
    samples, matrix = _samples(config, bench, _answers(config, requests, values, readings), circular)
    results = _scored(config, bench, samples, matrix, circular)
    results["wall_time_s"] = round(time.perf_counter() - started, 3)
    results["requests"] = {"total": len(requests), "cache_hits": stats.hits, "computed": stats.computed}
    results["extraction"] = (extraction_block(spec, bench.langs, [(r.lang, x) for r, x in zip(requests, readings)])
                             if config.mode == "generate" else {"extractor": None, "note": f"{config.mode}: option scores"})
    results["config"] = config_to_dict(config)
    if config.protocol:
        results["protocol"] = protocol_block(config)
    for key, block in session.blocks.items():
        results[key] = block(config, bench, samples, results, n_original=len(pool))
    if session.backend.identity is not None:
        results["model_identity"] = session.backend.identity
    if getattr(session.backend, "server_report", None) is not None:
        results["servers"] = session.backend.server_report()
    if config.out:
        folder = Path(config.out) / bench.name / subfolder
        remove_stale_tmp(folder)  # a killed eval's temp files, in the folder this eval writes (nothing else)
        write_jsonl(folder / samples_file(bench.name), samples)
        write_json(folder / RESULTS_FILE, results)
    return results


def _requests(config: EvalConfig, bench: Benchmark, pool, session: _Session, circular: bool) -> list[Request]:
    rotations = (lambda n: list(range(n))) if circular else (lambda n: [0])
    try:
        return build_requests(bench, config.mode, template=config.template, prompt_format=config.prompt_format,
                              tokenizer=session.tokenizer, rotations=rotations, api=session.api,
                              prompt_lang=config.prompt_lang, num_fewshot=config.num_fewshot, fewshot_pool=pool,
                              seed=config.seed, system=config.system_prompt, multiturn=config.fewshot_as_multiturn)
    except ValueError as e:  # e.g. --prompt-format chat with a tokenizer that has no chat template
        raise CrossinError(f"{config.model}: {e}") from None


def _answers(config: EvalConfig, requests: list[Request], values: list, readings: list) -> tuple[dict, dict]:
    """({(set_id, lang): one entry per rotation: its option scores or output, and the original option it chose},
    {(set_id, lang): the first rotation's prompt})."""
    per_item: dict[tuple[str, str], list[dict]] = {}
    prompts: dict[tuple[str, str], str] = {}
    for k, (r, value) in enumerate(zip(requests, values)):
        entry: dict = {"rotation": r.rotation}
        if config.mode == "generate":
            picked = readings[k].choice
            entry["output"] = value
            entry["choice"] = None if picked is None else (picked + r.rotation) % len(r.options)
            entry["read_by"] = readings[k].rule  # which rule or path read it ("" when nothing was)
        else:
            original = unrotate_scores(value, r.rotation)
            entry["option_scores"] = original
            entry["choice"] = best_option(original)
        per_item.setdefault((r.set_id, r.lang), []).append(entry)
        prompts.setdefault((r.set_id, r.lang), r.prompt)
    return per_item, prompts


def _samples(config: EvalConfig, bench: Benchmark, answers: tuple[dict, dict],
             circular: bool) -> tuple[list[dict], MatrixBuilder]:
    """One sample per (set, language), in the benchmark's order, and the matrix of their choices."""
    per_item, prompts = answers
    matrix = MatrixBuilder(what="answer")
    samples = []
    for pset in bench.sets:
        for lang in bench.langs:
            entries = per_item[(pset.id, lang)]
            choices = {e["choice"] for e in entries}
            choice = entries[0]["choice"] if len(choices) == 1 else None
            matrix.add(pset.id, lang, choice)
            sample: dict = {"id": pset.id, "lang": lang, "prompt": prompts[(pset.id, lang)]}
            if config.mode == "generate":
                sample["output"] = entries[0]["output"]
                sample["prediction"] = entries[0]["output"] if not circular else None
                sample["read_by"] = entries[0]["read_by"] if not circular else None
            else:
                n = len(entries[0]["option_scores"])
                # Circular: the mean over rotations; each rotation's own scores are under "rotations".
                sample["option_scores"] = [sum(e["option_scores"][k] for e in entries) / len(entries) for k in range(n)]
                sample["prediction"] = None
            sample["choice"] = choice
            sample["gold"] = pset.gold
            if circular:
                sample["rotations"] = entries
            samples.append(sample)
    return samples, matrix


def _scored(config: EvalConfig, bench: Benchmark, samples: list[dict], matrix: MatrixBuilder, circular: bool) -> dict:
    """The metrics and what the run was: its settings, the answer-language check (generate), the versions."""
    extra = {"model": config.model, "adapter": config.adapter, "mode": config.mode, "circular": circular,
             "template": config.template, "prompt_format": config.prompt_format, "num_fewshot": config.num_fewshot,
             "prompt_lang": config.prompt_lang, "source": bench.meta.get("source"),
             "chat_protocol": {"chat_template": config.prompt_format == "chat", "system_prompt": config.system_prompt,
                               "fewshot_as_multiturn": config.fewshot_as_multiturn}}
    if config.mode == "cloze":
        extra["cloze_norm"] = config.cloze_norm
    pred = matrix.build([s.id for s in bench.sets], list(bench.langs), [s.gold for s in bench.sets]).pred
    scores = None if config.mode == "generate" else option_score_matrix(samples, bench)
    results = score(bench, pred, seed=config.seed, n_boot=config.n_boot, extra_inputs=extra, scores=scores)
    results.update(extra)
    if config.mode == "generate":
        from ..answer_lang import answer_language_of_samples

        results["answer_language"] = answer_language_of_samples(samples, bench.langs, config.think_end_token)
    results["seed"] = config.seed
    results["versions"] = {**results["versions"], **package_versions("torch", "transformers", "peft")}
    return results
