"""`crossin data translate`: cut each field into pieces, translate the pieces (cached one by one), check them, retry a
failed piece once, then write per-language files aligned by id, score files, failures.jsonl and manifest.json.

Resumable: every answer is committed to <out>/cache/translations.sqlite as it arrives (key: engine identity incl.
model and prompt, languages, try, text), so a killed run loses only requests in flight and a rerun sends only those.
The outputs are rebuilt from the cache in input order, so they do not depend on concurrency, chunking or restarts.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

from ...config import config_to_dict
from ...errors import CrossinError
from ...io import check_output_dir, package_versions, write_json, write_jsonl
from ...request_cache import RequestCache, Resolver, request_key
from ...answer_lang import LangId, answer_language
from ...progress import progress_bar
from ..corpus import Source, find_lang_file, read_samples
from .config import ENGINES, TranslateConfig
from .engines import Reply, Request
from .protect import FAILURE_REASONS, check_piece, split_pieces

FIELDS: tuple[str, ...] = ("instruction", "input", "output")


class TranslationCache(RequestCache):
    """Table `answers` of <folder>/translations.sqlite: one row per answered request, a Reply's fields; keys:
    `translation_key`."""

    def __init__(self, folder: Path):
        super().__init__(folder / "translations.sqlite", table="answers", what="translation cache",
                         way_out="to translate everything again")


def reply_ok(value: object) -> bool:
    """A stored Reply: text, finish and detail, all strings (any other row is asked again and overwritten)."""
    return (isinstance(value, dict) and value.keys() == {"text", "finish", "detail"}
            and all(isinstance(v, str) for v in value.values()))


ANSWER_LANGUAGE_SAMPLE = 2000  # outputs per language checked for the answer-language share (manifest.json)


def translation_key(identity: dict, req: Request) -> str:
    return request_key(identity, req.src, req.tgt, req.attempt, req.text)


def read_input(cfg: TranslateConfig) -> Source:
    path = Path(cfg.input)
    if path.is_dir():
        found = find_lang_file(path, cfg.source_lang)
        if found is None:
            raise CrossinError(f"no {cfg.source_lang}.jsonl / alpaca_{cfg.source_lang}.json in the folder",
                               path=str(path))
        path = found
    return read_samples(path, cfg.source_lang, cfg.id_prefix)


def make_engine(cfg: TranslateConfig, model: str = ""):
    return ENGINES.get(cfg.engine).from_config(cfg, model or cfg.model)


class _Translator:
    """Replies for requests through the shared Resolver: cached ones from the cache, the rest from the engine once per
    distinct request, each stored as it arrives."""

    def __init__(self, engine, cache: RequestCache):
        self.engine, self.identity = engine, engine.identity()
        self.resolver = Resolver(cache, valid=reply_ok)

    def __call__(self, reqs: list[Request]) -> list[Reply]:
        def compute(indices: list[int], commit) -> None:
            self.engine.run([reqs[i] for i in indices], lambda j, reply: commit([j], [asdict(reply)]))

        keys = [translation_key(self.identity, r) for r in reqs]
        return [Reply(**row) for row in self.resolver(keys, compute)]


def translate_corpus(cfg: TranslateConfig, *, progress: bool = True,
                     log: Callable[[str], None] = lambda msg: None) -> Path:
    """Translate cfg.input into every target language; returns the output folder."""
    cfg.validate()
    check_output_dir(cfg.out, "--out")
    started = time.time()
    out = Path(cfg.out)
    source = read_input(cfg)
    src, targets = cfg.source_lang, tuple(cfg.target_langs)
    n = len(source.ids)
    per_line = cfg.engine == "hf"  # sentence-level MT models get one line at a time
    pieces = [[split_pieces(text, per_line) for text in texts] for texts in source.texts]
    langid = LangId((src, *targets))
    cache = TranslationCache(out / "cache")
    resolve = _Translator(make_engine(cfg), cache)
    resolve_back = _Translator(make_engine(cfg, cfg.round_trip_model), cache) if cfg.round_trip_model else resolve
    log(f"{n} samples from {source.info['path']} into {', '.join(targets)}; cache holds {len(cache)} answers")

    fields: dict[str, list[tuple[str, str, str] | None]] = {t: [None] * n for t in targets}
    failures: dict[str, list[dict]] = {t: [] for t in targets}
    scores: dict[str, list[dict]] = {t: [] for t in targets}
    try:  # the cache is closed however the run ends: every answer in it is committed
        with progress_bar(total=n, unit="sample", desc="translate", disable=not progress, smoothing=0.1) as bar:
            for start in range(0, n, cfg.chunk):
                chunk = range(start, min(n, start + cfg.chunk))
                # slots: (lang, sample, field, piece index) of every piece to translate in this chunk
                slots = [(t, i, f, j) for t in targets for i in chunk for f in range(3)
                         for j, (todo, _) in enumerate(pieces[i][f]) if todo]
                answers: dict[tuple, str] = {}
                failed: dict[tuple, tuple[str, str]] = {}
                pending = slots
                for attempt in (0, 1):
                    reqs = [Request(pieces[i][f][j][1], src, t, attempt) for t, i, f, j in pending]
                    retry = []
                    for slot, req, reply in zip(pending, reqs, resolve(reqs)):
                        reason, detail = check_piece(req.text, reply.text, reply.finish, detect=langid.detect,
                                                     target=slot[0], min_langid_chars=cfg.min_langid_chars)
                        if reason is None:
                            answers[slot] = reply.text.strip()
                        elif attempt == 0:
                            retry.append(slot)
                        else:
                            failed[slot] = (reason, detail)
                    pending = retry
                bad = {(t, i): (f, *failed[t, i, f, j]) for t, i, f, j in reversed(slots) if (t, i, f, j) in failed}
                back = {}
                if cfg.round_trip:
                    good = [s for s in slots if (s[0], s[1]) not in bad]
                    replies = resolve_back([Request(answers[s], s[0], src, 0) for s in good])
                    back = {s: r.text.strip() for s, r in zip(good, replies)}
                for t in targets:
                    for i in chunk:
                        if (t, i) in bad:
                            f, reason, detail = bad[t, i]
                            failures[t].append({"id": source.ids[i], "lang": t, "field": FIELDS[f],
                                                "reason": reason, "detail": detail})
                            continue
                        fields[t][i] = tuple(_join(pieces[i][f], t, i, f, answers) for f in range(3))
                        scores[t].append(_score(source.ids[i], source.texts[i], fields[t][i], t, langid,
                                                [_join(pieces[i][f], t, i, f, back) for f in range(3)]
                                                if cfg.round_trip else None))
                bar.update(len(chunk))
    finally:
        cache.close()
    both = {id(r): r for r in (resolve, resolve_back)}.values()
    requests = {"sent": sum(r.resolver.sent for r in both), "cached": sum(r.resolver.cached for r in both)}
    failures = [row for t in targets for row in failures[t]]  # per language in input order, like the outputs
    return _write_outputs(cfg, out, source, fields, scores, failures, resolve.identity, requests, started)


def _join(field_pieces: list[tuple[bool, str]], lang: str, i: int, f: int, answers: dict) -> str:
    return "".join(answers[lang, i, f, j] if todo else text for j, (todo, text) in enumerate(field_pieces))


def _score(sid: str, src_texts, texts, lang: str, langid: LangId, back: list[str] | None) -> dict:
    """score = lingua's confidence that the translation is in `lang`; with --round-trip, the lower of that and
    chrF/100 of the back-translation against the source."""
    conf = langid.confidence("\n".join(t for t in texts if t), lang)
    row = {"id": sid, "score": conf, "langid": conf}
    if back is not None:
        from sacrebleu.metrics import CHRF

        chrf = round(CHRF().sentence_score("\n".join(back), ["\n".join(src_texts)]).score, 2)
        row["chrf"] = chrf
        row["score"] = min(chrf / 100, conf) if conf is not None else chrf / 100
    return row


def _write_outputs(cfg, out: Path, source: Source, fields, scores, failures, identity: dict, requests: dict,
                   started: float) -> Path:
    targets = tuple(cfg.target_langs)
    rows = lambda texts: [{"id": sid, **dict(zip(FIELDS, t))} for sid, t in zip(source.ids, texts) if t is not None]
    src_file = out / f"{cfg.source_lang}.jsonl"
    if src_file.resolve() != Path(source.info["path"]):
        write_jsonl(src_file, rows(source.texts))  # the pivot, with its ids: the folder is a whole parallel corpus
    for t in targets:
        write_jsonl(out / f"{t}.jsonl", rows(fields[t]))
        write_jsonl(out / f"{t}_translation_score.jsonl", scores[t])
    write_jsonl(out / "failures.jsonl", failures)
    counts = {t: {"samples": len(source.ids), "written": sum(x is not None for x in fields[t]),
                  "failed": sum(r["lang"] == t for r in failures)} for t in targets}
    by_reason = {t: {r: sum(x["lang"] == t and x["reason"] == r for x in failures) for r in FAILURE_REASONS}
                 for t in targets}
    config = config_to_dict(cfg)
    config.pop("api_key", None)
    written = {t: ["\n".join(x for x in f if x) for f in fields[t] if f is not None] for t in targets}
    manifest = {
        "engine": cfg.engine, "model": cfg.model, "engine_identity": identity,
        "prompt": cfg.prompt if cfg.engine == "openai" else None,
        "source_lang": cfg.source_lang, "languages": list(targets), "seed": cfg.seed,
        "input": source.info, "counts": counts, "failures": by_reason, "failures_file": "failures.jsonl",
        "requests": requests,
        "answer_language": answer_language(written, max_answers=ANSWER_LANGUAGE_SAMPLE),
        "score": "lingua confidence of the target language" + (", min with round-trip chrF/100"
                                                                if cfg.round_trip else ""),
        "versions": package_versions("crossin", "httpx", "torch", "transformers", "lingua-language-detector",
                                     "sacrebleu"),
        "config": config, "elapsed_s": round(time.time() - started, 2),
    }
    write_json(out / "manifest.json", manifest)
    return out
