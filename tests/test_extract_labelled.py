"""The default extractor on the project's labelled set, 575 outputs in the seven SeaEval languages, each with the option
a careful reader would pick, or null when none can be read: tests/data/extraction_labelled.jsonl (498, written by
tests/data/make_extraction_labelled.py before the extractor) and tests/data/extraction_labelled_freeform.jsonl (77
written by hand, committed before the extractor first read them; 6 were read wrong or missed then, see README).

precision = read correctly / read (an output labelled null but read counts as a wrong read);
coverage = read / outputs that have a label. Required per language: precision >= 99%, coverage >= 97%."""

import json
from collections import Counter
from pathlib import Path

import pytest

from crossin.extract import read_answer

DATA = Path(__file__).parent / "data"
LANGS = ("en", "zh", "es", "vi", "id", "ms", "fil")
ROWS = [json.loads(line) for name in ("extraction_labelled.jsonl", "extraction_labelled_freeform.jsonl")
        for line in (DATA / name).read_text(encoding="utf-8").splitlines()]
STYLES = {"explanation", "elimination", "elimination_then_answer", "comparison", "restatement", "cot", "answer_first",
          "refusal", "several", "text_no_label", "fullwidth", "markdown", "echo", "walkthrough"}


def precision_coverage(rows, read=read_answer):
    wrong = right = labelled = covered = 0
    for r in rows:
        got = read(r["output"], r["choices"]).choice
        if r["label"] is not None:
            labelled += 1
            covered += got is not None
        if got is not None:
            right += got == r["label"]
            wrong += got != r["label"]
    return right / max(right + wrong, 1), covered / max(labelled, 1)


def test_the_set_is_big_and_varied():
    assert len(ROWS) >= 570
    per_lang = Counter(r["lang"] for r in ROWS)
    assert set(per_lang) == set(LANGS) and min(per_lang.values()) >= 50
    for lang in LANGS:
        styles = {r["style"] for r in ROWS if r["lang"] == lang}
        assert STYLES <= styles, STYLES - styles
        assert sum(r["label"] is None for r in ROWS if r["lang"] == lang) >= 8  # unparsed outputs too
    assert len({(r["output"], tuple(r["choices"])) for r in ROWS}) == len(ROWS)


@pytest.mark.parametrize("lang", LANGS)
def test_precision_and_coverage(lang):
    precision, coverage = precision_coverage([r for r in ROWS if r["lang"] == lang])
    assert precision >= 0.99, f"{lang}: precision {precision:.3f}"
    assert coverage >= 0.97, f"{lang}: coverage {coverage:.3f}"


def test_unlabelled_outputs_stay_unparsed():
    read = [r["id"] for r in ROWS if r["label"] is None and read_answer(r["output"], r["choices"]).choice is not None]
    assert not read


def test_the_two_real_outputs_of_the_issue():
    fil = ["batay sa comparative advantage.", "pagsasagawa ng mga serbisyo sa accounting at pananaliksik kung saan matipid.",
           "paggawa ng mga kalakal kung saan ang mga gastos sa produksyon ay ang pinakamataas.",
           "na may punong tanggapan na matatagpuan sa mga LDC."]
    out = ("The most appropriate answer is (A) batay sa comparative advantage. Multinational corporations locate where "
           "they have an advantage. Option (B) is incorrect because it is not the main reason.")
    assert read_answer(out, fil).choice == 0
    zh = ["性格", "资质", "兴趣", "成就"]
    out = ("Based on the question, the most appropriate answer is (D) 成就. Achievement tests measure what has been "
           "learned. Option (A) 性格 (personality) is not relevant to this question.")
    assert read_answer(out, zh).choice == 3


def test_two_different_final_answers_are_ambiguous():
    r = read_answer("The correct answer is (A). However, the correct answer is (C).", ["w", "x", "y", "z"])
    assert r.choice is None and r.ambiguous
    r = read_answer("The correct answer is (A). In conclusion, the answer is (A) w.", ["w", "x", "y", "z"])
    assert r.choice == 0 and not r.ambiguous


def test_an_echoed_option_list_is_no_answer():
    assert read_answer("Answer:\n(A) 642\n(B) 638\n(C) 42\n(D) 38\n\nAnswer:", ["642", "638", "42", "38"]).choice is None
    assert read_answer("Chọn 1.\nChọn 2.\nChọn 3.\nChọn 4.", ["1", "2", "3", "4"]).choice is None
    # ... but an answer followed by the next question's options is read
    assert read_answer("B\n\nQuestion: What is 2+2?\n(A) 3\n(B) 4\n(C) 5", ["642", "638", "42", "38"]).choice == 1
