"""Issue 32: the classes of answers real chat models write that crossin's rules used to leave unread, each in several
languages and phrasings (tests/data/real_outputs_labels.jsonl holds the real ones), and reasoning models' thinking."""

import pytest

from crossin.extract import read_answer
from crossin.thinking import split_thinking

C = ["Tenaga", "Kepakaran", "Maklumat", "Buruh"]
OTHERS = " The other options (A) and (C) are also discussed, but (D) is not relevant here."

# Each class: (output, expected index). The tail with other labels makes a lone mention insufficient.
CLASSES = {
    "markdown": [
        ("**Answer:** (B)" + OTHERS, 1), ("**Jawapan:** (B) Kepakaran" + OTHERS, 1), ("**答案：** B" + OTHERS, 1),
        ("**Respuesta:** (B)" + OTHERS, 1), ("**Đáp án:** (B)" + OTHERS, 1),
    ],
    "letter_word": [
        ("La respuesta es la letra B." + OTHERS, 1), ("The answer is letter B." + OTHERS, 1),
        ("Jawabannya adalah huruf B." + OTHERS, 1), ("Ang sagot ay titik B." + OTHERS, 1),
    ],
    "answer_clause_copula": [
        ("The most appropriate answer for increasing productivity in a post-industrial economy would be (B) Kepakaran."
         + OTHERS, 1),
        ("La respuesta correcta según la definición dada sería (B) Kepakaran." + OTHERS, 1),
        ("Đáp án phù hợp nhất trong nền kinh tế hậu công nghiệp là (B) Kepakaran." + OTHERS, 1),
        ("Jawapan yang paling sesuai untuk soalan ini ialah (B) Kepakaran." + OTHERS, 1),
        ("Ang pinakaangkop na sagot sa tanong na ito ay (B) Kepakaran." + OTHERS, 1),
        ("The answer that has the least strength in challenging the result is (B) Kepakaran." + OTHERS, 1),
    ],
    "chinese_de_shi": [
        ("根据提供的信息，属于信息焦虑的是选项 (B) 小李。其他选项(A)和(C)不符合，(D)也不对。", 1),
        ("由此可见，最能支持上述论证的是B。选项A和C无关，D不对。", 1),
    ],
    "copula_then_option_text": [
        ("The tallest trees are (B) Kepakaran. The coast redwood (A) and the Douglas fir (C) are also tall, but (D) is not.", 1),
        ("La partícula que cumple con esto es el (B) Kepakaran. Muones (D) también, y (A) o (C) no.", 1),
        ("Yang paling sesuai ialah (B) Kepakaran kerana (A) kurang penting, (C) juga; (D) pula tidak.", 1),
    ],
    "colon_then_option_line": [
        ("Based on the data, the most reasonable conclusion that can be drawn is:\n\n(B) Kepakaran\n\nExplanation: "
         "(A) is weaker, so is (C); (D) is not.", 1),
        ("Según la definición, la opción que no encaja es:\n\n(B) Kepakaran\n\nLas demás sí encajan: (A), (C), (D).", 1),
        ("Dựa trên định nghĩa, hoạt động phù hợp là:\n\n(B) Kepakaran\n\nGiải thích: các phương án khác (A) sai, (C) sai, (D) sai.", 1),
    ],
    "corresponds_to": [
        ("The formula is C3H6O, which corresponds to choice (B). Options (A), (C) and (D) do not match.", 1),
        ("La fórmula es C3H6O, que corresponde a la opción (B); (A), (C) y (D) no.", 1),
        ("Công thức là C3H6O, tương ứng với đáp án (B); (A), (C) và (D) thì không.", 1),
    ],
    "option_first": [
        ("La opción (B) describe con mayor precisión la activación. La fuerza (C) no, y (A) o (D) tampoco.", 1),
        ("Option B best supports the conclusion, while (A), (C) and (D) do not.", 1),
        ("Pilihan (B) paling tepat; (A), (C) dan (D) tidak.", 1),
    ],
    "not_question_restated": [  # the question asks which is NOT ...: the stated option is not, and that is the answer
        ("(B) Kepakaran is not a chemical reaction. It is a physical change.", 1),
        ("The answer is (B) Kepakaran, which is not a renewable resource.", 1),
    ],
    "restated_cut_short": [
        ("The most appropriate answer is (B) Kepakaran dalam.\n\nThe passage suggests ...", 1),
    ],
}
CASES = [(cls, out, exp) for cls, rows in CLASSES.items() for out, exp in rows]


@pytest.mark.parametrize("cls,output,expected", CASES, ids=[f"{c}-{i}" for i, (c, _, _) in enumerate(CASES)])
def test_each_class_is_read(cls, output, expected):
    choices = ["Tenaga", "Kepakaran dalam bidang", "Maklumat", "Buruh"] if cls == "restated_cut_short" else C
    assert read_answer(output, choices).choice == expected


