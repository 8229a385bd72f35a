"""Loaders, validation and `crossin score` end to end on the real SeaEval files."""

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from crossin.benchmarks import load_benchmark, to_seaeval_row
from crossin.cli import app
from crossin.errors import CrossinError
from crossin.langs import SEAEVAL_LANGS

SEVEN = ",".join(SEAEVAL_LANGS)
runner = CliRunner()


def write_preds(path, bench, fn):
    with open(path, "w", encoding="utf-8") as f:
        for s in bench.sets:
            for lang, item in s.items.items():
                f.write(json.dumps({"id": s.id, "lang": lang, **fn(s, lang, item)}, ensure_ascii=False) + "\n")
    return path


@pytest.mark.parametrize("name,n_sets", [("cross-mmlu", 150), ("cross-logiqa", 176)])
def test_gold_predictions_score_one_everywhere(tmp_path, data_dir, name, n_sets):
    bench = load_benchmark(name, SEAEVAL_LANGS)
    assert len(bench) == n_sets and bench.langs == SEAEVAL_LANGS
    # Raw text in SeaEval's own answer format goes through the extractor.
    preds = write_preds(tmp_path / "p.jsonl", bench, lambda s, lang, item: {"prediction": f"({'ABCD'[item.gold]}) {item.choices[item.gold]}"})
    out = tmp_path / "results.json"
    res = runner.invoke(app, ["score", "--bench", name, "-p", str(preds), "--langs", SEVEN, "--out", str(out)])
    assert res.exit_code == 0, res.output
    r = json.loads(out.read_text())
    assert r["accuracy"] == 1.0 and set(r["language_accuracy"].values()) == {1.0}
    assert r["consistency"] == {str(k): 1.0 for k in range(2, 8)}
    assert r["ac3"]["3"] == 1.0 and r["n_sets"] == n_sets
    assert r["unparsed"] == {lang: 0 for lang in SEAEVAL_LANGS}
    assert r["inputs"]["benchmark"] == name and r["inputs"]["languages"] == list(SEAEVAL_LANGS)
    assert len(r["inputs"]["predictions_sha256"]) == 64 and r["inputs"]["seed"] == 0
    for key in ("kappa", "answer_distribution", "pairwise_consistency", "ci95"):
        assert key in r
    assert len(r["pairwise_consistency"]) == 21


@pytest.mark.parametrize("name", ["cross-mmlu", "cross-logiqa"])
def test_all_a_accuracy_is_share_of_gold_a(tmp_path, data_dir, name):
    bench = load_benchmark(name, SEAEVAL_LANGS)
    preds = write_preds(tmp_path / "p.jsonl", bench, lambda s, lang, item: {"prediction": "(A)"})
    out = tmp_path / "r.json"
    assert runner.invoke(app, ["score", "--bench", name, "-p", str(preds), "--langs", SEVEN, "-o", str(out)]).exit_code == 0
    r = json.loads(out.read_text())
    share_a = sum(s.gold == 0 for s in bench.sets) / len(bench)
    assert r["accuracy"] == pytest.approx(share_a)
    assert 0 < share_a < 1
    assert r["consistency"]["3"] == 1.0 and r["kappa"]["3"] == 0.0


def test_choice_field_and_letters(tmp_path, data_dir):
    bench = load_benchmark("cross-mmlu", "en,zh")
    preds = write_preds(tmp_path / "p.jsonl", bench, lambda s, lang, item: {"choice": item.gold if lang == "en" else "ABCD"[item.gold]})
    out = tmp_path / "r.json"
    assert runner.invoke(app, ["score", "--bench", "cross-mmlu", "-p", str(preds), "--langs", "en,zh", "-o", str(out)]).exit_code == 0
    assert json.loads(out.read_text())["accuracy"] == 1.0


def _one_error_line(res):
    assert res.exit_code == 2
    lines = [line for line in res.output.strip().splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), res.output
    assert "Traceback" not in res.output
    return lines[0]


