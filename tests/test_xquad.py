"""Cross-XQuAD: the build from the real XQuAD files (acceptance numbers), every validity rule on small
synthetic folders, determinism, scoring, errors, the LLM variant against a real local HTTP server, download."""

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
from openai_stub_server import StubServer
from typer.testing import CliRunner

from crossin.benchmarks import load_benchmark
from crossin.benchmarks.xquad import (
    XQUAD_LANGS, answer_type, build_cross_xquad, clean_option, download_xquad, norm_key, read_xquad_file,
)
from crossin.cli import app
from crossin.errors import CrossinError
from crossin.models.openai_api import openai_generator
from crossin.score import score

PAPER = ("en", "zh", "es", "vi")
runner = CliRunner()


@pytest.fixture(scope="module")
def xquad_dir(data_dir) -> Path:
    return data_dir / "xquad"


@pytest.fixture(scope="module")
def built(xquad_dir):
    return build_cross_xquad(xquad_dir, PAPER, seed=0)


# ------------------------------------------------------------------ synthetic folders

def write_xquad(folder: Path, articles: list[list[list[tuple[str, dict]]]], langs=("en", "zh", "es"), extra=None):
    """articles -> paragraphs -> (question id, {lang: answer}); the passage is every answer of the paragraph
    plus `extra[paragraph index]` words, so same-paragraph answers occur in it, like real extractive spans."""
    folder.mkdir(parents=True, exist_ok=True)
    extra = extra or {}
    for lang in langs:
        data, p_index = [], 0
        for ai, paragraphs in enumerate(articles):
            ps = []
            for qas in paragraphs:
                words = [a[lang] for _, a in qas] + [w[lang] for w in extra.get(p_index, [])]
                context = f"Passage {p_index} ({lang}): " + "; ".join(words) + "."
                ps.append({"context": context, "qas": [
                    {"id": qid, "question": f"Question {qid} in {lang}?",
                     "answers": [{"answer_start": context.find(a[lang]), "text": a[lang]}]}
                    for qid, a in qas
                ]})
                p_index += 1
            data.append({"title": f"article {ai}", "paragraphs": ps})
        (folder / f"xquad.{lang}.json").write_text(json.dumps({"data": data, "version": "1.1"}, ensure_ascii=False, indent=1))
    return folder


def same(text):
    return {"en": text, "zh": text, "es": text}


def options(result, set_id, lang="en"):
    pset = next(s for s in result.sets if s.id == set_id)
    item = pset.items[lang]
    return item.choices[item.gold], set(item.choices) - {item.choices[item.gold]}


# ------------------------------------------------------------------ the real build (acceptance)

def test_real_build_meets_acceptance(built):
    r = built.report
    assert r["n_questions"] == 1190 and r["n_sets"] >= 1180 and len(built.rows) == r["n_sets"]
    assert len(r["dropped"]) == 1190 - r["n_sets"] and all(d["reason"] for d in r["dropped"])
    for s in built.sets:
        assert set(s.items) == set(PAPER)
        golds = {item.gold for item in s.items.values()}
        assert len(golds) == 1, s.id
        for lang, item in s.items.items():
            assert len(item.choices) == 4 and len({norm_key(c) for c in item.choices}) == 4, (s.id, lang)
            assert item.context and item.question
    shares = np.bincount([s.gold for s in built.sets], minlength=4) / len(built.sets)
    assert all(0.22 <= x <= 0.28 for x in shares), shares
    assert r["gold_share"] == {k: round(x, 4) for k, x in zip("ABCD", shares)}
    for name, per_lang in r["baselines"].items():
        assert set(per_lang) == set(PAPER)
        assert all(acc <= 0.40 for acc in per_lang.values()), (name, per_lang)
    assert r["options_in_context"]["en"] >= 0.90
    assert 0.2 <= r["baselines"]["context"]["en"] <= 0.32  # near chance, not only under 40%
    assert sum(r["distractor_sources"].values()) == 3 * r["n_sets"]
    assert r["distractor_sources"]["paragraph"] > r["distractor_sources"]["article"]


