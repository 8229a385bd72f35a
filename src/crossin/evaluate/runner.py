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

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..benchmarks import MCQ, Benchmark, load_benchmark
from ..config import check_fields, config_to_dict
from ..errors import CrossinError
from ..extract import extract_choice
from ..io import RESULTS_FILE, package_versions, remove_stale_tmp, samples_file, write_json, write_jsonl
from ..langs import parse_langs
from ..metrics import UNPARSED
from ..prompts import MCQ_TEMPLATES, PROMPT_FORMATS, format_cloze, format_instruction, format_mcq, mcq_instruction
from .backends import LETTER_VARIANTS, HFBackend, OpenAIBackend
from .cache import EvalCache, request_key
from .config import MODES, EvalConfig

OPENAI_PREFIX = "openai:"


@dataclass(frozen=True)
class Request:
    set_id: str
    lang: str
    rotation: int
    prompt: str
    options: tuple[str, ...]  # option texts in the (rotated) order shown to the model


def rotate(item: MCQ, rotation: int) -> MCQ:
    """Rotated option j is original option (j + rotation) mod n."""
    n = len(item.choices)
    r = rotation % n
    return dataclasses.replace(item, choices=item.choices[r:] + item.choices[:r], gold=(item.gold - r) % n)


def unrotate_scores(scores: list[float], rotation: int) -> list[float]:
    n = len(scores)
    original = [0.0] * n
    for j, value in enumerate(scores):
        original[(j + rotation) % n] = value
    return original


def build_prompt(item: MCQ, mode: str, *, template: int = 1, prompt_format: str = "alpaca", tokenizer=None) -> str:
    if mode == "cloze":
        return format_cloze(item.question, item.context, fmt=prompt_format, tokenizer=tokenizer)
    return format_mcq(item.question, item.choices, item.context, template=template, fmt=prompt_format, tokenizer=tokenizer)


def build_requests(bench: Benchmark, mode: str, *, template: int = 1, prompt_format: str = "alpaca", tokenizer=None,
                   rotations: Callable[[int], list[int]] = lambda n: [0], api: bool = False) -> list[Request]:
    requests = []
    for pset in bench.sets:
        for rotation in rotations(pset.n_choices):
            for lang in bench.langs:
                item = rotate(pset.items[lang], rotation)
                if api and prompt_format == "chat":
                    # The server applies its own chat template: send the bare instruction.
                    prompt = format_instruction(mcq_instruction(item.question, item.choices, template),
                                                item.context or "", fmt="plain")
                else:
                    prompt = build_prompt(item, mode, template=template, prompt_format=prompt_format, tokenizer=tokenizer)
                requests.append(Request(pset.id, lang, rotation, prompt, item.choices))
    return requests


def mode_settings(mode: str, max_new_tokens: int) -> dict:
    """Everything besides model and prompt that changes a request's result (part of the cache key)."""
    if mode == "loglik":
        return {"letters": list(LETTER_VARIANTS), "logits": "last"}
    if mode == "cloze":
        return {"norm": "chars", "sep": "lm-eval", "v": 1}
    return {"decoding": "greedy", "max_new_tokens": max_new_tokens}


@dataclass
class RunStats:
    hits: int = 0
    computed: int = 0
    batches: int = 0


def execute(requests: list[Request], mode: str, backend, *, batch_size: int = 8, max_new_tokens: int = 48,
            cache: EvalCache | None = None, model_id: dict | None = None, progress: bool = False, desc: str = "",
            on_batch: Callable[[int], None] | None = None, stats: RunStats | None = None) -> list:
    """Each request's value (option scores, or generated text), from the cache where possible.

    Every computed batch is written to the cache before the next starts, so an interrupted run resumes.
    """
    if batch_size < 1:
        raise CrossinError(f"batch size must be at least 1, got {batch_size}")
    stats = stats if stats is not None else RunStats()
    settings = mode_settings(mode, max_new_tokens)
    use_cache = cache is not None and model_id is not None
    keys = [request_key(model_id or {}, mode, settings, r.prompt, list(r.options) if mode != "loglik" else len(r.options))
            for r in requests]
    known = cache.get_many(keys) if use_cache else {}
    todo_keys = [k for k in dict.fromkeys(keys) if k not in known]
    stats.hits += len(keys) - sum(1 for k in keys if k not in known)
    first = {}
    for k, r in zip(keys, requests):
        first.setdefault(k, r)
    if todo_keys and mode != "generate" and hasattr(backend, "prepare"):
        backend.prepare([first[k].prompt for k in todo_keys])
    # Longest prompts first: similar lengths share a batch (less padding), and memory peaks early.
    length = getattr(backend, "token_length", None) if todo_keys else None
    sizes = {k: (length(first[k].prompt) if length else len(first[k].prompt)) for k in todo_keys}
    todo_keys.sort(key=lambda k: -sizes[k])
    values = dict(known)
    from tqdm import tqdm

    with tqdm(total=len(keys), initial=len(keys) - len(todo_keys), unit="item", desc=desc, disable=not progress,
              dynamic_ncols=True, leave=False) as bar:
        for start in range(0, len(todo_keys), batch_size):
            batch_keys = todo_keys[start:start + batch_size]
            batch = [first[k] for k in batch_keys]
            prompts = [r.prompt for r in batch]
            if mode == "loglik":
                out = backend.loglik(prompts, [len(r.options) for r in batch])
            elif mode == "cloze":
                out = backend.cloze(prompts, [list(r.options) for r in batch])
            else:
                out = backend.generate(prompts, max_new_tokens)
            computed = dict(zip(batch_keys, out))
            if use_cache:
                cache.put_many(computed)
            values.update(computed)
            stats.computed += len(batch)
            stats.batches += 1
            bar.update(len(batch))
            if on_batch is not None:
                on_batch(stats.batches)
    return [values[k] for k in keys]