@pytest.mark.parametrize("bad_line,needle", [
    ('{"id": "test_1", "lang": "en", "choice": 0', "invalid JSON"),
    ('{"id": "nope", "lang": "en", "choice": 0}', "unknown id 'nope'"),
    ('{"id": "test_1", "lang": "xx", "choice": 0}', "unknown language 'xx'"),
    ('{"id": "test_1", "lang": "en", "choice": 7}', "out of range"),
    ('{"id": "test_1", "lang": "en", "choice": "Z"}', "not an index or a letter"),
    ('{"id": "test_1", "lang": "en", "choice": "AB"}', "not an index or a letter"),
    ('{"id": "test_1", "lang": "en", "choice": "()"}', "not an index or a letter"),
    ('{"id": "test_1", "lang": "en"}', "needs 'prediction'"),
    ('[1, 2]', "expected a JSON object"),
])
def test_malformed_predictions_name_file_and_line(tmp_path, data_dir, bad_line, needle):
    path = tmp_path / "p.jsonl"
    path.write_text('{"id": "test_2", "lang": "en", "choice": 1}\n' + bad_line + "\n")
    res = runner.invoke(app, ["score", "--bench", "cross-mmlu", "-p", str(path), "--langs", "en", "--allow-missing"])
    line = _one_error_line(res)
    assert f"{path}:2:" in line.replace("\n", "") and needle in line


def test_non_utf8_predictions_and_config_name_file_and_line(tmp_path, data_dir):
    path = tmp_path / "p.jsonl"
    path.write_bytes(b'{"id": "test_2", "lang": "en", "choice": 1}\n{"id": "test_1", "lang": "en", "prediction": "\xff"}\n')
    res = runner.invoke(app, ["score", "--bench", "cross-mmlu", "-p", str(path), "--langs", "en", "--allow-missing"])
    line = _one_error_line(res)
    assert f"{path}:2:" in line.replace("\n", "") and "not UTF-8" in line
    config = tmp_path / "c.yaml"
    config.write_bytes(b"model: gemma-3-270m\nlimit: 2\n# caf\xe9\n")
    line = _one_error_line(runner.invoke(app, ["eval", "--config", str(config)]))
    assert f"{config}:3:" in line.replace("\n", "") and "not UTF-8" in line


def test_missing_predictions_error_unless_allowed(tmp_path, data_dir):
    bench = load_benchmark("cross-mmlu", "en,zh")
    path = write_preds(tmp_path / "p.jsonl", bench, lambda s, lang, item: {"choice": item.gold})
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines[2:]) + "\n")  # drop test_1 in both languages
    line = _one_error_line(runner.invoke(app, ["score", "--bench", "cross-mmlu", "-p", str(path), "--langs", "en,zh"]))
    assert "2 (set, language) pairs have no prediction" in line and "(test_1, en)" in line
    out = tmp_path / "r.json"
    res = runner.invoke(app, ["score", "--bench", "cross-mmlu", "-p", str(path), "--langs", "en,zh", "--allow-missing", "-o", str(out)])
    assert res.exit_code == 0
    r = json.loads(out.read_text())
    assert r["unparsed"] == {"en": 1, "zh": 1}
    assert r["accuracy"] == pytest.approx(149 / 150)