def test_baselines_are_computed_not_assumed(built):
    # Make the gold the only option found in the passage / the longest one: the baselines must then be perfect.
    from crossin.benchmarks.base import MCQ, ParallelSet
    from crossin.benchmarks.xquad import options_in_context, trivial_baselines

    rigged = []
    for s in built.sets[:40]:
        item = s.items["en"]
        choices = tuple(c if i == item.gold else f"zzq{i}" for i, c in enumerate(item.choices))
        rigged.append(ParallelSet(s.id, {"en": MCQ(item.question, choices, item.gold, item.context)}))
    assert trivial_baselines(rigged, ["en"])["context"]["en"] == 1.0
    assert options_in_context(rigged, ["en"])["en"] == 0.0
    longest = [ParallelSet(s.id, {"en": MCQ(s.items["en"].question, tuple("x" * (9 if i == s.gold else 2) for i in range(4)),
                                            s.gold, s.items["en"].context)}) for s in built.sets[:40]]
    assert trivial_baselines(longest, ["en"])["longest"]["en"] == 1.0


def test_deterministic_other_seed_reorders_and_languages_do_not_change_sets(xquad_dir, built):
    again = build_cross_xquad(xquad_dir, PAPER, seed=0)
    assert again.jsonl().encode() == built.jsonl().encode()
    assert all(row["seed"] == 0 for row in built.rows)
    other = build_cross_xquad(xquad_dir, PAPER, seed=1)
    assert other.jsonl() != built.jsonl()
    assert [s.id for s in other.sets] == [s.id for s in built.sets]
    moved = sum(a.items["en"].choices != b.items["en"].choices for a, b in zip(built.sets, other.sets))
    assert moved > len(built.sets) // 2
    for a, b in zip(built.sets, other.sets):
        assert set(a.items["zh"].choices) == set(b.items["zh"].choices)
    # Validation runs over every language in the folder, so requesting more languages changes nothing for these four.
    wide = build_cross_xquad(xquad_dir, ("th", "en", "de", "zh", "es", "ru", "vi"), seed=0)
    assert [s.id for s in wide.sets] == [s.id for s in built.sets]
    for a, b in zip(built.sets, wide.sets):
        assert all(a.items[lang] == b.items[lang] for lang in PAPER)


def test_build_is_pinned_byte_for_byte(built):
    """The seed-0 en,zh,es,vi build of the XQuAD release, as built before the module was split (commit 74a69bc):
    a change here changes every cached build, so it comes with a new BUILD_VERSION and a new digest."""
    assert hashlib.sha256(built.jsonl().encode()).hexdigest() == (
        "295d1f34e3d44e0e6ccb8563408cdea7dfef2c359b1f73b592b8b043db9e1a63")


def test_twelve_languages_fast_and_valid(xquad_dir):
    result = build_cross_xquad(xquad_dir, XQUAD_LANGS, seed=0)
    assert result.report["build_seconds"] < 30
    assert result.report["n_sets"] >= 1180
    row = result.rows[0]
    assert {"English", "Chinese", "Thai", "Hindi", "Greek", "Turkish"} <= set(row)
    assert all(acc <= 0.40 for per_lang in result.report["baselines"].values() for acc in per_lang.values())


# ------------------------------------------------------------------ scoring and the registry hook

def test_score_gold_predictions_is_one_everywhere(tmp_path, built):
    out = tmp_path / "cx.jsonl"
    out.write_text(built.jsonl(), encoding="utf-8")
    bench = load_benchmark("cross-xquad-built", PAPER, path=out)
    assert len(bench) == built.report["n_sets"] and bench.sets[0].items["en"].context
    pred = np.array([[s.gold] * len(PAPER) for s in bench.sets])
    res = score(bench, pred, n_boot=10)
    assert res["accuracy"] == 1.0 and set(res["language_accuracy"].values()) == {1.0}
    assert set(res["consistency"].values()) == {1.0} and set(res["ac3"].values()) == {1.0}
    wrong = score(bench, (pred + 1) % 4, n_boot=10)
    assert wrong["accuracy"] == 0.0
    # The CLI reads the same file with raw-text predictions in SeaEval's answer format.
    preds = tmp_path / "p.jsonl"
    preds.write_text("".join(
        json.dumps({"id": s.id, "lang": lang, "prediction": f"({'ABCD'[s.gold]}) {s.items[lang].choices[s.gold]}"},
                   ensure_ascii=False) + "\n" for s in bench.sets for lang in PAPER), encoding="utf-8")
    res = runner.invoke(app, ["score", "--bench", "cross-xquad-built", "--bench-file", str(out), "-p", str(preds),
                              "--n-boot", "10", "--out", str(tmp_path / "r.json")])
    assert res.exit_code == 0, res.output
    r = json.loads((tmp_path / "r.json").read_text())
    assert r["accuracy"] == 1.0 and set(r["language_accuracy"].values()) == {1.0} and r["ac3"]["4"] == 1.0


