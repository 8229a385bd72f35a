"""CALM pairs and DCO records from a hand-made vote (crossin.data.pairs), and the pool's decontamination."""

import json
import random

from crossin.data.pairs import build_pairs, decontaminate, normalise, vote
from crossin.benchmarks.base import parse_rows

LANGS = ("en", "zh", "es", "vi")
PROMPTS = {lang: f"[{lang}] Q?\nAnswer:" for lang in LANGS}
COMPLETIONS = {lang: [f" {x}" for x in "ABCD"] for lang in LANGS}


def test_majority_vote_gives_a_calm_pair_and_a_dco_record_per_dissenting_language():
    answers = {"en": 0, "zh": 0, "es": 1, "vi": 2}
    calm, dco, record = build_pairs("q1", answers, PROMPTS, COMPLETIONS, LANGS, random.Random(0), gold=0)
    assert record["counts"] == {0: 2, 1: 1, 2: 1} and record["leader"] == 0 and record["majority"]
    assert [(r["lang"], r["chosen"], r["rejected"], r["prompt"]) for r in calm] == [
        ("es", " A", " B", "[es] Q?\nAnswer:"), ("vi", " A", " C", "[vi] Q?\nAnswer:")]
    assert calm[0]["vote"] == answers
    assert [(r["lang_2"], r["rejected_2"], r["rejected_1"]) for r in dco] == [("es", " B", " B"), ("vi", " C", " C")]
    for r in dco:  # the partner gave the majority answer; chosen is the majority answer in both languages
        assert r["lang_1"] in ("en", "zh") and answers[r["lang_1"]] == 0
        assert r["prompt_1"] == PROMPTS[r["lang_1"]] and r["prompt_2"] == PROMPTS[r["lang_2"]]
        assert r["chosen_1"] == r["chosen_2"] == " A"


def test_a_tie_gives_dco_records_but_no_calm_pair():
    # two languages: no majority (CALM has none), DCO still pairs them; the first language's answer leads
    calm, dco, record = build_pairs("q2", {"en": 3, "zh": 1}, PROMPTS, COMPLETIONS, ("en", "zh"), random.Random(0))
    assert calm == [] and not record["majority"] and record["leader"] == 3
    assert len(dco) == 1 and (dco[0]["lang_1"], dco[0]["chosen_1"], dco[0]["rejected_2"]) == ("en", " D", " B")


def test_unanimous_and_abstaining_answers_give_nothing():
    assert build_pairs("q3", {"en": 1, "zh": 1, "es": None, "vi": 1}, PROMPTS, COMPLETIONS, LANGS,
                       random.Random(0))[:2] == ([], [])
    assert vote({"en": None, "zh": None}, ("en", "zh"))["leader"] is None


def test_decontamination_removes_test_questions_by_normalised_text(tmp_path):
    cross_mmlu = tmp_path / "cross_mmlu"
    cross_mmlu.mkdir()
    test_row = {"id": "t1", "English": {"question": "What is 2+2?", "choices": ["(A) 4", "(B) 5"], "answer": "(A) 4"},
                "Chinese": {"question": "二加二是多少？", "choices": ["(A) 4", "(B) 5"], "answer": "(A) 4"}}
    (cross_mmlu / "test.jsonl").write_text(json.dumps(test_row, ensure_ascii=False) + "\n", encoding="utf-8")
    pool = [dict(test_row, id="p1", English=dict(test_row["English"], question="  what is 2 + 2 ")),
            {"id": "p2", "English": {"question": "Capital of France?", "choices": ["(A) Paris", "(B) Rome"],
                                     "answer": "(A) Paris"},
             "Chinese": {"question": "二加二是多少", "choices": ["(A) 4", "(B) 5"], "answer": "(A) 4"}},
            {"id": "p3", "English": {"question": "Capital of Italy?", "choices": ["(A) Paris", "(B) Rome"],
                                     "answer": "(B) Rome"},
             "Chinese": {"question": "意大利的首都？", "choices": ["(A) 巴黎", "(B) 罗马"], "answer": "(B) 罗马"}}]
    sets = parse_rows(enumerate(pool, 1), ("en", "zh"), path="pool")
    kept, report = decontaminate(sets, ("en", "zh"), ["cross-mmlu", "global-mmlu"], tmp_path)
    assert [s.id for s in kept] == ["p3"]  # p1 by its English text, p2 by its Chinese text
    assert report["cross-mmlu"]["removed"] == 2
    assert "unavailable" in report["global-mmlu"]
    assert normalise("What is 2+2?") == normalise("what is 2 + 2")


def test_global_mmlu_dev_is_a_pool_and_its_test_questions_are_removed(tmp_path, tiny_dir, one_torch_thread):
    """`--pool global-mmlu-dev` reads the dev split from a local copy in the Hub layout (beside the test split);
    a dev question whose text is also a Global-MMLU test question is removed and counted; a tiny model answers."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from crossin.data.pairs import PairsConfig, make_pairs
    from test_parallel_benchmarks import write_global_mmlu

    root = write_global_mmlu(tmp_path / "data", n=4)  # test split: "en question 0?" ...
    for lang in ("en", "zh"):
        rows = [dict(sample_id=f"astronomy/dev/{i}", subject="astronomy", subject_category="STEM",
                     question=f"{lang} question {i}?" if i == 0 else f"{lang} dev question {i}?",
                     option_a=f"{lang} a{i}", option_b=f"{lang} b{i}", option_c=f"{lang} c{i}",
                     option_d=f"{lang} d{i}", answer="ABCD"[i % 4], cultural_sensitivity_label="-")
                for i in range(5)]
        pq.write_table(pa.Table.from_pylist(rows), root / "global_mmlu" / lang / "dev-00000-of-00001.parquet")
    out = make_pairs(PairsConfig(model=str(tiny_dir), pool="global-mmlu-dev", data_dir=str(root), langs=["en", "zh"],
                                 mode="cloze", exclude=["global-mmlu"], out=str(tmp_path / "pairs")),
                     log=lambda _: None)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["decontamination"]["global-mmlu"]["removed"] == 1
    assert manifest["counts"]["pool_questions"] == 5 and manifest["counts"]["questions"] == 4
    votes = [json.loads(line) for line in (out / "votes.jsonl").read_text().splitlines()]
    assert [v["id"] for v in votes] == [f"astronomy/dev/{i}" for i in range(1, 5)]
    dco = [json.loads(line) for line in (out / "dco.jsonl").read_text().splitlines()]
    disagreeing = [v for v in votes if len(v["counts"]) > 1]
    assert len(dco) == len(disagreeing)  # two languages: one record per disagreement, tie or not
