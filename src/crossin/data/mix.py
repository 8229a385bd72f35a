"""The CrossIn mix (the paper's Algorithm 1): base English set + N recipe samples + M translation samples, shuffled.

Output folder:
- `train.jsonl`: alpaca rows `instruction, input, output, source_id, recipe, instruction_lang, input_lang, output_lang`;
- `messages.jsonl`: the same rows as a user/assistant chat (`messages`) plus the same metadata;
- `manifest.json`: seed, config, counts per recipe and language pair, sources with sha256, filters and drops;
- `dropped.jsonl`: every (source id, language) the validation dropped, with the reason.

Nothing in the folder depends on the time or the output path, so the same config and seed give byte-identical files.
CrossIn samples may reuse the base set's source ids (the paper draws them from the same Alpaca it trains on);
`exclude_base_ids` forbids that. Rows sharing a source id are spread evenly through the file (see `spread_order`).
"""

from __future__ import annotations

import json
import random
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from .. import __version__ as crossin_version
from ..config import config_to_dict
from ..errors import CrossinError
from ..io import (atomic_write_text, check_output_dir, iter_jsonl, package_versions, parse_json,
                  read_text, remove_stale_tmp, sha256_file, sha256_text, write_json)
from ..langs import parse_langs
from ..schemas import MANIFEST, MIX_ROW, check_record
from ..prompts import user_content
from ..recipe_names import BASE, NONE, TRANSLATION
from .config import DataConfig
from .corpus import ParallelCorpus, dataset_rows, find_lang_file, load_parallel, read_samples
from .recipes import crossin_row, deal_pairs, draw_sources, recipe_pairs, translation_pairs, translation_row

MANIFEST_FORMAT = "crossin-mix/1"
ROW_KEYS = ("instruction", "input", "output", "source_id", "recipe", "instruction_lang", "input_lang", "output_lang")


def _rng(seed: int, purpose: str) -> random.Random:
    # One independent, version-stable stream per purpose (str seeds hash with sha512), so e.g. changing the
    # translation count does not change which CrossIn samples are drawn.
    return random.Random(f"crossin:{seed}:{purpose}")


def _corpus_args(config: DataConfig) -> dict:
    config.expand_paths()
    return dict(spec=config.parallel, langs=parse_langs(config.langs, default=()) if config.langs else None,
                id_prefix=config.id_prefix, hf_split=config.hf_split, langid=config.langid,
                langid_chars=config.langid_chars, high_accuracy=config.langid_high_accuracy,
                min_score=config.min_score, score_files=config.score_files)


def load_corpus(config: DataConfig) -> ParallelCorpus:
    """The validated parallel corpus of a config (reusable across builds that share corpus settings)."""
    return load_parallel(**_corpus_args(config))


def corpus_key(config: DataConfig) -> str:
    """Equal for configs whose load_corpus results are equal (derived from the same arguments)."""
    return repr(sorted(_corpus_args(config).items()))


# ---------------------------------------------------------------------------------------------------------------- base

def _base_file(spec: str) -> Path:
    path = Path(spec)
    if path.is_file():
        return path
    if not path.is_dir():
        raise CrossinError("base set not found", path=spec)
    found = find_lang_file(path, "en")
    if found:
        return found
    candidates = sorted(p for p in path.iterdir() if p.suffix in (".json", ".jsonl") and p.is_file())
    if len(candidates) != 1:
        raise CrossinError("base folder needs en.jsonl / alpaca_en.json or exactly one .json/.jsonl file", path=spec)
    return candidates[0]


def _load_hf_base(name: str, split: str) -> tuple[list[str], list[tuple[str, str, str]], dict]:
    from datasets import load_dataset

    ds = load_dataset(name, split=split)
    ids, texts = dataset_rows(ds, name, where=f"hf:{name}")
    return ids, texts, {"role": "base", "path": f"hf:{name}", "split": split, "n": len(ids),
                        "fingerprint": getattr(ds, "_fingerprint", None)}