def score_options(model, tokenizer, bench: Benchmark, *, mode: str = "loglik", batch_size: int = 8, template: int = 1,
                  prompt_format: str = "alpaca", rotation: int = 0, cache: EvalCache | None = None,
                  model_id: dict | None = None, progress: bool = False) -> dict[tuple[str, str], list[float]]:
    """{(set_id, lang): option scores in the benchmark's option order} for an in-memory HF model.

    loglik: log P(option letter) after the prompt; cloze: log-likelihood of the option text / its length in
    characters. Higher is better; the prediction is the argmax. Cached only when both cache and model_id are given.
    """
    if mode not in ("loglik", "cloze"):
        raise CrossinError(f"score_options supports loglik and cloze, not {mode!r}")
    requests = build_requests(bench, mode, template=template, prompt_format=prompt_format, tokenizer=tokenizer,
                              rotations=lambda n: [rotation % n])
    values = execute(requests, mode, HFBackend(model=model, tokenizer=tokenizer), batch_size=batch_size, cache=cache,
                     model_id=model_id, progress=progress, desc=f"{bench.name} {mode}")
    return {(r.set_id, r.lang): unrotate_scores(v, r.rotation) for r, v in zip(requests, values)}


def _argmax(scores: list[float]) -> int:
    return max(range(len(scores)), key=lambda i: (scores[i], -i))


def _validate(config: EvalConfig) -> None:
    # The wording tests/test_eval.py expects; every other constraint is declared on EvalConfig's fields.
    if config.mode not in MODES:
        raise CrossinError(f"unknown mode {config.mode!r}; choose from {', '.join(MODES)}")
    if config.prompt_format not in PROMPT_FORMATS:
        raise CrossinError(f"unknown prompt format {config.prompt_format!r}; choose from {', '.join(PROMPT_FORMATS)}")
    if config.template not in MCQ_TEMPLATES:
        raise CrossinError(f"unknown template {config.template}; choose from {', '.join(map(str, MCQ_TEMPLATES))}")
    if isinstance(config.batch_size, int) and config.batch_size < 1:
        raise CrossinError(f"--batch-size must be at least 1, got {config.batch_size}")
    check_fields(config)  # the declared constraints, for configs made in code too
    if not config.bench:
        raise CrossinError("no benchmark given (--bench)")
    if config.bench_file and len(config.bench) > 1:
        raise CrossinError("--bench-file works with one benchmark at a time")
    if config.model.startswith(OPENAI_PREFIX):
        if config.mode != "generate":
            raise CrossinError(f"an OpenAI-compatible model only supports --mode generate (got {config.mode})")
        if not config.base_url:
            raise CrossinError("--model openai:NAME needs --base-url (e.g. http://localhost:8000/v1)")
        if config.adapter:
            raise CrossinError("--adapter is for local models; serve the adapter with the OpenAI-compatible server instead")