def test_registry_builds_into_cache_once(tmp_path, monkeypatch, data_dir, built):
    monkeypatch.setenv("CROSSIN_CACHE", str(tmp_path / "cache"))
    bench = load_benchmark("cross-xquad-built", PAPER, data_dir=data_dir)
    assert len(bench) == 1190 and bench.name == "cross-xquad-built"  # 1,190 of 1,190 sets
    cached = Path(bench.source)
    assert cached.parent == tmp_path / "cache" / "benchmarks" and cached.name.startswith("cross_xquad_")
    assert cached.read_text(encoding="utf-8") == built.jsonl()  # seed 0, same languages
    assert bench.meta["source"] == {"name": "cross-xquad-built", "file": str(cached), "sha256": bench.sha256}
    mtime = cached.stat().st_mtime_ns
    assert Path(load_benchmark("cross-xquad-built", PAPER, data_dir=data_dir).source).stat().st_mtime_ns == mtime
    two = load_benchmark("cross-xquad-built", ("en", "zh"), data_dir=data_dir)
    assert Path(two.source) != cached and len(two) == len(bench)
    with pytest.raises(CrossinError, match="no xquad/xquad.<lang>.json"):
        load_benchmark("cross-xquad-built", PAPER, data_dir=tmp_path / "cache")


def test_registry_imports_xquad_on_first_use_only():
    """The registry names cross-xquad-built by "module:attribute" and imports it when asked; each imports alone."""
    import os
    import subprocess
    import sys

    import crossin

    code = (
        "import sys; import crossin.benchmarks.registry as r\n"
        "assert 'crossin.benchmarks.xquad' not in sys.modules and 'cross-xquad-built' in r.benchmark_names()\n"
        "assert r.get_spec('cross_xquad_built').builder is not None and 'crossin.benchmarks.xquad' in sys.modules\n"
        "assert not [m for m in sys.modules if m.startswith('crossin.models')], 'benchmarks import models'\n"
    )
    src = str(Path(crossin.__file__).parents[1])
    for run in (code, "import crossin.benchmarks.xquad"):
        res = subprocess.run([sys.executable, "-c", run], env={**os.environ, "PYTHONPATH": src}, capture_output=True, text=True)
        assert res.returncode == 0, res.stderr


def test_cli_build_report_and_summary(tmp_path, xquad_dir, built):
    out, report = tmp_path / "cx.jsonl", tmp_path / "report.json"
    res = runner.invoke(app, ["bench", "build-xquad", "--xquad-dir", str(xquad_dir), "--langs", "en,zh,es,vi",
                              "--seed", "0", "--out", str(out), "--report", str(report)])
    assert res.exit_code == 0, res.output
    assert out.read_bytes() == built.jsonl().encode()
    rep = json.loads(report.read_text())
    for key in ("n_sets", "dropped", "gold_positions", "distractor_sources", "baselines", "options_in_context", "seed"):
        assert key in rep
    assert "baseline" in res.output and "gold positions" in res.output and "wrote" in res.output


# ------------------------------------------------------------------ validity rules (synthetic)

def test_every_validity_rule(tmp_path):
    gold = {"en": "New York City", "zh": "纽约市", "es": "ciudad de Nueva York"}
    para = [
        ("g", gold),
        ("equal", {"en": "new york city.", "zh": "纽约市", "es": "Ciudad de Nueva York"}),  # equal after normalising
        ("inside", {"en": "York", "zh": "约克", "es": "York"}),  # contained in the gold
        ("around", {"en": "New York City Hall", "zh": "纽约市政厅", "es": "ayuntamiento"}),  # contains the gold (en, zh)
        ("zh_only", {"en": "Lyon", "zh": "纽约市", "es": "Lyon"}),  # equal to the gold in Chinese only
        ("es_only", {"en": "Boston", "zh": "波士顿", "es": "Nueva York"}),  # contained in the gold in Spanish only
        ("chicago", {"en": "Chicago", "zh": "芝加哥", "es": "Chicago"}),
        ("chicago2", {"en": "chicago", "zh": "芝加哥", "es": "Chicago"}),  # the same option twice
        ("denver", {"en": "Denver", "zh": "丹佛", "es": "Denver"}),
    ]
    other = [("houston", {"en": "Houston", "zh": "休斯顿", "es": "Houston"}), ("x1", same("a quiet reading room upstairs in the old library"))]
    folder = write_xquad(tmp_path / "xq", [[para, other]])
    for langs in (("en", "zh"), ("en", "zh", "es")):  # Spanish is validated even when not requested
        result = build_cross_xquad(folder, langs)
        g, distractors = options(result, "g")
        assert g == "New York City"
        assert distractors == {"Chicago", "Denver", "Houston"}, distractors
        zh_gold, zh_distractors = options(result, "g", "zh")
        assert zh_gold == "纽约市" and zh_distractors == {"芝加哥", "丹佛", "休斯顿"}
    assert result.report["validation_languages"] == ["en", "es", "zh"]


