"""Answer-language check (language confusion): lingua, line level, over the run's languages plus en and zh."""

from crossin.answer_lang import answer_language


def test_share_of_answers_in_the_asked_language():
    outputs = {
        "es": ["La respuesta es B porque el sol es una estrella muy grande.",
               "The answer is B because the sun is a very large star.",  # answered in English
               "La respuesta es C.\nBecause the moon orbits the earth every month.",  # one English line: fails
               "B"],  # no words: not counted
        "zh": ["答案是B，因为太阳是一颗恒星。", "答案是A。"],
    }
    res = answer_language(outputs)
    es, zh = res["languages"]["es"], res["languages"]["zh"]
    assert (es["n"], es["passed"], es["no_text"]) == (3, 1, 1) and es["share"] == 1 / 3
    assert es["other"] == {"en": 2}
    assert zh["share"] == 1.0 and zh["n"] == 2
    assert res["overall"] == (1 / 3 + 1.0) / 2
    assert answer_language(outputs, max_answers=1)["languages"]["es"]["share"] == 1.0


def test_a_language_lingua_does_not_know_is_unchecked():
    res = answer_language({"en": ["The answer is A, since water boils at 100 degrees."], "kac": ["A"]})
    assert res["languages"]["kac"] == {"share": None, "unchecked": "lingua does not know this language"}
    assert res["languages"]["en"]["share"] == 1.0 and res["overall"] == 1.0
