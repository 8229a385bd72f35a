"""`crossin data pairs`: preference data from a model's own cross-lingual disagreements.

The model answers a parallel multiple-choice *training* pool through crossin's evaluation engine (the prompts,
option scores and cache of `crossin eval`); each question's answers in the languages are a vote:
- CALM (Wang et al., NAACL Findings 2025, `wangym2/CALM` utils/votingfunc.py): the majority answer is "chosen"
  and, in every language whose answer differs, that language's answer "rejected" (prompt in that language); a
  tied vote gives no pair (CALM's `get_voting_count` drops ties). Rows for `crossin train --method dpo`.
- DCO (Liu, Qi et al., 2026): one record per disagreeing language L: the question in a language P that gave the
  leading answer (prompt_1) and in L (prompt_2), with the leading and L's answer as chosen/rejected in both. The
  leader is the majority answer, or on a tie the tied answer of the first language in the pool's order (DCO's
  loss is symmetric in the two answers, so a tie still gives a record: it works with two languages). Rows for
  `crossin train --method dco`.
Completions are what evaluation scores: the option letter (loglik) or the option text (cloze) after the prompt.

Questions also in a test benchmark (`exclude`: Cross-MMLU, Global-MMLU test, MMLU-ProX test, Belebele test by
default) are removed first, by normalised question text in any language; the manifest counts them per benchmark
and says which test sets could not be loaded (and so were not checked).
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from ..config import arg, check_fields, config_to_dict
from ..errors import CrossinError
from ..langs import PAPER_LANGS
from ..evaluate.scoring import CLOZE_NORMS
from ..prompts import PROMPT_FORMATS

TEST_BENCHMARKS = ["cross-mmlu", "global-mmlu", "mmlu-prox", "belebele"]
POOLS = ("global-mmlu-dev",)  # registered training pools (crossin.benchmarks.multilingual)
# Registered benchmarks that are test sets: never a training pool themselves (a pool comes in as --bench-file).
NOT_A_POOL = ("cross-mmlu", "cross-logiqa", "cross-xquad", "cross-xquad-built", "global-mmlu", "global-mmlu-lite",
              "mmlu-prox", "mmlu-prox-lite", "belebele", "mmmlu", "x-csqa")


@dataclass
class PairsConfig:
    model: str = arg("gemma-3-270m", help="The model whose disagreements are turned into pairs (as for `crossin eval`).")
    adapter: str | None = arg(None, help="PEFT LoRA adapter folder loaded on top of the model.")
    pool: str = arg("", help=f"The training pool: a SeaEval-format parallel JSONL (as `crossin eval --bench-file` "
                             f"reads), or a registered pool ({', '.join(POOLS)}: a local copy under --data-dir, "
                             "else the Hub).")
    langs: list[str] = arg(list(PAPER_LANGS), help="Languages that vote (comma-separated).")
    mode: str = arg("loglik", choices=("loglik", "cloze"), help="How the model answers: loglik (option letter) or "
                                                                "cloze (option text); the pairs' completions follow it.")
    cloze_norm: str = arg("none", choices=CLOZE_NORMS, help="cloze: the option score that votes; none (the summed "
                                                            "log-probability) is the quantity DPO and DCO train.")
    template: str = arg("1", help="Prompt template (as `crossin eval --template`, one template).")
    prompt_format: str = arg("alpaca", choices=PROMPT_FORMATS, help="Prompt format shared with training and eval.")
    limit: int | None = arg(None, min=1, help="Use only the first N questions of the pool (after decontamination).")
    exclude: list[str] = arg(list(TEST_BENCHMARKS), help="Test benchmarks whose questions are removed from the pool "
                                                         "(normalised text, any language).")
    data_dir: str | None = arg(None, help="Where the test benchmarks (and a registered pool) are read from "
                                          "(default: $CROSSIN_DATA_DIR, else the Hub).")
    batch_size: int | str = arg("auto", min=1, choices=("auto",), help="Questions per forward pass, or auto.")
    device: str | None = arg(None, pattern=r"cpu|mps|cuda(:\d+)?|xpu(:\d+)?", help="cpu, cuda, ... (default: cuda when present).")
    seed: int = arg(0, min=0, max=2**32 - 1, help="Seed of the DCO partner language drawn among the leader's voters.")
    out: str = arg("", help="Output folder: calm.jsonl, dco.jsonl, votes.jsonl, manifest.json (written last).")

    def validate(self) -> None:
        check_fields(self)
        if not self.pool:
            raise CrossinError("no training pool given (--pool FILE)")
        if not self.out:
            raise CrossinError("no output folder given (--out)")
        if len(self.langs) < 2:
            raise CrossinError("--langs: pairs need at least two languages")
        unknown = sorted(set(self.exclude) - set(NOT_A_POOL))
        if unknown:
            raise CrossinError(f"--exclude: {', '.join(unknown)} is not a test benchmark ({', '.join(NOT_A_POOL)})")


def normalise(text: str) -> str:
    """Question text for matching across copies: NFKC, case-folded, letters and digits only."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return re.sub(r"[\W_]+", "", text)