def test_preference_passage_then_type_then_length_then_paragraph(tmp_path):
    p1 = [("g", same("1990")), ("blue", same("blue")), ("turtle", same("green sea turtle")), ("w", same("the northern shore of the lake"))]
    p2 = [("y85", same("1985")), ("y70", same("1970")), ("y60", same("1960")), ("red", same("red"))]
    # 1970 and 1960 are also mentioned in the first passage; 1985 is not.
    folder = write_xquad(tmp_path / "xq", [[p1, p2]], extra={0: [same("1970"), same("1960")]})
    result = build_cross_xquad(folder, ("en",))
    assert options(result, "g")[1] == {"1970", "1960", "blue"}
    assert answer_type("1990") == "date"
    # The 1985 question: no other year is in its passage except 1970/1960 (paragraph 2's own answers).
    assert options(result, "y85")[1] == {"1970", "1960", "red"}
    assert result.report["distractor_sources"]["article"] > 0 and result.report["distractor_sources"]["paragraph"] > 0


def test_too_few_distractors_dropped_with_reason(tmp_path):
    articles = [
        [[("a1", same("alpha")), ("a2", same("beta")), ("a3", same("gamma")), ("a4", same("delta"))]],
        [[("lonely", same("omega")), ("dup", same("Omega"))]],  # the only other answer equals it
    ]
    result = build_cross_xquad(write_xquad(tmp_path / "xq", articles), ("en", "zh"))
    assert [s.id for s in result.sets] == ["a1", "a2", "a3", "a4"]
    assert {d["id"]: d["reason"] for d in result.report["dropped"]} == {
        "lonely": "only 0 valid distractors in the article", "dup": "only 0 valid distractors in the article"}


def test_answer_types_and_cleaning():
    assert [answer_type(t) for t in ("308", "four", "1.5 million", "17,786,419", "10%")] == ["number"] * 5
    assert [answer_type(t) for t in ("1685", "January 1, 2016", "the 1990s", "19th century", "after 1850")] == ["date"] * 5
    assert [answer_type(t) for t in ("Kawann Short", "Pittsburgh Steelers", "University of Chicago")] == ["name"] * 3
    assert answer_type("stiffened cilia") == "short" and answer_type("pasture for cattle in the summer") == "long"
    assert clean_option(" two. ") == "two" and clean_option("U.S.") == "U.S." and clean_option("136 次。") == "136 次"
    assert norm_key("Kawann  Short.") == norm_key("kawann short") and norm_key("136 次") == norm_key("136次")


# ------------------------------------------------------------------ bad input

def test_malformed_xquad_files_name_the_file(tmp_path):
    folder = write_xquad(tmp_path / "xq", [[[("a", same("alpha")), ("b", same("beta"))]]])
    bad = folder / "xquad.zh.json"
    bad.write_text('{"data": [\n  {"paragraphs": [\n  oops\n]}]}', encoding="utf-8")
    with pytest.raises(CrossinError, match="invalid JSON") as e:
        build_cross_xquad(folder, ("en", "zh"))
    assert e.value.path == str(bad) and e.value.line == 3
    obj = json.loads((folder / "xquad.en.json").read_text())
    del obj["data"][0]["paragraphs"][0]["qas"][1]["answers"]
    bad.write_text(json.dumps(obj, indent=1), encoding="utf-8")
    with pytest.raises(CrossinError, match="question 'b': 'answers' missing") as e:
        read_xquad_file(bad)
    assert e.value.path == str(bad) and e.value.line is not None
    bad.write_text(json.dumps({"version": "1.1"}), encoding="utf-8")
    with pytest.raises(CrossinError, match="'data' missing"):
        read_xquad_file(bad)
    res = runner.invoke(app, ["bench", "build-xquad", "--xquad-dir", str(folder), "--langs", "en,zh", "--out", str(tmp_path / "o.jsonl")])
    assert res.exit_code == 2 and str(bad) in res.output and "Traceback" not in res.output
    assert not (tmp_path / "o.jsonl").exists()
    res = runner.invoke(app, ["bench", "build-xquad", "--xquad-dir", str(folder), "--langs", "en,th", "--out", str(tmp_path / "o.jsonl")])
    assert res.exit_code == 2 and "xquad.th.json" in res.output