def run_eval(config: EvalConfig, *, model=None, tokenizer=None, model_id: dict | None = None, progress: bool = True,
             on_batch: Callable[[int], None] | None = None) -> dict[str, dict]:
    """Run every benchmark of `config`; write <out>/<bench>/results.json and samples_<bench>.jsonl when config.out is set.

    `model`/`tokenizer`: evaluate an in-memory model instead of loading config.model (cached only when `model_id`
    identifies it). `on_batch(n)` is called after each computed batch (progress hooks; tests interrupt with it).
    """
    _validate(config)
    if config.out:
        remove_stale_tmp(config.out)  # temp files of a killed eval (its finished files are kept and reused)
    if config.threads:
        import torch

        torch.set_num_threads(config.threads)
    langs = parse_langs(config.langs)
    api = config.model.startswith(OPENAI_PREFIX)
    prompt_tokenizer = tokenizer
    if api:
        backend = OpenAIBackend(config.base_url, config.model[len(OPENAI_PREFIX):], concurrency=config.batch_size,
                                seed=config.seed)
        model_id = {"backend": "openai", "base_url": config.base_url.rstrip("/"), "model": config.model[len(OPENAI_PREFIX):]}
    elif model is not None:
        backend = HFBackend(model=model, tokenizer=tokenizer)
    else:
        from ..models.hf import load_model_and_tokenizer, load_tokenizer, model_identity

        backend = HFBackend(loader=lambda: load_model_and_tokenizer(config.model, config.adapter, device=config.device,
                                                                    dtype=config.dtype))
        model_id = model_identity(config.model, config.adapter, device=config.device, dtype=config.dtype)
        if config.prompt_format == "chat":
            prompt_tokenizer = load_tokenizer(config.model)
    cache = None
    if not config.no_cache and model_id is not None:
        from ..models.embedded import cache_root

        cache = EvalCache(config.cache_dir or cache_root() / "eval_cache")
    all_results: dict[str, dict] = {}
    try:
        for name in config.bench:
            results = _run_one(config, name, langs, backend, cache, model_id, prompt_tokenizer, api, progress, on_batch)
            all_results[results["inputs"]["benchmark"]] = results  # the registered name, as in the output folder
    finally:
        if cache is not None:
            cache.close()
    return all_results


def _run_one(config: EvalConfig, name: str, langs, backend, cache, model_id, tokenizer, api, progress, on_batch) -> dict:
    from ..score import score

    started = time.perf_counter()
    bench = load_benchmark(name, langs, data_dir=config.data_dir, limit=config.limit, path=config.bench_file)
    # Cloze scores each option on its own after a prompt that does not list them: the order cannot matter, so
    # rotating would only recompute the same numbers.
    circular = config.circular and config.mode != "cloze"
    rotations = (lambda n: list(range(n))) if circular else (lambda n: [0])
    try:
        requests = build_requests(bench, config.mode, template=config.template, prompt_format=config.prompt_format,
                                  tokenizer=tokenizer, rotations=rotations, api=api)
    except ValueError as e:  # e.g. --prompt-format chat with a tokenizer that has no chat template
        raise CrossinError(f"{config.model}: {e}") from None
    stats = RunStats()
    values = execute(requests, config.mode, backend, batch_size=config.batch_size, max_new_tokens=config.max_new_tokens,
                     cache=cache, model_id=model_id, progress=progress, desc=f"{bench.name} {config.mode}",
                     on_batch=on_batch, stats=stats)

    import numpy as np

    per_item: dict[tuple[str, str], list[dict]] = {}
    prompts: dict[tuple[str, str], str] = {}
    for r, value in zip(requests, values):
        entry: dict = {"rotation": r.rotation}
        if config.mode == "generate":
            picked = extract_choice(value, r.options)
            entry["output"] = value
            entry["choice"] = None if picked is None else (picked + r.rotation) % len(r.options)
        else:
            original = unrotate_scores(value, r.rotation)
            entry["option_scores"] = original
            entry["choice"] = _argmax(original)
        per_item.setdefault((r.set_id, r.lang), []).append(entry)
        prompts.setdefault((r.set_id, r.lang), r.prompt)

    pred = np.full((len(bench.sets), len(bench.langs)), UNPARSED, dtype=np.int64)
    samples = []
    for i, pset in enumerate(bench.sets):
        for j, lang in enumerate(bench.langs):
            entries = per_item[(pset.id, lang)]
            choices = {e["choice"] for e in entries}
            choice = entries[0]["choice"] if len(choices) == 1 else None
            if choice is not None:
                pred[i, j] = choice
            sample: dict = {"id": pset.id, "lang": lang, "prompt": prompts[(pset.id, lang)]}
            if config.mode == "generate":
                sample["output"] = entries[0]["output"]
                sample["prediction"] = entries[0]["output"] if not circular else None
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

    model_name = config.model
    extra = {"model": model_name, "adapter": config.adapter, "mode": config.mode, "circular": circular,
             "template": config.template, "prompt_format": config.prompt_format}
    results = score(bench, pred, seed=config.seed, n_boot=config.n_boot, extra_inputs=extra)
    results.update(extra)
    results["seed"] = config.seed
    results["versions"] = {**results["versions"], **package_versions("torch", "transformers", "peft")}
    results["wall_time_s"] = round(time.perf_counter() - started, 3)
    results["requests"] = {"total": len(requests), "cache_hits": stats.hits, "computed": stats.computed}
    results["config"] = config_to_dict(config)
    if model_id is not None:
        results["model_identity"] = model_id
    if config.out:
        folder = Path(config.out) / bench.name
        write_jsonl(folder / samples_file(bench.name), samples)
        write_json(folder / RESULTS_FILE, results)
    return results
