"""Answer-first outputs, as base and lightly tuned models write them: the answer, then unrelated text.

Shapes taken from published Cross-MMLU outputs of 7B models (issue 12): a bare letter then a continuation in
another language, a label then the option text then noise, an option's own text then noise, repetition loops.
"""

import pytest

from crossin.extract import extract_choice

EN = ["responsible", "funny", "sociable", "followers"]
ZH = ["负责任的", "有趣的", "善于交际的", "追随者"]
ES = ["responsables", "divertidos", "sociables", "seguidores"]
VI = ["Cơ thể", "Tâm trí", "Linh hồn", "Cảm xúc"]
ID = ["Tanggung jawab", "Lucu", "Mudah bergaul", "Pengikut"]
MS = ["Bertanggungjawab", "Lucu", "Peramah", "Pengikut"]
FIL = ["Responsable", "Nakakatawa", "Palakaibigan", "Tagasunod"]
NUM = ["642", "638", "640", "636"]
PREFIX = ["New York", "New York City", "York", "Newark"]
ZH_PREFIX = ["北京", "北京市", "南京", "东京"]

CASES = [
    # a bare letter first, then a continuation in another language or script
    ("A 2019年12月12日,由《中国质量报》主办的第十届中国质量论坛在北京举行", ZH, 0),
    ("B 1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1", EN, 1),
    ("C\n\nQuestion: Which of the following is true about firstborn children?", EN, 2),
    ("D 追随者是指那些跟随领导者的人", ZH, 3),
    ("B\n\n### Instruction:\nTranslate the following sentence into Spanish.", EN, 1),
    ("A Die Antwort ist richtig, weil", EN, 0),
    ("C sociables. Según la teoría de Adler, los primogénitos", ES, 2),
    ("B Tâm trí là nơi con người suy nghĩ", VI, 1),
    ("D\nPengikut adalah orang yang mengikuti", ID, 3),
    ("A\nBertanggungjawab bermaksud", MS, 0),
    ("C Palakaibigan ang mga panganay ayon kay Adler", FIL, 2),
    ("B，有趣的。2019年12月", ZH, 1),
    ("A is correct because Adler said so.", EN, 0),
    # a label first, then its text, then noise
    ("(A) responsible 2019年12月12日,由《中国质量报》", EN, 0),
    ("(C) 善于交际的\n\n### Response:\n(C) 善于交际的", ZH, 2),
    ("B. divertidos\n\nPregunta: ¿Cuál es la capital de", ES, 1),
    ("[D] Cảm xúc", VI, 3),
    ("“B” Lucu sekali", ID, 1),
    # an option's own text first, then anything
    ("负责任的 2019年12月12日,由《中国质量报》主办", ZH, 0),
    ("有趣的有趣的有趣的有趣的有趣的有趣的", ZH, 1),
    ("Cơ thể 2019年12月12日", VI, 0),
    ("sociables y amables, como dice Adler", ES, 2),
    ("Mudah bergaul. Anak sulung biasanya", ID, 2),
    ("Peramah\n\nSoalan: Apakah", MS, 2),
    ("Tagasunod ng lider ang mga bunso", FIL, 3),
    ("B) Lucu. Jawapan ini kerana", MS, 1),
    ("D Pengikut Pengikut Pengikut Pengikut", MS, 3),
    ("A. Responsable\n\nTanong: Ano ang", FIL, 0),
    ("Nakakatawa... Ang sagot ay C", FIL, 2),
    ("followers followers followers followers", EN, 3),
    # numeric options: the number written first, not a longer number that starts with it
    ("642 2019年12月12日", NUM, 0),
    ("638\n\nQuestion: What is 2+2?", NUM, 1),
    ("6420 is the total", NUM, None),
    ("640.5", NUM, None),
    ("636, because 6 x 106 = 636", NUM, 3),
    # one option's text is a prefix of another's: the longest that fits wins
    ("New York City is the largest city", PREFIX, 1),
    ("New York is a state", PREFIX, 0),
    ("Newark, New Jersey", PREFIX, 3),
    ("北京市是中国的首都", ZH_PREFIX, 1),
    ("北京 2019年", ZH_PREFIX, 0),
    # a later explicit answer statement naming another option wins over the first word
    ("A 2019年12月12日... 答案是C", ZH, 2),
    ("B. divertidos. No, la respuesta correcta es D", ES, 3),
    ("Cơ thể... Đáp án: B", VI, 1),
    ("A\nJawaban yang benar adalah C", ID, 2),
    # ... and one naming the same option changes nothing
    ("B 1.1.1.1 The answer is B", EN, 1),
    # words that only look like a label
    ("A man walks into the room and", EN, None),
    ("A la pregunta le falta contexto", ES, None),
    ("I think it is sociable", EN, 2),
    ("E 2019年12月12日", ZH, None),  # E is not one of four options; nothing else is named
    # repetition loops and empty output
    ("B. B. B. B. B. B. B. B. B. B.", EN, 1),
    ("(D)(D)(D)(D)(D)(D)", EN, 3),
    ("", ZH, None),
    ("\n\n\n", VI, None),
    ("1.1.1.1.1.1.1.1.1.1.1", EN, None),
]


@pytest.mark.parametrize("output,choices,expected", CASES, ids=[repr(c[0])[:40] for c in CASES])
def test_answer_first(output, choices, expected):
    assert extract_choice(output, choices) == expected


def test_enough_new_cases_in_every_language():
    assert len(CASES) >= 40
    for choices in (EN, ZH, ES, VI, ID, MS, FIL):
        assert sum(c[1] is choices for c in CASES) >= 3