def decontaminate(sets: list, langs, exclude: list[str], data_dir) -> tuple[list, dict]:
    """(the pool's sets without those whose question, in any language, is also in an excluded test benchmark;
    {benchmark: {"removed": n} or {"unavailable": why}})."""
    from ..benchmarks import load_benchmark

    report: dict[str, dict] = {}
    keep = list(sets)
    for name in exclude:
        try:
            test = load_benchmark(name, list(langs), data_dir=data_dir)
        except CrossinError as e:
            report[name] = {"unavailable": str(e).splitlines()[0][:300]}
            continue
        seen = {normalise(item.question) for s in test.sets for item in s.items.values()}
        before = len(keep)
        keep = [s for s in keep if not any(normalise(item.question) in seen for item in s.items.values())]
        report[name] = {"removed": before - len(keep), "source": test.source, "sets": len(test.sets)}
    return keep, report


def vote(answers: dict[str, int | None], langs) -> dict:
    """{"counts": {option: votes}, "leader": option or None, "majority": a unique plurality}; None answers abstain."""
    counts = Counter(a for a in answers.values() if a is not None)
    if not counts:
        return {"counts": {}, "leader": None, "majority": False}
    top = max(counts.values())
    tied = [o for o, n in counts.items() if n == top]
    if len(tied) == 1:
        return {"counts": dict(counts), "leader": tied[0], "majority": True}
    first = next(answers[lang] for lang in langs if answers.get(lang) in tied)
    return {"counts": dict(counts), "leader": first, "majority": False}


def build_pairs(set_id: str, answers: dict[str, int | None], prompts: dict[str, str], completions: dict[str, list[str]],
                langs, rng: random.Random, gold: int | None = None) -> tuple[list[dict], list[dict], dict]:
    """(CALM rows, DCO records, the vote) for one question. `completions[lang][k]`: option k's completion text."""
    v = vote(answers, langs)
    record = {"id": set_id, "answers": {lang: answers.get(lang) for lang in langs}, **v, "gold": gold}
    leader = v["leader"]
    if leader is None or len(v["counts"]) < 2:
        return [], [], record
    voters = [lang for lang in langs if answers.get(lang) == leader]
    calm, dco = [], []
    for lang in langs:
        own = answers.get(lang)
        if own is None or own == leader:
            continue
        meta = {"id": set_id, "chosen_index": leader, "rejected_index": own, "vote": record["answers"],
                "majority": v["majority"], "gold": gold}
        if v["majority"]:
            calm.append({"prompt": prompts[lang], "chosen": completions[lang][leader],
                         "rejected": completions[lang][own], "lang": lang, **meta})
        partner = rng.choice(voters)
        dco.append({"prompt_1": prompts[partner], "chosen_1": completions[partner][leader],
                    "rejected_1": completions[partner][own], "prompt_2": prompts[lang],
                    "chosen_2": completions[lang][leader], "rejected_2": completions[lang][own],
                    "lang_1": partner, "lang_2": lang, **meta})
    return calm, dco, record


