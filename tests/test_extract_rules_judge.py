"""`--extractor crossin+judge` end to end against a real `crossin serve` process on the embedded model (Gemma 3 270M):
the rules read what they can, the judge is asked only about what they leave unread (never about an answer cut off
inside a reasoning model's thinking), results.json counts per language how many each path read, and `crossin score`
writes samples.jsonl saying which rule or path read each text."""

import json
import os
import subprocess
import sys

import pytest

from crossin.evaluate.cache import EvalCache
from crossin.extraction import ExtractorSpec, Item, read_items

from conftest import start_server

pytestmark = pytest.mark.model

CHOICES = ("responsible", "funny", "sociable", "followers")
RULES = ["The answer is (B).", "答案是C。", "La respuesta correcta es la letra A.", "<think>Maybe (A).</think>Đáp án: D"]
UNREAD = ["Hmm, that is a hard one to say.", "Tough call; I lean toward the second of them."]
CUT = "<think>Option A looks right, but"


@pytest.fixture(scope="module")
def embedded_server():
    url, proc = start_server("--model", "gemma-3-270m", "--name", "g", "--log-level", "warning", "--device", "cpu",
                             timeout=300)
    yield url
    proc.terminate()
    proc.wait(timeout=30)


def test_rules_first_then_the_judge_only_for_the_unread(embedded_server, tmp_path):
    spec = ExtractorSpec("crossin+judge", judge_model="openai:g", judge_base_url=embedded_server,
                         cache_dir=str(tmp_path / "cache"))
    texts = RULES + UNREAD + [CUT]
    items = [Item(f"test_{i}:en", "en", t, CHOICES) for i, t in enumerate(texts)]
    got = read_items(spec, items)
    assert [r.choice for r in got[:4]] == [1, 2, 0, 3] and all(r.rule not in ("judge", "cut_off") for r in got[:4])
    assert all(r.rule == "judge" for r in got[4:6])
    assert got[6].cut_off and got[6].rule == "cut_off" and got[6].choice is None
    cache = EvalCache(tmp_path / "cache")
    assert len(cache) == len(UNREAD)  # the judge was asked about the two unread answers, nothing else
    cache.close()


def test_score_records_each_paths_reads_and_writes_samples(embedded_server, tmp_path, data_dir):
    preds = tmp_path / "preds.jsonl"
    rows = [("test_1", "en", RULES[0]), ("test_1", "zh", RULES[1]), ("test_2", "en", UNREAD[0]), ("test_2", "zh", CUT)]
    preds.write_text("".join(json.dumps({"id": i, "lang": lang, "prediction": t}) + "\n" for i, lang, t in rows),
                     encoding="utf-8")
    out = tmp_path / "out" / "results.json"
    env = {**os.environ, "CROSSIN_CACHE": str(tmp_path / "cc")}
    run = subprocess.run([sys.executable, "-m", "crossin", "score", "--bench", "cross-mmlu", "--predictions",
                          str(preds), "--langs", "en,zh", "--only-complete", "--extractor", "crossin+judge",
                          "--judge-model", "openai:g", "--judge-base-url", embedded_server, "--out", str(out),
                          "--n-boot", "10"], capture_output=True, text=True, env=env)
    assert run.returncode == 0, run.stderr
    block = json.loads(out.read_text(encoding="utf-8"))["extraction"]
    assert block["extractor"] == "crossin+judge" and block["judge"]["model"] == "g"
    assert block["read_by"]["rules"] == {"en": 1, "zh": 1}
    assert block["read_by"]["judge"]["zh"] == 0 and block["read_by"]["judge"]["en"] in (0, 1)
    assert block["cut_off"] == {"en": 0, "zh": 1} and block["unparsed"]["zh"] == 1
    assert block["unread_share"]["zh"] == 0.5
    assert "cut off inside the model's thinking" in run.stdout and "--max-new-tokens" in run.stdout
    samples = [json.loads(line) for line in (out.parent / "samples.jsonl").read_text(encoding="utf-8").splitlines()]
    by = {(s["id"], s["lang"]): s for s in samples}
    assert len(samples) == 4 and by[("test_1", "en")]["choice"] == 1 and by[("test_1", "en")]["read_by"] == "final"
    assert by[("test_2", "en")]["read_by"] == "judge" and by[("test_2", "zh")]["read_by"] == "cut_off"
    assert by[("test_2", "zh")]["choice"] is None and by[("test_2", "zh")]["prediction"] == CUT
