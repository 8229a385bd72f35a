"""`crossin score --extractor crossin|seaeval`, `--show-disagreements`, the results.json record, and bad options."""

import json

import pytest
from typer.testing import CliRunner

from crossin.benchmarks import load_benchmark
from crossin.cli import app

runner = CliRunner()
LANGS = "en,zh"


def _preds(path, rows):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def _score(*args):
    return runner.invoke(app, ["score", "--bench", "cross-mmlu", "--langs", LANGS, "--only-complete", "--n-boot", "10", *args])


@pytest.mark.parametrize("extractor", ["crossin", "seaeval"])
def test_gold_text_reads_as_gold_with_either_extractor(tmp_path, data_dir, extractor):
    bench = load_benchmark("cross-mmlu", LANGS)
    rows = [{"id": s.id, "lang": lang, "prediction": f"({'ABCD'[s.gold]}) {item.choices[s.gold]}"}
            for s in bench.sets[:20] for lang, item in s.items.items()]
    out = tmp_path / "r.json"
    res = _score("-p", str(_preds(tmp_path / "p.jsonl", rows)), "--extractor", extractor, "-o", str(out))
    assert res.exit_code == 0, res.output
    r = json.loads(out.read_text(encoding="utf-8"))
    assert r["accuracy"] == 1.0 and r["inputs"]["extractor"] == extractor
    block = r["extraction"]
    assert block["extractor"] == extractor and block["version"]
    assert block["texts"] == {"en": 20, "zh": 20} and block["unparsed"] == {"en": 0, "zh": 0}
    assert block["ambiguous"] == {"en": 0, "zh": 0}
    if extractor == "seaeval":
        assert block["random"] == {"en": 0, "zh": 0} and block["seed"] == 0


def test_seaeval_fill_is_seeded_and_recorded(tmp_path, data_dir):
    rows = [{"id": f"test_{i}", "lang": lang, "prediction": ""} for i in range(1, 31) for lang in ("en", "zh")]
    preds = _preds(tmp_path / "p.jsonl", rows)
    results = {}
    for name, seed in (("a", 1), ("b", 1), ("c", 2)):
        out = tmp_path / f"{name}.json"
        assert _score("-p", str(preds), "--extractor", "seaeval", "--seed", str(seed), "-o", str(out)).exit_code == 0
        results[name] = json.loads(out.read_text(encoding="utf-8"))
    assert results["a"]["extraction"]["random"] == {"en": 30, "zh": 30} and results["a"]["extraction"]["seed"] == 1
    assert results["a"]["answer_distribution"] == results["b"]["answer_distribution"]  # same seed, same fill
    assert results["a"]["answer_distribution"] != results["c"]["answer_distribution"]
    assert sum(results["a"]["unparsed"].values()) == 0  # SeaEval's rule never leaves one unparsed


def test_crossin_leaves_unparsed_and_counts_ambiguous(tmp_path, data_dir):
    rows = [{"id": "test_1", "lang": "en", "prediction": "The answer is (A). No wait, the correct answer is (C)."},
            {"id": "test_1", "lang": "zh", "prediction": "我不知道。"},
            {"id": "test_2", "lang": "en", "prediction": "(B)"}, {"id": "test_2", "lang": "zh", "prediction": "答案是B"}]
    out = tmp_path / "r.json"
    res = _score("-p", str(_preds(tmp_path / "p.jsonl", rows)), "-o", str(out))
    assert res.exit_code == 0, res.output
    block = json.loads(out.read_text(encoding="utf-8"))["extraction"]
    assert block["unparsed"] == {"en": 1, "zh": 1} and block["ambiguous"] == {"en": 1, "zh": 0}
    assert "4 texts read, 2 unparsed, 1 ambiguous" in " ".join(res.output.split())


def test_show_disagreements_prints_the_items_read_differently(tmp_path, data_dir):
    rows = [  # SeaEval votes per sentence: A twice, B once -> A; crossin reads the final statement -> B
        {"id": "test_1", "lang": "en", "prediction": "(A) is wrong. (A) is not it. The answer is (B)."},
        {"id": "test_1", "lang": "zh", "prediction": "(C)"},
    ]
    res = _score("-p", str(_preds(tmp_path / "p.jsonl", rows)), "--show-disagreements", "5")
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    assert "crossin and seaeval read 1 of 2 texts differently" in text
    assert "test_1:en crossin=B seaeval=A" in text and "test_1:zh" not in text


@pytest.mark.parametrize("args,message", [
    (["--extractor", "bogus"], "--extractor: must be one of crossin, seaeval, judge, crossin+judge; got 'bogus'"),
    (["--extractor", "judge"], "--extractor judge needs --judge-model openai:NAME"),
    (["--extractor", "judge", "--judge-model", "tiny"], "--extractor judge needs --judge-model openai:NAME"),
    (["--extractor", "judge", "--judge-model", "openai:tiny"], "needs --judge-base-url"),
    (["--extractor", "judge", "--judge-model", "openai:tiny", "--judge-base-url", "file:///etc"], "is not an http(s) URL"),
    (["--extractor", "judge", "--judge-model", "openai:tiny", "--judge-base-url", "http://h:99999/v1"], "port out of range"),
    (["--judge-model", "openai:tiny"], "are for --extractor judge"),
])
def test_bad_extractor_options_are_one_line(tmp_path, args, message):
    # checked before the benchmark or the predictions are read: the predictions file does not even exist
    res = _score("-p", str(tmp_path / "missing.jsonl"), *args)
    assert res.exit_code == 2
    lines = [line for line in res.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and message in " ".join(res.output.split())


@pytest.mark.parametrize("args,message", [
    (["--extractor", "seaeval", "--mode", "loglik"], "needs --mode generate"),
    (["--extractor", "judge", "--mode", "generate"], "--extractor judge needs --judge-model"),
    (["--mode", "generate", "--judge-base-url", "http://127.0.0.1:1/v1"], "are for --extractor judge"),
])
def test_eval_checks_the_extractor_before_loading_anything(args, message):
    res = runner.invoke(app, ["eval", "--model", "/nonexistent/model", "--bench", "cross-mmlu", "--no-cache", *args])
    assert res.exit_code == 2
    assert message in " ".join(res.output.split())


def test_only_complete_counts_the_texts_of_the_sets_scored(tmp_path, data_dir):
    rows = [{"id": "test_1", "lang": "en", "prediction": "(A)"}, {"id": "test_1", "lang": "zh", "prediction": "(B)"},
            {"id": "test_2", "lang": "en", "prediction": "no idea"}]  # test_2 has no zh: left out
    out = tmp_path / "r.json"
    assert _score("-p", str(_preds(tmp_path / "p.jsonl", rows)), "-o", str(out)).exit_code == 0
    block = json.loads(out.read_text(encoding="utf-8"))["extraction"]
    assert block["texts"] == {"en": 1, "zh": 1} and block["unparsed"] == {"en": 0, "zh": 0}
