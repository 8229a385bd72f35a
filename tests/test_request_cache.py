"""The one request cache and its resolver (crossin.request_cache), shared by eval, the judge and data translate:
dedupe, row validation, commit-as-answers-arrive, the two on-disk layouts and their keys."""

from __future__ import annotations

import hashlib
import json
import sqlite3

import pytest

from crossin.data.translate.engines import Reply, Request
from crossin.data.translate.run import TranslationCache, _Translator, translation_key
from crossin.errors import CrossinError
from crossin.evaluate.cache import CachingBackend, EvalCache, RunStats
from crossin.evaluate.backend import GenerationKwargs
from crossin.request_cache import RequestCache, Resolver, request_key


def _cache(tmp_path) -> RequestCache:
    return RequestCache(tmp_path / "c.sqlite", table="rows", what="test cache", way_out="or not")


def test_each_distinct_missing_key_is_computed_once_and_cached(tmp_path):
    cache = _cache(tmp_path)
    calls = []

    def compute(indices, commit):
        calls.append(indices)
        return [f"answer {i}" for i in indices]  # not reported early: committed after compute returns

    keys = ["a", "b", "a", "c", "b"]
    resolver = Resolver(cache)
    assert resolver(keys, compute) == ["answer 0", "answer 1", "answer 0", "answer 3", "answer 1"]
    assert calls == [[0, 1, 3]] and (resolver.sent, resolver.cached) == (3, 0)
    assert resolver(["c", "d", "a"], compute) == ["answer 3", "answer 1", "answer 0"]
    assert calls[-1] == [1] and (resolver.sent, resolver.cached) == (4, 2)
    assert len(cache) == 4


def test_a_row_that_fails_validation_is_computed_again_and_overwritten(tmp_path):
    cache = _cache(tmp_path)
    cache.put_many({"a": "not a number", "b": 2})
    cache._db.execute("INSERT OR REPLACE INTO rows VALUES ('c', '{not json')")
    cache._db.commit()
    resolver = Resolver(cache, valid=lambda v: isinstance(v, int))
    assert resolver(["a", "b", "c"], lambda indices, commit: [10 * i for i in indices]) == [0, 2, 20]
    assert cache.get_many(["a", "c"]) == {"a": 0, "c": 20}
    assert (resolver.sent, resolver.cached) == (2, 1)


def test_answers_are_committed_as_they_arrive_so_a_failed_run_keeps_them(tmp_path):
    def compute(indices, commit):
        commit([0], ["first"])
        raise RuntimeError("the server died")

    with pytest.raises(RuntimeError):
        Resolver(_cache(tmp_path))(["x", "y"], compute)
    reopened = _cache(tmp_path)
    assert reopened.get_many(["x", "y"]) == {"x": "first"}
    seen = []
    assert Resolver(reopened)(["x", "y"], lambda indices, commit: seen.append(indices) or ["second"]) == \
        ["first", "second"]
    assert seen == [[1]]


def test_a_computation_that_neither_reports_nor_returns_is_an_error(tmp_path):
    with pytest.raises(CrossinError, match="1 requests were neither answered nor reported"):
        Resolver(None)(["x"], lambda indices, commit: None)


def test_without_a_cache_duplicates_are_still_sent_once():
    sent = []
    out = Resolver(None)(["k", "k", "j"], lambda indices, commit: sent.extend(indices) or ["v"] * len(indices))
    assert out == ["v", "v", "v"] and sent == [0, 2]


def test_keys_are_sha256_of_the_canonical_json_of_their_parts():
    """Files written before the shared cache keep working: this is how both caches built their keys."""
    identity = {"model": "m", "backend": "hf"}
    legacy = hashlib.sha256(json.dumps([identity, "loglikelihood", "Q: ", " A"], sort_keys=True,
                                       ensure_ascii=False).encode("utf-8")).hexdigest()
    assert request_key(identity, "loglikelihood", "Q: ", " A") == legacy
    assert request_key({"b": 1, "a": "ü"}) == request_key({"a": "ü", "b": 1}) != request_key({"a": "u", "b": 1})
    req = Request("hello", "en", "es", 1)
    assert translation_key(identity, req) == request_key(identity, "en", "es", 1, "hello")


def test_eval_and_translation_caches_keep_their_files_and_tables(tmp_path):
    EvalCache(tmp_path).put_many({"k": [1.0, 2, True]})
    TranslationCache(tmp_path).put_many({"t": {"text": "hola", "finish": "stop", "detail": ""}})
    with sqlite3.connect(tmp_path / "requests.sqlite") as db:
        assert db.execute("SELECT key, value FROM requests").fetchall() == [("k", "[1.0, 2, true]")]
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    with sqlite3.connect(tmp_path / "translations.sqlite") as db:
        assert db.execute("SELECT key FROM answers").fetchall() == [("t",)]


class _Engine:
    def __init__(self):
        self.asked: list[str] = []

    def identity(self) -> dict:
        return {"engine": "fake"}

    def run(self, reqs, on_reply):
        for i, r in enumerate(reqs):
            self.asked.append(r.text)
            on_reply(i, Reply(r.text.upper(), "stop"))


def test_translations_resolve_through_the_shared_resolver(tmp_path):
    engine, cache = _Engine(), TranslationCache(tmp_path)
    cache.put_many({translation_key(engine.identity(), Request("bad row", "en", "es", 0)): {"text": 1}})
    reqs = [Request(t, "en", "es", 0) for t in ("a", "b", "a", "bad row")]
    translate = _Translator(engine, cache)
    assert [r.text for r in translate(reqs)] == ["A", "B", "A", "BAD ROW"]
    assert engine.asked == ["a", "b", "bad row"]
    assert [r.text for r in _Translator(engine, cache)(reqs)] == ["A", "B", "A", "BAD ROW"]
    assert engine.asked == ["a", "b", "bad row"]  # the second time, all from the cache


class _Backend:
    identity = {"backend": "fake"}

    def __init__(self):
        self.asked = []

    def generate_until(self, requests, *, on_batch=None):
        self.asked += [c for c, _ in requests]
        for i, (c, _) in enumerate(requests):
            on_batch([i], [c[::-1]])
        return [c[::-1] for c, _ in requests]


def test_eval_counts_questions_and_skips_damaged_rows(tmp_path):
    cache, kw = EvalCache(tmp_path), GenerationKwargs()
    cache.put_many({request_key(_Backend.identity, "generate_until", "ab", kw.as_dict()): ["not", "text"]})
    backend, stats = _Backend(), RunStats()
    requests = [("ab", kw), ("cd", kw), ("ab", kw), ("ef", kw)]
    out = CachingBackend(backend, cache, stats=stats).generate_until(requests, owners=[0, 0, 1, 2])
    assert out == ["ba", "dc", "ba", "fe"] and backend.asked == ["ab", "cd", "ef"]
    assert (stats.hits, stats.computed, stats.batches) == (0, 3, 3)
    again = RunStats()
    CachingBackend(_Backend(), cache, stats=again).generate_until(requests, owners=[0, 0, 1, 2])
    assert (again.hits, again.computed, again.batches) == (3, 0, 0)