def load_base(config: DataConfig, corpus: ParallelCorpus | None) -> tuple[list[dict], dict]:
    """Base rows (all, or base_n at random) and their report. Empty instructions/outputs are dropped; there is
    no language check: the base set is the user's English training set as it is (Alpaca has, e.g., tasks whose
    answer is French)."""
    if config.base == "none":
        return [], {"source": "none", "n": 0}
    if config.base == "":
        if corpus is None or "en" not in corpus.texts:
            raise CrossinError("the parallel corpus has no English side to use as base; pass --base DIR or --base none",
                               path=config.parallel or "config")
        pairs = [(sid, t) for sid, t in zip(corpus.ids, corpus.texts["en"]) if t is not None]
        info = next(({**s, "role": "base"} for s in corpus.sources if s["lang"] == "en"), {"role": "base"})
    elif config.base.startswith("hf:"):
        ids, texts, info = _load_hf_base(config.base[3:], config.hf_split)
        pairs = list(zip(ids, texts))
    else:
        src = read_samples(_base_file(config.base), "en", config.id_prefix)
        pairs = list(zip(src.ids, src.texts))
        info = {**src.info, "role": "base"}
    kept = [(sid, t) for sid, t in pairs if t[0].strip() and t[2].strip()]
    report = {"source": info.get("path"), "n_source": len(pairs), "dropped_empty": len(pairs) - len(kept)}
    if config.base_n >= 0:
        if config.base_n > len(kept):
            raise CrossinError(f"base_n={config.base_n} but the base set has only {len(kept)} usable samples",
                               path=str(info.get("path")))
        chosen = sorted(_rng(config.seed, "base").sample(range(len(kept)), config.base_n))
        kept = [kept[i] for i in chosen]
    report["n"] = len(kept)
    rows = [{"instruction": t[0], "input": t[1], "output": t[2], "source_id": sid, "recipe": BASE,
             "instruction_lang": "en", "input_lang": "en", "output_lang": "en"} for sid, t in kept]
    return rows, {**report, "file": info}


# -------------------------------------------------------------------------------------------------------------- order

def spread_order(source_ids: list[str], rng: random.Random) -> list[int]:
    """A random order in which the k rows of a source id sit about n/k apart.

    Each row gets a sort key in [0, 1): a group of k rows takes (u + j) / k for j = 0..k-1 with one uniform u
    per group, in random row order. Every key is still uniform on [0, 1), so the order is a fair shuffle,
    but rows of one group are exactly 1/k apart in key, i.e. about n/k apart in the file (a plain shuffle
    puts some repeats next to each other)."""
    groups: dict[str, list[int]] = {}
    for idx, sid in enumerate(source_ids):
        groups.setdefault(sid, []).append(idx)
    keys = [0.0] * len(source_ids)
    for members in groups.values():
        k = len(members)
        if k > 1:
            rng.shuffle(members)
        u = rng.random()
        for j, idx in enumerate(members):
            keys[idx] = (u + j) / k
    return sorted(range(len(source_ids)), key=lambda i: (keys[i], i))


def min_repeat_gap(source_ids: list[str]) -> int | None:
    """Smallest distance between two rows with the same source id (None when no id repeats)."""
    last: dict[str, int] = {}
    gap = None
    for pos, sid in enumerate(source_ids):
        if sid in last:
            d = pos - last[sid]
            gap = d if gap is None else min(gap, d)
        last[sid] = pos
    return gap


# -------------------------------------------------------------------------------------------------------------- build

def _pair_key(row: dict) -> str:
    src = row["input_lang"] if row["recipe"] == TRANSLATION else row["instruction_lang"]
    return f"{src}>{row['output_lang']}"


def count_rows(rows: list[dict]) -> dict:
    by_recipe = Counter(r["recipe"] for r in rows)
    by_pair: dict[str, Counter] = {}
    for r in rows:
        by_pair.setdefault(r["recipe"], Counter())[_pair_key(r)] += 1
    return {"total": len(rows), "by_recipe": dict(sorted(by_recipe.items())),
            "by_pair": {rec: dict(sorted(c.items())) for rec, c in sorted(by_pair.items())}}


def message_row(row: dict) -> dict:
    # Same user text as prompts.format_instruction(fmt="chat") builds, so chat training sees the same prompt.
    meta = {k: row[k] for k in ROW_KEYS[3:]}
    return {"messages": [{"role": "user", "content": user_content(row["instruction"], row["input"])}, {"role": "assistant", "content": row["output"]}], **meta}


def _max_uses(picked: list[int]) -> int:
    return max(Counter(picked).values(), default=0)