def test_only_complete_scores_sets_with_every_language(tmp_path, data_dir):
    """A run on the first sets only (or a language cut short): --only-complete scores the complete sets, says how
    many it left out, and gives the same metrics as scoring those sets as a benchmark of their own."""
    bench = load_benchmark("cross-mmlu", "en,zh")
    path = write_preds(tmp_path / "p.jsonl", bench, lambda s, lang, item: {"choice": (item.gold + len(s.id) + (lang == "zh")) % 4})
    rows = [json.loads(x) for x in path.read_text().splitlines()]
    complete = {s.id for s in bench.sets[:20]}
    kept = [r for r in rows if r["id"] in complete or (r["lang"] == "en" and r["id"] in {s.id for s in bench.sets[20:30]})]
    path.write_text("".join(json.dumps(r) + "\n" for r in kept))
    out = tmp_path / "r.json"
    res = runner.invoke(app, ["score", "--bench", "cross-mmlu", "-p", str(path), "--langs", "en,zh", "--only-complete",
                              "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert "left out 130 of 150" in " ".join(res.output.split())
    r = json.loads(out.read_text())
    assert r["n_sets"] == 20 and r["inputs"]["sets_left_out"] == 130 and r["unparsed"] == {"en": 0, "zh": 0}
    first20 = load_benchmark("cross-mmlu", "en,zh", limit=20)
    assert [s.id for s in first20.sets] == [s.id for s in bench.sets[:20]]
    alone = tmp_path / "first20.jsonl"
    alone.write_text("".join(json.dumps(x) + "\n" for x in kept if x["id"] in complete))
    from crossin.score import score_file
    direct = score_file(first20, alone)
    assert r["accuracy"] == direct["accuracy"] and r["consistency"] == direct["consistency"]
    assert r["kappa"] == direct["kappa"] and 0 < r["accuracy"] < 1
    empty = tmp_path / "empty.jsonl"
    empty.write_text('{"id": "test_1", "lang": "en", "choice": 0}\n')
    line = _one_error_line(runner.invoke(app, ["score", "--bench", "cross-mmlu", "-p", str(empty), "--langs", "en,zh",
                                               "--only-complete"]))
    assert "no set has a prediction in every language" in line


def test_duplicate_prediction_is_an_error(tmp_path, data_dir):
    path = tmp_path / "p.jsonl"
    path.write_text('{"id": "test_1", "lang": "en", "choice": 1}\n{"id": "test_1", "lang": "English", "choice": 2}\n')
    line = _one_error_line(runner.invoke(app, ["score", "--bench", "cross-mmlu", "-p", str(path), "--langs", "en", "--allow-missing"]))
    assert ":2:" in line and "duplicate" in line and "first on line 1" in line


def _bench_file(tmp_path, mutate):
    bench = load_benchmark("cross-mmlu", "en,zh", limit=3)
    rows = [to_seaeval_row(s) for s in bench.sets]
    mutate(rows)
    path = tmp_path / "bench.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    return path


@pytest.mark.parametrize("mutate,needle", [
    (lambda rows: rows[1].pop("Chinese"), "set 'test_2' has no Chinese (zh)"),
    (lambda rows: rows[2]["English"].__setitem__("answer", "(A) something else"), "is not one of the choices"),
    (lambda rows: rows[1]["Chinese"]["choices"].append("(E) extra"), "different numbers of choices"),
    (lambda rows: rows[1]["English"].__setitem__("choices", ["(A) only one"]), "1 choices"),
    (lambda rows: rows[2].__setitem__("id", "test_1"), "duplicate id 'test_1'"),
])
def test_malformed_benchmark_file_names_line(tmp_path, data_dir, mutate, needle):
    path = _bench_file(tmp_path, mutate)
    with pytest.raises(CrossinError) as e:
        load_benchmark("cross-mmlu", "en,zh", path=path)
    assert needle in str(e.value) and str(path) in str(e.value)
    assert e.value.line in (2, 3)


def test_missing_language_in_real_file_is_reported(data_dir):
    with pytest.raises(CrossinError, match="unknown language 'klingon'"):
        load_benchmark("cross-mmlu", "en,klingon")


def test_seaeval_round_trip(tmp_path, data_dir):
    bench = load_benchmark("cross-logiqa", SEAEVAL_LANGS, limit=5)
    path = tmp_path / "b.jsonl"
    path.write_text("".join(json.dumps(to_seaeval_row(s), ensure_ascii=False) + "\n" for s in bench.sets))
    again = load_benchmark("cross-logiqa", SEAEVAL_LANGS, path=path)
    assert again.sets == bench.sets
    assert bench.sets[0].items["en"].context


def test_cli_error_has_no_traceback(tmp_path, data_dir):
    path = tmp_path / "p.jsonl"
    path.write_text("not json\n")
    proc = subprocess.run([sys.executable, "-m", "crossin", "score", "--bench", "cross-mmlu", "-p", str(path)],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr + proc.stdout
    assert f"{path}:1: invalid JSON" in " ".join((proc.stderr + proc.stdout).split())
