"""The extractor on real-looking model outputs in en, zh, es, vi (plus id, ms, fil)."""

import pytest

from crossin.extract import extract_choice

EN = ["responsible", "funny", "sociable", "followers"]
ZH = ["负责任的", "有趣的", "善于交际的", "追随者"]
ES = ["responsables", "divertidos", "sociables", "seguidores"]
VI = ["có trách nhiệm", "hài hước", "hòa đồng", "người theo dõi"]
YEARS = ["1990", "1990s", "1985", "2001"]

CASES = [
    # English
    ("(B)", EN, 1), ("B", EN, 1), ("B.", EN, 1), ("B)", EN, 1), ("B: funny", EN, 1), ("(B) funny", EN, 1),
    ("Answer: B", EN, 1), ("Answer: (C)", EN, 2), ("The answer is D.", EN, 3), ("The correct answer is (A) responsible.", EN, 0),
    ("**Answer: C**", EN, 2), ("The answer is **B**", EN, 1), ("I would choose C because firstborns are outgoing.", EN, 2),
    ("Based on Adler's theory, the correct option is A.", EN, 0), ("answer: (d)", EN, 3), ("Final answer: B", EN, 1),
    ("responsible", EN, 0), ("Responsible.", EN, 0), ('According to Adler, firstborns tend to be "responsible".', EN, 0),
    ("Firstborn children are more likely to be sociable.", EN, 2), ("  \n(A)\n", EN, 0),
    ("A. responsible\nExplanation: Adler believed that...", EN, 0),
    ("The answer is not A. The answer is C.", EN, 2),
    ("The answer is A. No, the answer is B. Final answer: E", EN, None),  # two different final answers: ambiguous
    ("A responsible child is what Adler described.", EN, 0),
    ("The answer is a bit unclear to me.", EN, None),
    ("", EN, None), ("   ", EN, None), (None, EN, None),
    ("I don't know.", EN, None), ("I cannot answer this question.", EN, None),
    ("It could be funny or sociable.", EN, None),
    ("Answer: E", EN, None),
    ("The answer is 1990s.", YEARS, 1), ("1990", YEARS, 0), ("It happened in 1985.", YEARS, 2),
    # Chinese
    ("答案是B", ZH, 1), ("答案：(B)", ZH, 1), ("答案: C", ZH, 2), ("答案为D。", ZH, 3), ("正确答案是A", ZH, 0),
    ("选B", ZH, 1), ("我选择C。", ZH, 2), ("（Ｂ）", ZH, 1), ("答案：（Ｃ）善于交际的", ZH, 2), ("B。有趣的", ZH, 1),
    ("负责任的", ZH, 0), ("根据阿德勒的理论，长子更可能是“负责任的”。", ZH, 0), ("我不知道", ZH, None),
    ("无法回答这个问题", ZH, None), ("正确选项是 D", ZH, 3), ("答案应该是B，因为……", ZH, 1),
    # Spanish
    ("La respuesta es B", ES, 1), ("La respuesta correcta es (C)", ES, 2), ("Respuesta: D", ES, 3),
    ("La opción correcta es la A.", ES, 0), ("Opción B", ES, 1), ("responsables", ES, 0),
    ("Según Adler, los primogénitos son más «sociables».", ES, 2), ("No lo sé.", ES, None),
    ("La respuesta sería (A) responsables.", ES, 0), ("A) responsables", ES, 0),
    # Vietnamese
    ("Đáp án: B", VI, 1), ("Đáp án đúng là C", VI, 2), ("Câu trả lời là (D)", VI, 3), ("Chọn A", VI, 0),
    ("Đáp án: (A) có trách nhiệm", VI, 0), ("hài hước", VI, 1), ("Phương án đúng là B.", VI, 1),
    ("Tôi không biết.", VI, None), ("Con đầu lòng thường hòa đồng hơn.", VI, 2), ("D. người theo dõi", VI, 3),
    # Indonesian, Malay, Filipino
    ("Jawaban: C", EN, 2), ("Jawapan yang betul ialah B", EN, 1), ("Ang sagot ay D", EN, 3), ("Jawabannya adalah A.", EN, 0),
]


@pytest.mark.parametrize("output,choices,expected", CASES, ids=[repr(c[0])[:40] for c in CASES])
def test_extract(output, choices, expected):
    assert extract_choice(output, choices) == expected


def test_enough_cases_per_language():
    assert len(CASES) >= 60


def test_two_choices_only_letters_in_range():
    assert extract_choice("C", ["yes", "no"]) is None
    assert extract_choice("(B)", ["yes", "no"]) == 1
