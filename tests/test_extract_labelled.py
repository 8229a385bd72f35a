"""The default extractor on the project's labelled set, 610 outputs in the seven SeaEval languages, each with the option
a careful reader would pick, or null when none can be read: tests/data/extraction_labelled.jsonl (498, written by
tests/data/make_extraction_labelled.py before the extractor), extraction_labelled_freeform.jsonl (77) and
extraction_labelled_freeform2.jsonl (35), written by hand and committed before the extractor first read them (see
the README for how it did on them then).

precision = read correctly / read (an output labelled null but read counts as a wrong read);
coverage = read / outputs that have a label. Required per language: precision >= 99%, coverage >= 97%."""

import json
from collections import Counter
from pathlib import Path

import pytest

from crossin.extract import read_answer

DATA = Path(__file__).parent / "data"
LANGS = ("en", "zh", "es", "vi", "id", "ms", "fil")
ROWS = [json.loads(line) for name in ("extraction_labelled.jsonl", "extraction_labelled_freeform.jsonl", "extraction_labelled_freeform2.jsonl")
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
    assert len(ROWS) >= 600
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


# Real outputs of the embedded Gemma 3 270M (base) in `crossin eval --mode generate --limit 5`, 7 languages.
REAL_BASE = [
    ("A. anak sulung lebih berkemungkinan dalam keluarga untuk mempunyai ciri\nB. kelakar\nC. mudah bergaul\nD. pengikut"
     "\n\nAnswer:\nA. anak sulung lebih berkemungkinan dalam keluarga untuk mempunyai",
     ["bertanggungjawab", "kelakar", "mudah bergaul", "pengikut"], None),  # the list again, cut by the token limit
    ("(A) Las empresas transnacionales distribuyen sus operaciones.\n\n(B) Las empresas transnacionales distribuyen sus "
     "operaciones.\n\n(C) Fabricando bienes donde los costos de producción son los más altos.\n\n(D)",
     ["basándose en la ventaja comparativa.", "realizando servicios de contabilidad e investigación donde sea económico.",
      "fabricando bienes donde los costos de producción son los más altos.", "con sede en los PMA."], None),
    ("(A) 负责任的\n(B) 有趣的\n(C) 善于交际的\n(D) 追随者\n\nAnswer: 1. 负责任的\n2. 善于",
     ["负责任的", "有趣的", "善于交际的", "追随者"], None),
    ("(A) 642\n(B) 638\n(C) 42\n(D) 38\n\nThe answer is 642.\n\nThe answer is 638.\n\n", ["642", "638", "42", "38"], None),
    ("(A) nhà nước\n(B) hệ thống tư pháp\n(C) cơ thể\n(D) tâm hồn\n\nThe answer is A.\n\nThe answer is A.\n\nThe answer is A.",
     ["nhà nước", "hệ thống tư pháp", "cơ thể", "tâm hồn"], 0),
]


@pytest.mark.parametrize("output,choices,expected", REAL_BASE)
def test_real_base_model_outputs(output, choices, expected):
    assert read_answer(output, choices).choice == expected
