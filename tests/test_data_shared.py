"""crossin.data on the shared en+zh corpus (52,002 Alpaca samples): every recipe builds, texts are exact, balanced."""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

import pytest

from crossin.data import DataConfig, build_mix, load_corpus
from crossin.langs import to_name

DATA_DIR = Path(os.environ["CROSSIN_DATA_DIR"])  # set by conftest.py
CORPUS = DATA_DIR / "parallel_instructions_en_zh_partial"


@pytest.fixture(scope="module")
def raw(alpaca_dir) -> dict[str, dict[str, dict]]:
    """The corpus parsed without crossin: lang -> id -> record."""
    out = {}
    for lang in ("en", "zh"):
        with open(CORPUS / f"{lang}.jsonl", encoding="utf-8") as f:
            out[lang] = {r["id"]: r for r in map(json.loads, f)}
    return out


@pytest.fixture(scope="module")
def corpus(alpaca_dir):
    return load_corpus(DataConfig(parallel=str(CORPUS), out="unused"))  # lang-id on, as by default


def check_rows(rows: list[dict], raw: dict, template: str) -> None:
    for r in rows:
        sid = r["source_id"]
        if r["recipe"] == "translation":
            assert r["instruction"] == template.format(language=to_name(r["output_lang"]))
            assert r["input"] == raw[r["input_lang"]][sid]["instruction"]
            assert r["output"] == raw[r["output_lang"]][sid]["instruction"]
        else:
            src = raw[r["instruction_lang"]][sid]
            assert (r["instruction"], r["input"]) == (src["instruction"], src["input"]), sid
            assert r["output"] == raw[r["output_lang"]][sid]["output"], sid


def test_x2x_5000_mix_every_sample_exact_and_balanced(tmp_path, corpus, raw):
    cfg = DataConfig(parallel=str(CORPUS), recipe="x2x", n=5000, translation=1000, translation_directions="x2x",
                     base_n=2000, out=str(tmp_path / "x2x"))
    out = build_mix(cfg, corpus=corpus)
    rows = [json.loads(line) for line in (out / "train.jsonl").read_text(encoding="utf-8").splitlines()]
    assert Counter(r["recipe"] for r in rows) == {"base": 2000, "x2x": 5000, "translation": 1000}
    check_rows(rows, raw, cfg.translation_template)
    x2x = Counter((r["instruction_lang"], r["output_lang"]) for r in rows if r["recipe"] == "x2x")
    assert x2x == {("en", "zh"): 2500, ("zh", "en"): 2500}  # never a language with itself; balanced
    trans = Counter((r["input_lang"], r["output_lang"]) for r in rows if r["recipe"] == "translation")
    assert trans == {("en", "zh"): 500, ("zh", "en"): 500}
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["counts"]["by_pair"]["x2x"] == {"en>zh": 2500, "zh>en": 2500}
    assert manifest["corpus"]["dropped"]["zh"]["empty"] >= 50  # SOURCE.md: 50 empty zh outputs + 1 empty zh input
    assert manifest["corpus"]["dropped"]["en"]["empty"] == 49


@pytest.mark.parametrize("recipe", ["en2x", "x2en", "monolingual", "translation"])
def test_every_recipe_builds_with_exact_texts(tmp_path, corpus, raw, recipe):
    cfg = DataConfig(parallel=str(CORPUS), recipe=recipe, n=0 if recipe == "translation" else 3000,
                     translation=600 if recipe == "translation" else 0, base="none", seed=4, out=str(tmp_path / recipe))
    rows = [json.loads(line) for line in (build_mix(cfg, corpus=corpus) / "train.jsonl").read_text().splitlines()]
    check_rows(rows, raw, cfg.translation_template)
    pairs = Counter((r["input_lang"], r["output_lang"]) for r in rows)
    expected = {"en2x": {("en", "zh"): 3000}, "x2en": {("zh", "en"): 3000},
                "monolingual": {("en", "en"): 1500, ("zh", "zh"): 1500}, "translation": {("zh", "en"): 600}}
    assert pairs == expected[recipe]


def test_min_score_keeps_only_well_scored_chinese(corpus):
    scored = load_corpus(DataConfig(parallel=str(CORPUS), min_score=4, langid=False, out="unused"))
    with open(CORPUS / "zh_translation_score.jsonl", encoding="utf-8") as f:
        scores = {r["id"]: r["score"] for r in map(json.loads, f)}
    kept = [sid for i, sid in enumerate(scored.ids) if scored.valid["zh"][i]]
    assert kept and all(scores[sid] is not None and scores[sid] >= 4 for sid in kept)
    assert len(kept) + scored.dropped["zh"]["empty"] + scored.dropped["zh"]["score"] == 52002
    assert len(kept) <= 47485 and scored.dropped["en"]["score"] == 0  # SOURCE.md: 47,485 with score >= 4
    assert scored.filters["score_files"][0]["lang"] == "zh"