def build_rows(config: DataConfig, corpus: ParallelCorpus | None) -> tuple[list[dict], dict]:
    """All rows of the mix in their final order, and the manifest (without output file hashes)."""
    base_rows, base_report = load_base(config, corpus)
    langs = corpus.langs if corpus is not None else ()
    if config.langs and corpus is not None:
        # A corpus loaded once with more languages can serve a mix of fewer (crossin experiment reuses it).
        langs = parse_langs(config.langs, default=())
        absent = [lang for lang in langs if lang not in corpus.langs]
        if absent:
            raise CrossinError(f"language(s) {', '.join(absent)} not in the loaded corpus ({', '.join(corpus.langs)})",
                               path=config.parallel or "config")
    exclude: set[int] = set()
    if config.exclude_base_ids and base_rows and corpus is not None:
        base_ids = {r["source_id"] for r in base_rows}
        exclude = {i for i, sid in enumerate(corpus.ids) if sid in base_ids}

    recipe_rows: list[dict] = []
    recipe_report: dict = {"name": config.recipe, "n": 0}
    if config.recipe != NONE and config.n > 0:
        pairs = recipe_pairs(config.recipe, langs)
        slots = deal_pairs(pairs, config.n, _rng(config.seed, "recipe-pairs"))
        picked, reused = draw_sources(corpus, slots, _rng(config.seed, "recipe-samples"), exclude,
                                      config.max_reuse, what=config.recipe)
        hint = config.output_lang_template if config.name_output_lang else None
        recipe_rows = [crossin_row(corpus, i, a, b, config.recipe, hint) for i, (a, b) in zip(picked, slots)]
        recipe_report = {"name": config.recipe, "n": len(recipe_rows), "pairs": [f"{a}>{b}" for a, b in pairs],
                         "reused_source_samples": reused, "max_uses_per_source": _max_uses(picked),
                         "output_lang_hint": hint}

    trans_rows: list[dict] = []
    trans_report: dict = {"n": 0}
    if config.translation > 0:
        if corpus is None:
            raise CrossinError("translation samples need a parallel corpus (--parallel)", path="config")
        pairs = translation_pairs(config.translation_directions, langs)
        slots = deal_pairs(pairs, config.translation, _rng(config.seed, "translation-pairs"))
        picked, reused = draw_sources(corpus, slots, _rng(config.seed, "translation-samples"), exclude,
                                      config.max_reuse, what=TRANSLATION)
        trans_rows = [translation_row(corpus, i, a, b, config.translation_template) for i, (a, b) in zip(picked, slots)]
        trans_report = {"n": len(trans_rows), "directions": [f"{a}>{b}" for a, b in pairs],
                        "template": config.translation_template, "reused_source_samples": reused,
                        "max_uses_per_source": _max_uses(picked)}

    rows = base_rows + recipe_rows + trans_rows
    if not rows:
        raise CrossinError("the mix is empty (no base, n = 0 and no translation samples)", path="config")
    order = spread_order([r["source_id"] for r in rows], _rng(config.seed, "order"))
    rows = [rows[i] for i in order]
    ids = [r["source_id"] for r in rows]
    repeated = sum(1 for c in Counter(ids).values() if c > 1)

    cfg = config_to_dict(config)
    cfg.pop("out")  # the folder itself; keeping it out makes builds into different folders identical
    manifest = {
        "format": MANIFEST_FORMAT,
        "seed": config.seed,
        "counts": count_rows(rows),
        "base": base_report,
        "recipe": recipe_report,
        "translation": trans_report,
        "corpus": corpus.report() if corpus is not None else None,
        "filters": corpus.filters if corpus is not None else {},
        "sources": corpus.sources if corpus is not None else [],
        "order": {"method": "spread (rows sharing a source id ~n/k apart)", "source_ids_repeated": repeated,
                  "min_repeat_gap": min_repeat_gap(ids), "shared_with_base_allowed": not config.exclude_base_ids},
        "config": cfg,
        "versions": {"crossin": crossin_version, "python": sys.version.split()[0],
                     **package_versions("lingua-language-detector")},
    }
    return rows, manifest


