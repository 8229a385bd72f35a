"""`--extractor judge` end to end against a real `crossin serve` process on the tiny random model (its replies are
noise: this checks plumbing, caching and the fallback to unparsed, not the judge's quality), and the reply parser."""

import json
import os
import subprocess
import sys

import pytest

from crossin.evaluate.cache import EvalCache
from crossin.extraction import ExtractorSpec, Item, read_items
from crossin.extraction.judge import JUDGE_PROMPT, SETTINGS, identity, judge_prompt, parse_reply
from crossin.request_cache import request_key
from crossin.io import sha256_text

from conftest import start_server

CHOICES = ("responsible", "funny", "sociable", "followers")


@pytest.fixture(scope="module")
def judge_server(tiny_dir):
    url, proc = start_server("--model", str(tiny_dir), "--name", "tiny", "--log-level", "warning", "--device", "cpu")
    yield url, proc
    proc.terminate()
    proc.wait(timeout=30)


@pytest.mark.parametrize("reply,expected", [
    ("B", 1), ("(C)", 2), (" D.", 3), ("Answer: A", 0), ("option b", 1), ("NONE", None), ("E", None),
    ("The answer is B because", None), ("", None), ("AB", None), ("B or C", None),
])
def test_a_reply_that_is_not_one_option_is_unparsed(reply, expected):
    assert parse_reply(reply, 4) == expected


def test_the_prompt_shows_the_options_and_bounds_the_answer():
    prompt = judge_prompt("x" * 50_000 + "The answer is (B).", CHOICES)
    assert "(A) responsible\n(B) funny" in prompt and "The answer is (B)." in prompt and len(prompt) < 7000


def _crossin(*args, cache):
    env = {**os.environ, "CROSSIN_CACHE": str(cache)}
    return subprocess.run([sys.executable, "-m", "crossin", *args], capture_output=True, text=True, env=env)


def test_score_and_eval_with_the_judge_record_it(judge_server, tmp_path, data_dir):
    url, _ = judge_server
    preds = tmp_path / "preds.jsonl"
    preds.write_text("".join(json.dumps({"id": f"test_{i}", "lang": lang, "prediction": "The answer is (B)."}) + "\n"
                             for i in (1, 2) for lang in ("en", "zh")), encoding="utf-8")
    out = tmp_path / "results.json"
    judge = ["--extractor", "judge", "--judge-model", "openai:tiny", "--judge-base-url", url]
    run = _crossin("score", "--bench", "cross-mmlu", "--predictions", str(preds), "--langs", "en,zh", "--only-complete",
                   *judge, "--out", str(out), "--n-boot", "10", cache=tmp_path / "cc")
    assert run.returncode == 0, run.stderr
    block = json.loads(out.read_text(encoding="utf-8"))["extraction"]
    assert block["extractor"] == "judge" and block["judge"]["model"] == "tiny"
    assert block["judge"]["prompt_sha256"] == sha256_text(JUDGE_PROMPT)
    assert block["texts"] == {"en": 2, "zh": 2}
    assert all(0 <= block["unparsed"][lang] <= 2 for lang in ("en", "zh"))

    # crossin eval --mode generate: the same server answers the questions and judges the answers
    for extractor in (judge, ["--extractor", "seaeval"]):
        run = _crossin("eval", "--model", "openai:tiny", "--base-url", url, "--bench", "cross-mmlu", "--langs", "en,zh",
                       "--limit", "2", "--mode", "generate", "--max-new-tokens", "6", *extractor, "--out",
                       str(tmp_path / extractor[1]), "--n-boot", "10", "--seed", "5", cache=tmp_path / "cc")
        assert run.returncode == 0, run.stderr
        results = json.loads((tmp_path / extractor[1] / "cross-mmlu" / "results.json").read_text(encoding="utf-8"))
        block = results["extraction"]
        assert block["extractor"] == extractor[1] and block["texts"] == {"en": 2, "zh": 2}
        assert set(block["unparsed"]) == set(block["ambiguous"]) == {"en", "zh"}
        if extractor[1] == "seaeval":  # SeaEval never leaves an answer unparsed: it draws one, seeded and counted
            assert block["seed"] == 5 and block["unparsed"] == {"en": 0, "zh": 0}
            assert sum(results["unparsed"].values()) == 0


def test_judge_against_crossin_serve_is_cached_and_falls_back_to_unparsed(judge_server, tmp_path):
    url, proc = judge_server
    spec = ExtractorSpec("judge", judge_model="openai:tiny", judge_base_url=url, cache_dir=str(tmp_path / "cache"))
    items = [Item(f"test_{i}:en", "en", f"I think the answer is ({'ABCD'[i % 4]}).", CHOICES) for i in range(6)]
    items.append(Item("test_9:en", "en", "", CHOICES))  # an empty answer is not sent: unparsed
    first = read_items(spec, items)
    assert len(first) == len(items) and all(r.rule == "judge" for r in first)
    assert first[-1].choice is None
    # Every reply is either a valid option or the fallback (the tiny model writes noise, so mostly the fallback).
    assert all(r.choice is None or 0 <= r.choice < 4 for r in first)
    cache = EvalCache(tmp_path / "cache")
    assert len(cache) == 4  # one row per distinct prompt asked (six answers, four different)
    keys = [request_key(identity(spec), "judge", SETTINGS, judge_prompt(it.output, it.choices)) for it in items[:6]]
    replies = cache.get_many(keys)
    cache.close()
    # each reading is the parse of the server's reply, as stored (the raw reply is kept, not the parse)
    assert [parse_reply(replies[k], 4) for k in keys] == [r.choice for r in first[:6]]
    assert all(isinstance(v, str) for v in replies.values())
    proc.terminate()
    proc.wait(timeout=30)
    # The server is gone: the same readings come from the cache, and nothing is asked.
    again = read_items(spec, items)
    assert again == first


