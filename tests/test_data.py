"""crossin.data on a 4-language corpus written by the tests: loading, validation, recipes, Algorithm 1, CLI."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crossin.cli.app import app
from crossin.data import DataConfig, build_mix, load_corpus, mix_stats, read_samples
from crossin.data.mix import spread_order
from crossin.errors import CrossinError
from crossin.langs import to_name

LANGS = ("en", "zh", "es", "vi")
N_SAMPLES = 240
TOPICS = {
    "en": ["clean water", "public transport", "good schools", "fresh food", "safe streets", "quiet parks"],
    "zh": ["清洁的水", "公共交通", "好学校", "新鲜食物", "安全的街道", "安静的公园"],
    "es": ["el agua limpia", "el transporte público", "las buenas escuelas", "la comida fresca", "las calles seguras",
           "los parques tranquilos"],
    "vi": ["nước sạch", "giao thông công cộng", "trường học tốt", "thực phẩm tươi", "đường phố an toàn",
           "công viên yên tĩnh"],
}
INSTRUCTION = {
    "en": "Explain in simple words why {t} matters for the people who live in a big city. Sample {i}.",
    "zh": "请用简单的话解释为什么{t}对住在大城市的人们很重要。样本{i}。",
    "es": "Explica con palabras sencillas por qué {t} es importante para las personas que viven en una gran ciudad. "
          "Ejemplo {i}.",
    "vi": "Hãy giải thích bằng những từ đơn giản tại sao {t} lại quan trọng đối với những người sống ở một thành phố "
          "lớn. Mẫu {i}.",
}
INPUT = {"en": "The city has {i} thousand inhabitants.", "zh": "这座城市有{i}千个居民。",
         "es": "La ciudad tiene {i} mil habitantes.", "vi": "Thành phố có {i} nghìn cư dân."}
OUTPUT = {
    "en": "This is answer number {i}. It matters because it changes the daily life of many families and their "
          "neighbours.",
    "zh": "这是第{i}个回答。它很重要，因为它改变了许多家庭和他们邻居的日常生活。",
    "es": "Esta es la respuesta número {i}. Es importante porque cambia la vida diaria de muchas familias y de sus "
          "vecinos.",
    "vi": "Đây là câu trả lời số {i}. Điều đó quan trọng vì nó thay đổi cuộc sống hằng ngày của nhiều gia đình và "
          "hàng xóm của họ.",
}
# Deliberate defects, each dropped from one language only.
MISSING_VI = 7          # no vi line
EMPTY_ES_OUTPUT = 11    # es output ""
EMPTY_ZH_INPUT = 12     # en has an input (12 % 3 == 0), zh's is empty
UNTRANSLATED_ZH = 13    # zh side is the English text


def sample(lang: str, i: int) -> dict:
    t = TOPICS[lang][i % len(TOPICS[lang])]
    return {"id": f"s-{i:04d}", "instruction": INSTRUCTION[lang].format(t=t, i=i),
            "input": INPUT[lang].format(i=i) if i % 3 == 0 else "", "output": OUTPUT[lang].format(i=i)}


def write_corpus(folder: Path, n: int = N_SAMPLES, langs=LANGS) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for lang in langs:
        rows = []
        for i in range(n):
            if lang == "vi" and i == MISSING_VI:
                continue
            row = sample(lang, i)
            if lang == "es" and i == EMPTY_ES_OUTPUT:
                row["output"] = ""
            if lang == "zh" and i == EMPTY_ZH_INPUT:
                row["input"] = ""
            if lang == "zh" and i == UNTRANSLATED_ZH:
                row = {**sample("en", i), "id": row["id"]}
            rows.append(row)
        (folder / f"{lang}.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                                              encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory) -> Path:
    return write_corpus(tmp_path_factory.mktemp("corpus") / "par")


@pytest.fixture(scope="module")
def corpus(corpus_dir):
    return load_corpus(DataConfig(parallel=str(corpus_dir), out="unused"))


def read_rows(folder: Path, name: str = "train.jsonl") -> list[dict]:
    return [json.loads(line) for line in (folder / name).read_text(encoding="utf-8").splitlines()]


def raw_sources(folder: Path) -> dict[str, dict[str, dict]]:
    """The corpus files parsed independently of crossin: lang -> id -> record."""
    out = {}
    for path in folder.glob("*.jsonl"):
        if "_" in path.name:
            continue
        out[path.stem] = {r["id"]: r for r in map(json.loads, path.read_text(encoding="utf-8").splitlines())}
    return out


def check_exact_texts(rows: list[dict], raw: dict, cfg: DataConfig) -> None:
    """Every row's texts are the source sample's texts in the languages the row claims."""
    for row in rows:
        sid, rec = row["source_id"], row["recipe"]
        src_in, src_out = raw[row["input_lang"]][sid], raw[row["output_lang"]][sid]
        if rec == "translation":
            assert row["instruction"] == cfg.translation_template.format(language=to_name(row["output_lang"]))
            assert row["input"] == src_in["instruction"] and row["output"] == src_out["instruction"]
            assert row["input_lang"] != row["output_lang"]
        else:
            assert row["input_lang"] == row["instruction_lang"]
            instruction = raw[row["instruction_lang"]][sid]["instruction"]
            if cfg.name_output_lang and rec != "base":
                instruction += "\n\n" + cfg.output_lang_template.format(language=to_name(row["output_lang"]))
            assert row["instruction"] == instruction, (sid, rec)
            assert row["input"] == src_in["input"] and row["output"] == src_out["output"], (sid, rec)


def assert_balanced(rows: list[dict], recipe: str, expected_pairs: set[tuple[str, str]]) -> None:
    pairs = Counter((r["instruction_lang"] if recipe != "translation" else r["input_lang"], r["output_lang"])
                    for r in rows if r["recipe"] == recipe)
    assert set(pairs) == expected_pairs
    assert max(pairs.values()) - min(pairs.values()) <= 1  # dealt evenly: far inside "within 10%"


# ----------------------------------------------------------------------------------------------------------- corpus

def test_validation_counts_each_defect_once(corpus):
    d = corpus.dropped
    assert len(corpus) == N_SAMPLES
    assert d["vi"]["missing"] == 1 and sum(d["vi"].values()) == 1
    assert d["es"]["empty"] == 1 and sum(d["es"].values()) == 1
    assert d["zh"]["empty"] == 1 and d["zh"]["langid"] == 1 and sum(d["zh"].values()) == 2
    assert sum(d["en"].values()) == 0
    idx = {sid: i for i, sid in enumerate(corpus.ids)}
    assert not corpus.valid["zh"][idx[f"s-{UNTRANSLATED_ZH:04d}"]] and corpus.valid["en"][idx[f"s-{UNTRANSLATED_ZH:04d}"]]
    assert corpus.valid["vi"][idx[f"s-{EMPTY_ES_OUTPUT:04d}"]] and not corpus.valid["es"][idx[f"s-{EMPTY_ES_OUTPUT:04d}"]]


def test_langid_can_be_switched_off(corpus_dir):
    c = load_corpus(DataConfig(parallel=str(corpus_dir), langs=["en", "zh"], langid=False, out="x"))
    assert c.langs == ("en", "zh") and c.dropped["zh"]["langid"] == 0 and c.dropped["zh"]["empty"] == 1
    assert c.filters["langid"]["enabled"] is False


@pytest.mark.parametrize("content, expect", [
    ('{"id": "a", "instruction": "x", "output": "y"}\n{"id": "b", "instruction": "x", "output": ', "invalid JSON"),
    ('{"id": "a", "instruction": "x", "output": "y"}\n{"id": "b", "instruction": "x"}', "'output' is missing"),
    ('{"id": "a", "instruction": "x", "output": "y"}\n{"id": "a", "instruction": "x", "output": "z"}', "duplicate id"),
    ('{"id": "a", "instruction": "x", "output": "y"}\n{"id": "b", "instruction": 3, "output": "z"}', "not a string"),
    ('{"id": "a", "instruction": "x", "output": "y"}\n["b"]', "expected a JSON object"),
])
def test_malformed_line_names_file_and_line(tmp_path, content, expect):
    path = tmp_path / "en.jsonl"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CrossinError) as err:
        read_samples(path, "en")
    assert err.value.path == str(path) and err.value.line == 2 and expect in str(err.value)


def test_malformed_json_array_item_names_its_line(tmp_path):
    path = tmp_path / "alpaca_es.json"
    items = [{"instruction": "a", "input": "", "output": "b"}, {"instruction": "c", "input": ""}]
    path.write_text(json.dumps(items, indent=4), encoding="utf-8")
    with pytest.raises(CrossinError) as err:
        read_samples(path, "es")
    assert err.value.line == 7 and "item 1" in str(err.value) and "'output' is missing" in str(err.value)


def test_alpaca_json_arrays_join_by_position(tmp_path):
    folder = tmp_path / "xllm"
    folder.mkdir()
    en = [{**sample("en", i), "id": f"alpaca-{i:05d}"} for i in range(30)]
    (folder / "en.jsonl").write_text("".join(json.dumps(r) + "\n" for r in en), encoding="utf-8")
    es = [{k: v for k, v in sample("es", i).items() if k != "id"} for i in range(30)]
    (folder / "alpaca_es.json").write_text(json.dumps(es, ensure_ascii=False, indent=2), encoding="utf-8")
    out = build_mix(DataConfig(parallel=str(folder), recipe="x2x", n=40, base="none", out=str(tmp_path / "m")))
    rows = read_rows(out)
    assert len(rows) == 40
    for r in rows:
        i = int(r["source_id"].split("-")[1])
        lang_out = r["output_lang"]
        assert r["output"] == sample(lang_out, i)["output"] and r["instruction"] == sample(r["instruction_lang"], i)["instruction"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert {s["format"] for s in manifest["sources"]} == {"jsonl", "json"}


def test_min_score_filters_one_language(tmp_path, corpus_dir):
    scores = tmp_path / "es_translation_score.jsonl"
    scores.write_text("".join(json.dumps({"id": f"s-{i:04d}", "score": None if i == 5 else i % 5 + 1}) + "\n"
                              for i in range(N_SAMPLES)), encoding="utf-8")
    c = load_corpus(DataConfig(parallel=str(corpus_dir), langid=False, min_score=4, score_files=[str(scores)], out="x"))
    expected = sum(1 for i in range(N_SAMPLES) if i == 5 or i % 5 + 1 < 4) - (EMPTY_ES_OUTPUT % 5 + 1 < 4)
    assert c.dropped["es"]["score"] == expected and c.dropped["en"]["score"] == 0
    assert c.filters["score_files"][0]["lang"] == "es"
    with pytest.raises(CrossinError, match="no score file"):
        load_corpus(DataConfig(parallel=str(corpus_dir), langid=False, min_score=4, out="x"))


# ----------------------------------------------------------------------------------------------------------- recipes

@pytest.mark.parametrize("recipe, expected", [
    ("en2x", {("en", x) for x in LANGS if x != "en"}),
    ("x2en", {(x, "en") for x in LANGS if x != "en"}),
    ("x2x", {(a, b) for a in LANGS for b in LANGS if a != b}),
    ("monolingual", {(x, x) for x in LANGS}),
])
def test_recipes_exact_texts_and_balance(tmp_path, corpus_dir, corpus, recipe, expected):
    cfg = DataConfig(parallel=str(corpus_dir), recipe=recipe, n=601, translation=120, translation_directions="x2x",
                     base_n=50, seed=3, out=str(tmp_path / recipe))
    rows = read_rows(build_mix(cfg, corpus=corpus))
    assert Counter(r["recipe"] for r in rows) == {"base": 50, recipe: 601, "translation": 120}
    check_exact_texts(rows, raw_sources(corpus_dir), cfg)
    assert_balanced(rows, recipe, expected)
    assert_balanced(rows, "translation", {(a, b) for a in LANGS for b in LANGS if a != b})
    # no dropped (sample, language) is ever used
    idx = {sid: i for i, sid in enumerate(corpus.ids)}
    for r in rows:
        if r["recipe"] != "base":
            assert corpus.valid[r["input_lang"]][idx[r["source_id"]]] and corpus.valid[r["output_lang"]][idx[r["source_id"]]]


def test_translation_recipe_and_explicit_directions(tmp_path, corpus_dir, corpus):
    cfg = DataConfig(parallel=str(corpus_dir), recipe="translation", n=0, translation=90,
                     translation_directions="zh-en,en>vi", base="none", out=str(tmp_path / "t"))
    rows = read_rows(build_mix(cfg, corpus=corpus))
    assert Counter((r["input_lang"], r["output_lang"]) for r in rows) == {("zh", "en"): 45, ("en", "vi"): 45}
    check_exact_texts(rows, raw_sources(corpus_dir), cfg)
    assert {r["instruction"] for r in rows} == {"Translate the following sentence into English.",
                                                "Translate the following sentence into Vietnamese."}
    cfg.recipe, cfg.n = "translation", 10
    with pytest.raises(CrossinError, match="no language pairs"):
        build_mix(cfg, corpus=corpus)


def test_name_output_lang_appends_the_language(tmp_path, corpus_dir, corpus):
    cfg = DataConfig(parallel=str(corpus_dir), recipe="x2x", n=60, base="none", name_output_lang=True,
                     out=str(tmp_path / "h"))
    rows = read_rows(build_mix(cfg, corpus=corpus))
    check_exact_texts(rows, raw_sources(corpus_dir), cfg)
    assert all(r["instruction"].endswith(f"Respond in {to_name(r['output_lang'])}.") for r in rows)


def test_no_sample_repeats_until_the_pool_is_used_up(tmp_path, corpus_dir, corpus):
    cfg = DataConfig(parallel=str(corpus_dir), recipe="en2x", n=200, base="none", out=str(tmp_path / "u"))
    rows = read_rows(build_mix(cfg, corpus=corpus))
    assert len({r["source_id"] for r in rows}) == 200
    cfg.n, cfg.out = 3 * N_SAMPLES, str(tmp_path / "u2")
    manifest = json.loads((build_mix(cfg, corpus=corpus) / "manifest.json").read_text())
    assert manifest["recipe"]["reused_source_samples"] > 0


# ------------------------------------------------------------------------------------------------------ Algorithm 1

def test_same_seed_byte_identical_other_seed_differs(tmp_path, corpus_dir):
    def build(seed, name):
        return build_mix(DataConfig(parallel=str(corpus_dir), recipe="x2x", n=300, translation=50, base_n=100,
                                    seed=seed, out=str(tmp_path / name)))
    a, b, c = build(0, "a"), build(0, "b"), build(1, "c")
    for name in ("train.jsonl", "messages.jsonl", "manifest.json"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    assert (a / "train.jsonl").read_bytes() != (c / "train.jsonl").read_bytes()
    assert json.loads((c / "manifest.json").read_text())["seed"] == 1


def test_rows_sharing_a_source_id_are_spread(tmp_path, corpus_dir, corpus):
    cfg = DataConfig(parallel=str(corpus_dir), recipe="x2x", n=2 * N_SAMPLES, translation=N_SAMPLES,
                     translation_directions="x2x", seed=5, out=str(tmp_path / "s"))
    rows = read_rows(build_mix(cfg, corpus=corpus))
    positions: dict[str, list[int]] = {}
    for pos, r in enumerate(rows):
        positions.setdefault(r["source_id"], []).append(pos)
    n = len(rows)
    sizes = Counter(len(p) for p in positions.values())
    assert max(sizes) >= 4  # base + several CrossIn/translation uses: the property is exercised
    for pos in positions.values():
        k = len(pos)
        if k > 1:
            # keys are exactly 1/k apart, so rows are ~n/k apart; half of that leaves room for sorting noise
            assert min(b - a for a, b in zip(pos, pos[1:])) >= n / (2 * k)
    manifest = json.loads((Path(cfg.out) / "manifest.json").read_text())
    assert manifest["order"]["min_repeat_gap"] == min(min(b - a for a, b in zip(p, p[1:]))
                                                      for p in positions.values() if len(p) > 1)


def test_spread_order_is_still_a_fair_shuffle():
    import random

    # singletons only: each row's final position must be uniform; check that row 0 lands all over the file
    ids = [f"id{i}" for i in range(50)]
    firsts = Counter(spread_order(ids, random.Random(s)).index(0) // 10 for s in range(500))
    assert len(firsts) == 5 and min(firsts.values()) > 60  # 100 expected per fifth


def test_base_from_other_corpus_base_n_and_exclude(tmp_path, corpus_dir, corpus):
    base_dir = tmp_path / "platypus"
    base_dir.mkdir()
    items = [{"instruction": f"Base task {i}: describe the weather today.", "input": "",
              "output": f"Base answer {i}." if i != 4 else ""} for i in range(80)]
    (base_dir / "platypus.json").write_text(json.dumps(items), encoding="utf-8")
    cfg = DataConfig(parallel=str(corpus_dir), recipe="x2en", n=30, base=str(base_dir), base_n=60,
                     out=str(tmp_path / "b"))
    out = build_mix(cfg, corpus=corpus)
    rows = read_rows(out)
    base = [r for r in rows if r["recipe"] == "base"]
    assert len(base) == 60 and all(r["source_id"].startswith("platypus-") for r in base)
    assert all(r["output"] == f"Base answer {int(r['source_id'][-5:])}." for r in base)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["base"]["dropped_empty"] == 1 and manifest["base"]["n"] == 60

    cfg = DataConfig(parallel=str(corpus_dir), recipe="x2x", n=150, base_n=150, exclude_base_ids=True,
                     out=str(tmp_path / "x"))
    rows = read_rows(build_mix(cfg, corpus=corpus))
    base_ids = {r["source_id"] for r in rows if r["recipe"] == "base"}
    assert len(base_ids) == 150 and not base_ids & {r["source_id"] for r in rows if r["recipe"] == "x2x"}


def test_messages_and_manifest_agree_with_train(tmp_path, corpus_dir, corpus):
    from crossin.io import sha256_file

    out = build_mix(DataConfig(parallel=str(corpus_dir), recipe="x2x", n=100, translation=20, base_n=30,
                               out=str(tmp_path / "m")), corpus=corpus)
    train, messages = read_rows(out), read_rows(out, "messages.jsonl")
    assert len(train) == len(messages) == 150
    for t, m in zip(train, messages):
        user = t["instruction"] + (f"\n\n{t['input']}" if t["input"].strip() else "")
        assert m["messages"] == [{"role": "user", "content": user}, {"role": "assistant", "content": t["output"]}]
        assert all(m[k] == t[k] for k in ("source_id", "recipe", "instruction_lang", "input_lang", "output_lang"))
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["files"]["train.jsonl"]["sha256"] == sha256_file(out / "train.jsonl")
    assert manifest["counts"]["by_pair"]["x2x"] == dict(Counter(f"{r['instruction_lang']}>{r['output_lang']}"
                                                                for r in train if r["recipe"] == "x2x"))
    assert manifest["corpus"]["dropped"]["zh"] == {"missing": 0, "empty": 1, "score": 0, "langid": 1}
    assert read_rows(out, "dropped.jsonl") == [
        {"id": f"s-{i:04d}", "lang": lang, "reason": reason}
        for i, lang, reason in ((EMPTY_ES_OUTPUT, "es", "empty"), (MISSING_VI, "vi", "missing"),
                                (EMPTY_ZH_INPUT, "zh", "empty"), (UNTRANSLATED_ZH, "zh", "langid"))]
    stats = mix_stats(out)
    assert stats["total"] == 150 and stats["train_sha256_ok"]


def test_config_errors(tmp_path, corpus_dir, corpus):
    for bad, match in ((dict(recipe="zz"), "recipe: must be one of"), (dict(n=-1), "n: must be >= 0"), (dict(out=""), "output")):
        with pytest.raises(CrossinError, match=match):
            build_mix(DataConfig(parallel=str(corpus_dir), **{"out": str(tmp_path / "e"), **bad}), corpus=corpus)
    with pytest.raises(CrossinError, match="needs English"):
        build_mix(DataConfig(parallel=str(corpus_dir), langs=["zh", "es"], recipe="en2x", base="none",
                             out=str(tmp_path / "e")))
    for spec in ("-en", "zh-", "zh-en-es"):  # an empty side once fell back to the default language list
        with pytest.raises(CrossinError, match="is not source-target"):
            build_mix(DataConfig(parallel=str(corpus_dir), translation=10, translation_directions=spec,
                                 out=str(tmp_path / "e")), corpus=corpus)


# ---------------------------------------------------------------------------------------------------------------- CLI

def test_cli_build_with_yaml_and_flags_then_stats(tmp_path, corpus_dir):
    cfg = tmp_path / "mix.yaml"
    cfg.write_text(f"parallel: {corpus_dir}\nlangs: [en, zh, es]\nrecipe: x2x\nn: 60\nbase_n: 10\nseed: 2\n")
    out = tmp_path / "cli"
    runner = CliRunner()
    res = runner.invoke(app, ["data", "build", "--config", str(cfg), "--n", "90", "--translation", "12",
                              "--no-langid", "--out", str(out)])
    assert res.exit_code == 0, res.output
    rows = read_rows(out)
    assert Counter(r["recipe"] for r in rows) == {"base": 10, "x2x": 90, "translation": 12}
    # the plan comes before the files are written, with the same counts
    output = " ".join(res.output.split())
    plan = f"plan: 10 base rows (--base-n 10 of {N_SAMPLES}) + 90 CrossIn rows (x2x) + 12 translation rows = 112 rows"
    assert plan in output and output.index(plan) < output.index("wrote 112 rows")
    res = runner.invoke(app, ["data", "build", "--parallel", str(corpus_dir), "--langs", "en,zh", "--recipe", "x2x",
                              "--n", "4", "--no-langid", "--out", str(tmp_path / "all")])
    assert res.exit_code == 0, res.output
    assert (f"plan: {N_SAMPLES} base rows (all of the English base; --base-n N draws fewer, --base none drops it) "
            f"+ 4 CrossIn rows (x2x) + 0 translation rows = {N_SAMPLES + 4} rows") in " ".join(res.output.split())
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 2 and manifest["config"]["langs"] == ["en", "zh", "es"]
    assert manifest["filters"]["langid"]["enabled"] is False
    res = runner.invoke(app, ["data", "stats", str(out)])
    assert res.exit_code == 0, res.output
    assert "x2x: 90 rows" in res.output and "instruction \\ output" in res.output
    res = runner.invoke(app, ["data", "stats", str(out), "--json"])
    assert json.loads(res.output)["by_pair"]["x2x"] == {f"{a}>{b}": 15 for a in ("en", "zh", "es")
                                                        for b in ("en", "zh", "es") if a != b}


def test_cli_malformed_corpus_is_one_error_line(tmp_path, corpus_dir):
    bad = tmp_path / "bad"
    write_corpus(bad, n=20, langs=("en", "zh"))
    lines = (bad / "zh.jsonl").read_text(encoding="utf-8").splitlines()
    lines[4] = lines[4][:-3]
    (bad / "zh.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    res = CliRunner().invoke(app, ["data", "build", "--parallel", str(bad), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2
    assert f"{bad / 'zh.jsonl'}:5: invalid JSON" in res.output and "Traceback" not in res.output
    assert not (tmp_path / "o" / "manifest.json").exists()


def test_langid_agrees_with_lingua_on_every_sample(tmp_path):
    """The ASCII shortcut (no other Latin-script language among en/zh) must not change any verdict."""
    from lingua import Language, LanguageDetectorBuilder

    from crossin.data.corpus import langid_text

    folder = write_corpus(tmp_path / "enzh", n=60, langs=("en", "zh"))
    rows = [json.loads(line) for line in (folder / "en.jsonl").read_text(encoding="utf-8").splitlines()]
    rows[20] = {**sample("zh", 20), "id": rows[20]["id"]}  # Chinese text on the English side
    rows[21]["output"] = "Ceci est une réponse."  # short, accented: lingua has to decide
    (folder / "en.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    c = load_corpus(DataConfig(parallel=str(folder)))
    detector = LanguageDetectorBuilder.from_languages(Language.ENGLISH, Language.CHINESE).with_low_accuracy_mode().build()
    code = {Language.ENGLISH: "en", Language.CHINESE: "zh"}
    for lang in ("en", "zh"):
        for i, t in enumerate(c.texts[lang]):
            if t is None or not t[0].strip() or not t[2].strip() or (i % 3 == 0 and not t[1].strip()):
                continue
            found = detector.detect_language_of(langid_text(t, 120))
            assert bool(c.valid[lang][i]) == (found is None or code[found] == lang), (lang, i)
    assert c.dropped["en"]["langid"] == 1 and c.dropped["zh"]["langid"] == 1


def test_hf_corpus_and_base_code_paths(tmp_path, monkeypatch):
    """hf:<dataset> sources, with datasets.load_dataset replaced by in-memory datasets (no network here)."""
    import datasets

    calls = []

    def fake_load_dataset(name, config=None, split=None):
        calls.append((name, config, split))
        if name == "org/base":
            return datasets.Dataset.from_dict({"instruction": [f"Base {i}" for i in range(5)], "input": [""] * 5,
                                               "output": [f"Out {i}" for i in range(5)]})
        lang = {"en": "en", "es": "es", "tl": "fil"}.get(config)
        if lang is None:
            raise ValueError(f"BuilderConfig {config!r} not found")
        rows = [sample("en" if lang == "fil" else lang, i) for i in range(20)]
        if lang == "fil":  # no Filipino texts in the fixtures; English ones are fine with lang-id off
            rows = [{**r, "output": r["output"] + " (fil)"} for r in rows]
        return datasets.Dataset.from_dict({k: [r[k] for r in rows] for k in ("id", "instruction", "input", "output")})

    monkeypatch.setattr(datasets, "load_dataset", fake_load_dataset)
    cfg = DataConfig(parallel="hf:MBZUAI/Bactrian-X", langs=["en", "es", "fil"], recipe="en2x", n=20,
                     base="hf:org/base", langid=False, out=str(tmp_path / "hf"))
    rows = read_rows(build_mix(cfg))
    assert ("MBZUAI/Bactrian-X", "tl", "train") in calls and ("org/base", None, "train") in calls
    assert Counter(r["output_lang"] for r in rows if r["recipe"] == "en2x") == {"es": 10, "fil": 10}
    assert all(r["output"].endswith("(fil)") for r in rows if r["output_lang"] == "fil")
    assert sorted(r["source_id"] for r in rows if r["recipe"] == "base") == [f"base-{i:05d}" for i in range(5)]
    with pytest.raises(CrossinError, match="name the languages"):
        load_corpus(DataConfig(parallel="hf:MBZUAI/Bactrian-X"))


def test_json_lines_under_json_name_and_non_utf8(tmp_path):
    path = tmp_path / "en.json"
    path.write_text("".join(json.dumps(sample("en", i)) + "\n" for i in range(3)), encoding="utf-8")
    assert read_samples(path, "en").ids == ["s-0000", "s-0001", "s-0002"]
    bad = tmp_path / "zh.jsonl"
    bad.write_bytes(b'{"id": "a", "instruction": "\xff\xfe", "output": "y"}\n')
    with pytest.raises(CrossinError, match="not UTF-8"):
        read_samples(bad, "zh")


def test_loaded_corpus_serves_a_mix_of_fewer_languages(tmp_path, corpus_dir, corpus):
    cfg = DataConfig(parallel=str(corpus_dir), langs=["zh", "vi"], recipe="x2x", n=40, base="none",
                     out=str(tmp_path / "sub"))
    rows = read_rows(build_mix(cfg, corpus=corpus))
    assert Counter((r["instruction_lang"], r["output_lang"]) for r in rows) == {("zh", "vi"): 20, ("vi", "zh"): 20}
    cfg.langs = ["zh", "fr"]
    with pytest.raises(CrossinError, match="fr not in the loaded corpus"):
        build_mix(cfg, corpus=corpus)


def test_adding_translation_samples_keeps_the_crossin_draw(tmp_path, corpus_dir, corpus):
    """Each random choice has its own seeded stream, so arms that differ only in M share their N samples."""
    def recipe_rows(translation):
        cfg = DataConfig(parallel=str(corpus_dir), recipe="x2x", n=120, translation=translation, base="none",
                         out=str(tmp_path / f"t{translation}"))
        return Counter((r["source_id"], r["instruction_lang"], r["output_lang"])
                       for r in read_rows(build_mix(cfg, corpus=corpus)) if r["recipe"] == "x2x")
    assert recipe_rows(0) == recipe_rows(60)