def answer_pool(cfg: PairsConfig, bench) -> tuple[dict, dict]:
    """({(set_id, lang): the chosen option}, {(set_id, lang): prompt}) through crossin's evaluation engine."""
    from ..benchmarks import best_option
    from ..evaluate.backend import is_cacheable, make_backend
    from ..evaluate.cache import EvalCache
    from ..evaluate.config import EvalConfig
    from ..evaluate.requests import build_requests
    from ..evaluate.runner import execute
    from ..io import eval_cache_dir

    ecfg = EvalConfig(model=cfg.model, adapter=cfg.adapter, langs=list(cfg.langs), mode=cfg.mode, cloze_norm=cfg.cloze_norm,
                      template=cfg.template, prompt_format=cfg.prompt_format, batch_size=cfg.batch_size,
                      device=cfg.device, seed=cfg.seed, out=None)
    ecfg.validate()
    backend = make_backend(ecfg)
    tokenizer = None
    if cfg.prompt_format == "chat":
        from ..models.hf import load_tokenizer

        tokenizer = load_tokenizer(cfg.model)
    requests = build_requests(bench, cfg.mode, template=cfg.template, prompt_format=cfg.prompt_format,
                              tokenizer=tokenizer)
    cache = EvalCache(eval_cache_dir()) if is_cacheable(backend) else None
    try:
        values = execute(requests, cfg.mode, backend, cache=cache, desc="pool", cloze_norm=cfg.cloze_norm)
    finally:
        if cache is not None:
            cache.close()
    choices = {(r.set_id, r.lang): best_option(v) for r, v in zip(requests, values)}
    prompts = {(r.set_id, r.lang): r.prompt for r in requests}
    return choices, prompts


def make_pairs(cfg: PairsConfig, log=print) -> Path:
    """Decontaminate the pool, let the model answer it, write the pairs; returns the output folder."""
    from ..benchmarks import LETTERS
    from ..benchmarks.base import parse_rows
    from ..evaluate.scoring import cloze_continuation
    from ..io import check_input_file, check_output_dir, iter_jsonl, sha256_file, write_json, write_jsonl
    from ..langs import parse_langs

    cfg.validate()
    out = check_output_dir(cfg.out, "--out")
    if (out / "manifest.json").exists():
        raise CrossinError("the output folder already holds pairs; choose another --out", path=str(out))
    langs = parse_langs(cfg.langs)
    if cfg.pool in POOLS:
        from ..benchmarks import load_benchmark

        loaded = load_benchmark(cfg.pool, list(langs), data_dir=cfg.data_dir)
        sets, pool_source, pool_sha = loaded.sets, loaded.source, loaded.sha256
    else:
        pool_file = check_input_file(cfg.pool, "--pool")
        sets = parse_rows(iter_jsonl(pool_file), langs, path=str(pool_file))
        pool_source, pool_sha = str(pool_file), sha256_file(pool_file)
    kept, removed = decontaminate(sets, langs, cfg.exclude, cfg.data_dir)
    for name, what in removed.items():
        log(f"{name}: " + (f"{what['removed']} pool questions removed" if "removed" in what
                           else f"not checked ({what['unavailable']})"))
    if cfg.limit is not None:
        kept = kept[:cfg.limit]
    if not kept:
        raise CrossinError("no pool question is left after decontamination", path=pool_source)
    from ..benchmarks import Benchmark

    bench = Benchmark(name="pool", langs=langs, sets=kept, source=pool_source)
    choices, prompts = answer_pool(cfg, bench)
    rng = random.Random(cfg.seed)
    calm, dco, votes = [], [], []
    for pset in kept:
        p = {lang: prompts[(pset.id, lang)] for lang in langs}
        completions = {lang: [cloze_continuation(p[lang], LETTERS[k] if cfg.mode == "loglik" else option)
                              for k, option in enumerate(pset.items[lang].choices)] for lang in langs}
        c, d, v = build_pairs(pset.id, {lang: choices[(pset.id, lang)] for lang in langs}, p, completions, langs,
                              rng, gold=pset.gold)
        calm += c
        dco += d
        votes.append(v)
    out.mkdir(parents=True, exist_ok=True)
    write_jsonl(out / "calm.jsonl", calm)
    write_jsonl(out / "dco.jsonl", dco)
    write_jsonl(out / "votes.jsonl", votes)
    counts = {"pool_questions": len(sets), "questions": len(kept), "calm_pairs": len(calm), "dco_records": len(dco),
              "unanimous": sum(len(v["counts"]) == 1 for v in votes),
              "majority_disagreements": sum(len(v["counts"]) > 1 and v["majority"] for v in votes),
              "tied_disagreements": sum(len(v["counts"]) > 1 and not v["majority"] for v in votes)}
    write_json(out / "manifest.json", {"config": config_to_dict(cfg), "pool_source": pool_source, "pool_sha256": pool_sha,
                                       "decontamination": removed, "counts": counts})
    log(f"{counts['questions']} questions: {counts['calm_pairs']} CALM pairs, {counts['dco_records']} DCO records "
        f"-> {out}")
    return out