# What stays unread: eliminations, several answers, an answer clause that negates, a walk-through of the options.
UNREAD = [
    "The correct answer is:\n(A) Tenaga\n(B) Kepakaran\n(C) Maklumat",
    "The answer is not (A) Tenaga; options (B), (C) and (D) are also unclear.",
    "The correct answer would be (B) Kepakaran or (C) Maklumat, depending on the context.",
    "Let's evaluate each option:\n\n(A) Tenaga (energy)\nThis option would not raise wages.\n\n(B) Kepak",
    "(B) Kepakaran is incorrect. (A) Tenaga is wrong too. (C) is not right either.",
    "None of the choices directly answers the question, so (A), (B), (C) and (D) are all wrong.",
    # several stated together, or one option's label with another's text
    "The answer is B and D. Both choices B and D fit the context.",
    "(A) Tenaga, (B) Kepakaran, y (C) Maklumat.\n\nLa hipnosis ayuda en varios casos.",
    "Vậy đáp án là (D) Buruh và (C) Maklumat.",
    "Therefore, the answer is:\n\n(C) Kepakaran (the second option)",
    # a list announced in the plural, each with its text
    "Based on the context, the choices that fit are:\n\n(B) Kepakaran in the sense given.\n(D) Buruh as well.",
    # stated, then taken back
    "The closest answer is (A), but it is an overgeneralization. Therefore, there is no exact answer.",
    "La respuesta más cercana es (B); sin embargo, ninguna de las opciones es correcta.",
    # written first, then contradicted by the conclusion
    "B) Kepakaran\n\nMọi yếu tố đều quan trọng. Do đó, yếu tố quan trọng nhất là Tenaga.",
]


@pytest.mark.parametrize("output", UNREAD)
def test_what_stays_unread(output):
    assert read_answer(output, C).choice is None


THINKING = [
    ("<think>Maybe (A)? No, (A) is wrong. Option C fits.</think>\n\nThe answer is (B).", 1, False),
    ("Maybe (A)? No. The answer is (C).</think>The answer is (B).", 1, False),  # template opened the tag
    ("<|begin_of_thought|>The answer is (A).<|end_of_thought|><|begin_of_solution|>(B)<|end_of_solution|>", 1, False),
    ("[THINK]La respuesta es (A)[/THINK]La respuesta es (B).", 1, False),
    ("<|channel|>analysis<|message|>答案是A<|end|><|start|>assistant<|channel|>final<|message|>答案是B", 1, False),
    ("<think>Let me weigh (A) against (C). The answer is (A), or maybe", None, True),  # cut off inside
    ("<thinking>Đáp án là (A)...", None, True),
]


@pytest.mark.parametrize("output,expected,cut_off", THINKING)
def test_thinking_is_never_read_and_a_cut_off_one_is_counted_apart(output, expected, cut_off):
    r = read_answer(output, C)
    assert (r.choice, r.cut_off) == (expected, cut_off)
    assert r.rule == ("cut_off" if cut_off else r.rule)


def test_a_models_own_think_end_token():
    out = "weighing: the answer is (A) ... END_OF_REASONING The answer is (B)."
    assert read_answer(out, C).choice is None  # two final answers without the token: ambiguous
    assert read_answer(out, C, think_end="END_OF_REASONING").choice == 1
    r = read_answer("weighing: the answer is (A) ...", C, think_end="END_OF_REASONING")
    assert r.choice is None and r.cut_off  # a model that always thinks first never closed it
    split = split_thinking(out, "END_OF_REASONING")
    assert split.thinking.startswith("weighing") and split.answer == "The answer is (B)."


def test_the_answer_language_check_covers_the_thinking_part():
    from crossin.answer_lang import answer_language_of_samples

    samples = [{"lang": "es", "output": "<think>The question asks about energy, so let me reason in English here."
                "</think>La respuesta correcta es la energía, porque es la más importante."}]
    block = answer_language_of_samples(samples, ["es"])
    assert block["languages"]["es"]["share"] == 1.0  # the answer after the thinking is in Spanish
    assert block["thinking"]["languages"]["es"]["share"] == 0.0 and block["thinking"]["languages"]["es"]["other"] == {"en": 1}
    assert "thinking" not in answer_language_of_samples([{"lang": "es", "output": "La respuesta es la energía."}], ["es"])


NOT_QUESTIONS = [  # (question, output): the question asks which is NOT / least / except; the answer is (B)
    ("Menurut definisi di atas, yang manakah tidak dikelaskan sebagai tenaga biojisim?",
     "Menurut definisi di atas, pilihan (B) Kepakaran tidak dikelaskan sebagai tenaga biojisim, manakala (A) ialah."),
    ("Según la definición anterior, ¿cuál de las siguientes opciones no pertenece a la trascendencia?",
     "Based on the definition, option B does not fit the concept, as it describes learning; (A) does."),
    ("以下哪项为真,最不能支持该公司的观点?",
     'The statement "Kepakaran" (B) is not a direct piece of evidence that supports the company. Option A does.'),
    ("Which of the following is not an economic tool of security policy?",
     "Among them, (B) Kepakaran is not an economic tool; trade (A) and sanctions (C) are."),
]


@pytest.mark.parametrize("question,output", NOT_QUESTIONS)
def test_a_not_question_named_by_its_negation(question, output):
    assert read_answer(output, C, question=question).choice == 1
    # asked which one IS, the same words rule B out: no answer is read
    assert read_answer(output, C, question="Which of the following is an economic tool?").choice != 1
    # a verdict on correctness still rules an option out in a NOT question
    assert read_answer("(B) is incorrect, and (A) is also wrong.", C, question=question).choice is None