def test_question_missing_in_one_language_is_an_error(tmp_path):
    """XQuAD files are parallel: a question id in English but not in Spanish means a damaged file (issue 13)."""
    articles = [[[(q, same(a)) for q, a in (("a", "alpha"), ("b", "beta"), ("c", "gamma"), ("d", "delta"), ("e", "epsilon"))]]]
    folder = write_xquad(tmp_path / "xq", articles)
    obj = json.loads((folder / "xquad.es.json").read_text())
    del obj["data"][0]["paragraphs"][0]["qas"][4]
    (folder / "xquad.es.json").write_text(json.dumps(obj))
    with pytest.raises(CrossinError, match="question 'e' of xquad.en.json is missing here") as e:
        build_cross_xquad(folder, ("en", "zh"))
    assert e.value.path == str(folder / "xquad.es.json")


# ------------------------------------------------------------------ LLM generator and download (real local HTTP)

def test_openai_generator_against_local_server(tmp_path):
    para = [(q, {"en": a, "zh": f"{a}（中）", "es": f"{a} (es)"}) for q, a in
            (("a", "alpha"), ("b", "beta"), ("c", "gamma"), ("d", "delta"), ("n", "42"), ("f", "phi"))]
    folder = write_xquad(tmp_path / "xq", [[para]])
    cache = tmp_path / "llm.jsonl"
    with StubServer() as server:
        gen = openai_generator(server.url, "stub-model", seed=0, cache=cache)
        result = build_cross_xquad(folder, ("en", "zh"), generator=gen, workers=2)
        assert len(server.requests) == 6 and server.requests[0]["model"] == "stub-model"
        assert server.requests[0]["seed"] == 0 and server.requests[0]["temperature"] == 0.0
        rep = result.report
        # Per question the stub proposes 5: one usable, four invalid; the number question gets prose.
        assert rep["generator"] == "openai"
        assert rep["llm"]["accepted"] == 5 and rep["llm"]["proposed"] == 25
        assert rep["llm"]["rejected: gold equal"] == 5 and rep["llm"]["rejected: gold contained"] == 5
        assert rep["llm"]["rejected: no text in some language"] == 5 and rep["llm"]["rejected: duplicate option"] == 5
        assert rep["llm"]["unusable replies (no JSON 'distractors' list)"] == 1
        assert rep["llm"]["sets_with_fallback"] == 6
        assert rep["distractor_sources"] == {"paragraph": 13, "article": 0, "llm": 5}
        for s in result.sets:
            en = s.items["en"].choices
            stub = [c for c in en if c.startswith("stub proposal")]
            assert len(stub) == (0 if s.id == "n" else 1), (s.id, en)
            assert len({norm_key(c) for c in en}) == 4
            if stub:  # the accepted proposal sits at the same position in every language
                i = en.index(stub[0])
                assert s.items["zh"].choices[i].startswith("stub proposal") and s.items["zh"].choices[i].endswith("zh")
        # A rerun resumes from the reply log: no new requests, the same file.
        again = build_cross_xquad(folder, ("en", "zh"), generator=openai_generator(server.url, "stub-model", cache=cache))
        assert len(server.requests) == 6 and again.jsonl() == result.jsonl()
        # And through the CLI.
        out = tmp_path / "cli.jsonl"
        res = runner.invoke(app, ["bench", "build-xquad", "--xquad-dir", str(folder), "--langs", "en,zh", "--out", str(out),
                                  "--generator", "openai", "--base-url", server.url, "--model", "other-model"])
        assert res.exit_code == 0, res.output
        assert len(server.requests) == 12 and (tmp_path / "cli.jsonl.llm.jsonl").exists()
        assert out.read_text(encoding="utf-8") == result.jsonl()
    res = runner.invoke(app, ["bench", "build-xquad", "--xquad-dir", str(folder), "--out", str(out), "--generator", "openai"])
    assert res.exit_code == 2 and "--base-url" in res.output


def test_download_from_release_url(tmp_path, monkeypatch, xquad_dir):
    with StubServer(static_dir=xquad_dir) as server:
        monkeypatch.setenv("CROSSIN_XQUAD_URL", server.files_url + "/xquad.{lang}.json")
        dest = download_xquad(tmp_path / "dl", ("en", "vi"))
        for lang in ("en", "vi"):
            got = (dest / f"xquad.{lang}.json").read_bytes()
            assert hashlib.sha256(got).digest() == hashlib.sha256((xquad_dir / f"xquad.{lang}.json").read_bytes()).digest()
        with pytest.raises(CrossinError, match="could not download .*xquad.xx.json"):
            download_xquad(tmp_path / "dl", ("xx",))