def build_mix(config: DataConfig, *, corpus: ParallelCorpus | None = None,
              log: Callable[[str], None] | None = None) -> Path:
    """Build the mix described by `config` into `config.out`; return that folder.

    Pass `corpus` (from `load_corpus(config)`) to reuse one loaded, validated corpus for several mixes."""
    config.validate()
    check_output_dir(config.out, "--out")  # before the corpus loads, not after the mix is built
    say = log or (lambda _msg: None)
    if corpus is None and config.parallel:  # validate() has refused a recipe without a corpus
        say(f"loading {config.parallel}")
        corpus = load_corpus(config)
    if corpus is not None:
        for lang in corpus.langs:
            d = corpus.dropped[lang]
            say(f"{lang}: {corpus.n_valid(lang)} usable of {len(corpus)} ("
                + ", ".join(f"{k} {v}" for k, v in d.items() if v) + (" dropped)" if any(d.values()) else "none dropped)"))
    rows, manifest = build_rows(config, corpus)
    for part in ("recipe", "translation"):
        report = manifest[part]
        if report.get("reused_source_samples"):
            say(f"warning: {report['reused_source_samples']} of {report['n']} {part} samples reuse a source sample "
                f"(up to {report['max_uses_per_source']} times each): the corpus has too few usable samples for n")
    say(plan_line(config, manifest))
    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    for path in remove_stale_tmp(out):
        say(f"removed {path} (left by a killed run)")
    # A manifest marks a finished build: remove an older one first, so a crash below cannot leave it
    # describing files that were already replaced.
    (out / "manifest.json").unlink(missing_ok=True)
    encode = json.JSONEncoder(ensure_ascii=False).encode  # json.dumps(..., ensure_ascii=False) builds one per call
    train_text = "".join([encode(r) + "\n" for r in rows])
    messages_text = "".join([encode(message_row(r)) + "\n" for r in rows])
    atomic_write_text(out / "train.jsonl", train_text)
    atomic_write_text(out / "messages.jsonl", messages_text)
    files = [("train.jsonl", train_text, len(rows)), ("messages.jsonl", messages_text, len(rows))]
    if corpus is not None:
        dropped_text = "".join([encode({"id": sid, "lang": lang, "reason": reason}) + "\n"
                                for sid, lang, reason in corpus.drop_log])
        atomic_write_text(out / "dropped.jsonl", dropped_text)
        files.append(("dropped.jsonl", dropped_text, len(corpus.drop_log)))
    else:
        (out / "dropped.jsonl").unlink(missing_ok=True)
    manifest["files"] = {name: {"rows": n, "sha256": sha256_text(text)}
                         for name, text, n in files}
    write_json(out / "manifest.json", manifest)  # last: a folder with a manifest is a finished build
    say(f"wrote {len(rows)} rows to {out}")
    return out


def plan_line(config: DataConfig, manifest: dict) -> str:
    """What is about to be written: rows per part, and where the base count comes from (all of it by default,
    which is what makes a small --n build large)."""
    base, recipe, trans = manifest["base"], manifest["recipe"], manifest["translation"]
    total = base["n"] + recipe["n"] + trans["n"]
    if config.base == "none":
        whence = "--base none"
    elif config.base_n >= 0:
        whence = f"--base-n {config.base_n} of {base['n_source'] - base['dropped_empty']}"
    else:
        whence = "all of the English base; --base-n N draws fewer, --base none drops it"
    return (f"plan: {base['n']} base rows ({whence}) + {recipe['n']} CrossIn rows ({recipe['name']}) + "
            f"{trans['n']} translation rows = {total} rows")


# -------------------------------------------------------------------------------------------------------------- stats

def mix_stats(folder: str | Path) -> dict:
    """Counts of a built mix, read from its train.jsonl (the truth), with the manifest's drop report if present."""
    folder = Path(folder)
    if folder.is_dir() and not (folder / "manifest.json").is_file():
        raise CrossinError("incomplete data folder (no manifest.json, which `crossin data build` writes last); "
                           "rebuild it, or pass its train.jsonl", path=str(folder))
    train = folder / "train.jsonl" if folder.is_dir() else folder
    rows = []
    for lineno, obj in iter_jsonl(train):
        check_record(obj, MIX_ROW, path=str(train), line=lineno, what="not a crossin mix row")
        obj.setdefault("input_lang", obj["instruction_lang"])
        rows.append(obj)
    stats = count_rows(rows)
    stats["source_ids"] = len({r.get("source_id") for r in rows})
    manifest_path = train.parent / "manifest.json"
    if manifest_path.exists():
        text = read_text(manifest_path)
        manifest = parse_json(text, path=str(manifest_path))
        check_record(manifest, MANIFEST, path=str(manifest_path), text=text, what="manifest")
        stats["seed"] = manifest.get("seed")
        stats["corpus"] = manifest.get("corpus")
        stats["base"] = manifest.get("base")
        stats["order"] = manifest.get("order")
        stats["train_sha256_ok"] = manifest.get("files", {}).get("train.jsonl", {}).get("sha256") == sha256_file(train)
    return stats
