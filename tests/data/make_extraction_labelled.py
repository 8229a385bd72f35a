"""Writes tests/data/extraction_labelled.jsonl: model outputs for Cross-MMLU / Cross-LogiQA items, each with the
option a careful reader would pick (`label`, 0-based; null = no answer can be read).

The outputs imitate what 7B chat models (llama-2-7b-chat, mistral-7b-instruct), GPT-4 and base models write for
SeaEval's prompts: explanation, elimination, comparison, restatement, chain of thought, answer first, refusal, several
answers, option text without a label, full-width brackets, markdown, echoed option lists. The options are the real
benchmark options in each language (read from $CROSSIN_DATA_DIR). The set was written before the extractor it tests
and is not tuned to it; the chosen option and the phrasing are drawn with a fixed seed so the file is reproducible:

    CROSSIN_DATA_DIR=../shared/data python tests/data/make_extraction_labelled.py
"""

from __future__ import annotations

import json
import os
import random
import re
from pathlib import Path

LANG_NAMES = {"en": "English", "zh": "Chinese", "es": "Spanish", "vi": "Vietnamese", "id": "Indonesian",
              "ms": "Malay", "fil": "Filipino"}
MMLU_SETS = ["test_1", "test_2", "test_3", "test_8", "test_9", "test_10", "test_23", "test_29", "test_40", "test_50",
             "test_64", "test_140", "test_147", "test_22", "test_6", "test_5", "test_46"]
LOGIQA_SETS = 2  # the first two Cross-LogiQA sets: options are whole sentences
L = "ABCD"

# Per language: the phrases chat models use. {X}: the chosen option as the model writes it ("(B) funny", "B", ...);
# {Y}, {Z}: other options; {T}: the chosen option's text only.
P = {
    "en": {
        "final": ["The correct answer is {X}.", "The answer is {X}.", "Based on the question, the most appropriate answer is {X}.",
                  "Therefore, the best answer is {X}.", "Answer: {X}", "So the answer is {X}.", "I would choose {X}.",
                  "Final answer: {X}", "The correct option is {X}."],
        "open": ["Sure! I'd be happy to help.", "Great question!", "Based on the information provided,", ""],
        "fill": ["This is consistent with the information given in the question.",
                 "The other options do not match the description as well.",
                 "It is important to read each option carefully before choosing.",
                 "This is a well-established finding in the field."],
        "elim": ["Option {Y} is incorrect because it does not match the question.", "{Y} is not relevant to the question.",
                 "Option {Y} is wrong.", "{Y} can be ruled out.", "{Y} is not the correct answer."],
        "pos": ["{X} is correct.", "{X} is the best fit.", "{X} is the right choice."],
        "cmp": "Although {Y} might seem plausible, {X} is more accurate.",
        "cot": "Let's think step by step.",
        "restate": ["In conclusion, {X} is the answer that best fits.", "To summarize: {X}."],
        "refuse": ["I'm sorry, but I cannot answer this question without more context.",
                   "As an AI language model, I cannot provide an opinion on this matter. It is important to consult reliable sources.",
                   "None of the options provided is correct.", "I don't know the answer to this question.",
                   "I cannot decide between {X} and {Y} without more information."],
        "several": ["The answer could be either {X} or {Y}.", "Both {X} and {Y} are correct.",
                    "The correct answer is {X}. However, the correct answer is {Y}."],
        "text": ["The answer is {T}.", "{T}", "I think it is \"{T}\"."],
        "md": ["**Answer: {X}**\n\n**Explanation:** {fill}", "**{X}**\n\n{fill}", "### Answer\n\n{X}\n\n### Explanation\n{fill}",
               "- **Correct answer:** {X}\n- **Reason:** {fill}"],
        "q": "Question", "a": "Answer", "c": "Choices",
    },
    "zh": {
        "final": ["正确答案是{X}。", "答案是{X}。", "根据题意，最合适的答案是{X}。", "因此，答案是{X}。", "答案：{X}",
                  "所以选{X}。", "我选择{X}。", "正确选项是{X}。", "最终答案：{X}"],
        "open": ["好的，我来回答这个问题。", "根据题目提供的信息，", ""],
        "fill": ["这与题目中给出的信息一致。", "其他选项与题意不太符合。", "这是该领域公认的结论。", "需要仔细阅读每个选项。"],
        "elim": ["选项{Y}不正确，因为它与题意不符。", "{Y}是错误的。", "不是{Y}，因为它不符合题目的描述。", "{Y}与问题无关。", "排除{Y}。"],
        "pos": ["{X}是正确的。", "{X}最符合题意。"],
        "cmp": "虽然{Y}看起来也有道理，但{X}更准确。",
        "cot": "让我们一步一步地思考。",
        "restate": ["综上所述，{X}是最符合的答案。", "总结：{X}。"],
        "refuse": ["抱歉，我无法回答这个问题。", "作为一个人工智能语言模型，我无法确定正确答案。", "以上选项都不正确。", "我不知道。",
                   "没有更多信息，我无法在{X}和{Y}之间做出选择。"],
        "several": ["答案可能是{X}或{Y}。", "{X}和{Y}都正确。", "正确答案是{X}。不过，正确答案是{Y}。"],
        "text": ["答案是{T}。", "{T}", "我认为是“{T}”。"],
        "md": ["**答案：{X}**\n\n**解释：** {fill}", "**{X}**\n\n{fill}", "### 答案\n\n{X}\n\n### 解析\n{fill}",
               "- **正确答案：** {X}\n- **理由：** {fill}"],
        "q": "问题", "a": "答案", "c": "选项",
    },
    "es": {
        "final": ["La respuesta correcta es {X}.", "La respuesta es {X}.", "Según la pregunta, la respuesta más adecuada es {X}.",
                  "Por lo tanto, la mejor respuesta es {X}.", "Respuesta: {X}", "Así que la respuesta es {X}.", "Yo elegiría {X}.",
                  "La opción correcta es {X}.", "Respuesta final: {X}"],
        "open": ["¡Claro! Con gusto te ayudo.", "Según la información proporcionada,", ""],
        "fill": ["Esto es coherente con la información dada en la pregunta.", "Las demás opciones no encajan tan bien con la descripción.",
                 "Es importante leer cada opción con atención.", "Es un resultado bien establecido en este campo."],
        "elim": ["La opción {Y} es incorrecta porque no corresponde a la pregunta.", "{Y} no es relevante para la pregunta.",
                 "{Y} no es la respuesta correcta.", "Descartamos {Y}.", "La opción {Y} es errónea."],
        "pos": ["{X} es correcta.", "{X} es la que mejor encaja."],
        "cmp": "Aunque {Y} podría parecer razonable, {X} es más precisa.",
        "cot": "Pensemos paso a paso.",
        "restate": ["En conclusión, {X} es la respuesta que mejor encaja.", "En resumen: {X}."],
        "refuse": ["Lo siento, no puedo responder a esta pregunta sin más contexto.", "Ninguna de las opciones es correcta.",
                   "No lo sé.", "Como modelo de lenguaje, no puedo dar una opinión sobre este tema.",
                   "No puedo decidir entre {X} y {Y} sin más información."],
        "several": ["La respuesta podría ser {X} o {Y}.", "Tanto {X} como {Y} son correctas.",
                    "La respuesta correcta es {X}. Sin embargo, la respuesta correcta es {Y}."],
        "text": ["La respuesta es {T}.", "{T}", "Creo que es «{T}»."],
        "md": ["**Respuesta: {X}**\n\n**Explicación:** {fill}", "**{X}**\n\n{fill}", "### Respuesta\n\n{X}\n\n### Explicación\n{fill}",
               "- **Respuesta correcta:** {X}\n- **Motivo:** {fill}"],
        "q": "Pregunta", "a": "Respuesta", "c": "Opciones",
    },
    "vi": {
        "final": ["Đáp án đúng là {X}.", "Đáp án là {X}.", "Dựa vào câu hỏi, câu trả lời phù hợp nhất là {X}.",
                  "Vì vậy, câu trả lời đúng là {X}.", "Đáp án: {X}", "Vậy chọn {X}.", "Tôi chọn {X}.",
                  "Phương án đúng là {X}.", "Câu trả lời: {X}"],
        "open": ["Chắc chắn rồi! Tôi rất vui được giúp bạn.", "Dựa trên thông tin được cung cấp,", ""],
        "fill": ["Điều này phù hợp với thông tin được đưa ra trong câu hỏi.", "Các lựa chọn khác không phù hợp bằng.",
                 "Cần đọc kỹ từng phương án trước khi chọn.", "Đây là kết luận đã được công nhận trong lĩnh vực này."],
        "elim": ["{Y} sai vì không phù hợp với câu hỏi.", "Phương án {Y} không đúng.", "Loại {Y}.", "{Y} không liên quan đến câu hỏi.",
                 "Đáp án không phải là {Y}."],
        "pos": ["{X} là đúng.", "{X} là phù hợp nhất."],
        "cmp": "Mặc dù {Y} có vẻ hợp lý, nhưng {X} chính xác hơn.",
        "cot": "Chúng ta hãy suy nghĩ từng bước.",
        "restate": ["Tóm lại, {X} là câu trả lời phù hợp nhất.", "Kết luận: {X}."],
        "refuse": ["Xin lỗi, tôi không thể trả lời câu hỏi này.", "Không có đáp án nào đúng.", "Tôi không biết.",
                   "Là một mô hình ngôn ngữ AI, tôi không thể đưa ra ý kiến về vấn đề này.",
                   "Tôi không thể chọn giữa {X} và {Y} nếu không có thêm thông tin."],
        "several": ["Đáp án có thể là {X} hoặc {Y}.", "Cả {X} và {Y} đều đúng.", "Đáp án đúng là {X}. Tuy nhiên, đáp án đúng là {Y}."],
        "text": ["Đáp án là {T}.", "{T}", "Tôi nghĩ là \"{T}\"."],
        "md": ["**Đáp án: {X}**\n\n**Giải thích:** {fill}", "**{X}**\n\n{fill}", "### Đáp án\n\n{X}\n\n### Giải thích\n{fill}",
               "- **Đáp án đúng:** {X}\n- **Lý do:** {fill}"],
        "q": "Câu hỏi", "a": "Đáp án", "c": "Lựa chọn",
    },
    "id": {
        "final": ["Jawaban yang benar adalah {X}.", "Jawabannya adalah {X}.", "Berdasarkan pertanyaan, jawaban yang paling tepat adalah {X}.",
                  "Oleh karena itu, jawabannya adalah {X}.", "Jawaban: {X}", "Jadi jawabannya {X}.", "Saya memilih {X}.",
                  "Pilihan yang benar adalah {X}.", "Jawaban akhir: {X}"],
        "open": ["Tentu! Saya senang membantu.", "Berdasarkan informasi yang diberikan,", ""],
        "fill": ["Hal ini sesuai dengan informasi yang diberikan dalam pertanyaan.", "Pilihan lainnya kurang sesuai dengan deskripsi tersebut.",
                 "Penting untuk membaca setiap pilihan dengan teliti.", "Ini adalah temuan yang sudah mapan di bidang ini."],
        "elim": ["Pilihan {Y} salah karena tidak sesuai dengan pertanyaan.", "Jawabannya bukan {Y}.", "{Y} tidak tepat.",
                 "{Y} tidak relevan dengan pertanyaan.", "Pilihan {Y} kurang tepat."],
        "pos": ["{X} benar.", "{X} adalah yang paling sesuai."],
        "cmp": "Meskipun {Y} tampak masuk akal, {X} lebih tepat.",
        "cot": "Mari kita pikirkan langkah demi langkah.",
        "restate": ["Kesimpulannya, {X} adalah jawaban yang paling sesuai.", "Ringkasnya: {X}."],
        "refuse": ["Maaf, saya tidak dapat menjawab pertanyaan ini.", "Tidak ada pilihan yang benar.", "Saya tidak tahu.",
                   "Sebagai model bahasa AI, saya tidak dapat memberikan pendapat tentang hal ini.",
                   "Saya tidak dapat memilih antara {X} dan {Y} tanpa informasi lebih lanjut."],
        "several": ["Jawabannya bisa {X} atau {Y}.", "{X} dan {Y} keduanya benar.",
                    "Jawaban yang benar adalah {X}. Namun, jawaban yang benar adalah {Y}."],
        "text": ["Jawabannya adalah {T}.", "{T}", "Menurut saya \"{T}\"."],
        "md": ["**Jawaban: {X}**\n\n**Penjelasan:** {fill}", "**{X}**\n\n{fill}", "### Jawaban\n\n{X}\n\n### Penjelasan\n{fill}",
               "- **Jawaban yang benar:** {X}\n- **Alasan:** {fill}"],
        "q": "Pertanyaan", "a": "Jawaban", "c": "Pilihan",
    },
    "ms": {
        "final": ["Jawapan yang betul ialah {X}.", "Jawapannya ialah {X}.", "Berdasarkan soalan, jawapan yang paling sesuai ialah {X}.",
                  "Oleh itu, jawapannya ialah {X}.", "Jawapan: {X}", "Jadi jawapannya {X}.", "Saya memilih {X}.",
                  "Pilihan yang betul ialah {X}.", "Jawapan akhir: {X}"],
        "open": ["Baiklah! Saya gembira dapat membantu.", "Berdasarkan maklumat yang diberikan,", ""],
        "fill": ["Ini selaras dengan maklumat yang diberikan dalam soalan.", "Pilihan lain kurang sesuai dengan huraian tersebut.",
                 "Penting untuk membaca setiap pilihan dengan teliti.", "Ini ialah dapatan yang mantap dalam bidang ini."],
        "elim": ["Pilihan {Y} tidak betul kerana ia tidak berkaitan dengan soalan.", "{Y} adalah salah.", "Jawapannya bukan {Y}.",
                 "{Y} tidak relevan.", "Pilihan {Y} kurang tepat."],
        "pos": ["{X} adalah betul.", "{X} paling sesuai."],
        "cmp": "Walaupun {Y} nampak munasabah, {X} lebih tepat.",
        "cot": "Mari kita fikirkan langkah demi langkah.",
        "restate": ["Kesimpulannya, {X} ialah jawapan yang paling sesuai.", "Ringkasnya: {X}."],
        "refuse": ["Maaf, saya tidak dapat menjawab soalan ini.", "Tiada pilihan yang betul.", "Saya tidak tahu.",
                   "Sebagai model bahasa AI, saya tidak dapat memberikan pendapat tentang perkara ini.",
                   "Saya tidak dapat memilih antara {X} dan {Y} tanpa maklumat lanjut."],
        "several": ["Jawapannya mungkin {X} atau {Y}.", "{X} dan {Y} kedua-duanya betul.",
                    "Jawapan yang betul ialah {X}. Walau bagaimanapun, jawapan yang betul ialah {Y}."],
        "text": ["Jawapannya ialah {T}.", "{T}", "Pada pendapat saya, \"{T}\"."],
        "md": ["**Jawapan: {X}**\n\n**Penjelasan:** {fill}", "**{X}**\n\n{fill}", "### Jawapan\n\n{X}\n\n### Penjelasan\n{fill}",
               "- **Jawapan yang betul:** {X}\n- **Sebab:** {fill}"],
        "q": "Soalan", "a": "Jawapan", "c": "Pilihan",
    },
    "fil": {
        "final": ["Ang tamang sagot ay {X}.", "Ang sagot ay {X}.", "Batay sa tanong, ang pinakaangkop na sagot ay {X}.",
                  "Kaya, ang tamang sagot ay {X}.", "Sagot: {X}", "Kaya ang sagot ay {X}.", "Pipiliin ko ang {X}.",
                  "Ang tamang pagpipilian ay {X}.", "Huling sagot: {X}"],
        "open": ["Sige! Ikinagagalak kong tumulong.", "Batay sa ibinigay na impormasyon,", ""],
        "fill": ["Ito ay tugma sa impormasyong ibinigay sa tanong.", "Ang ibang mga pagpipilian ay hindi gaanong angkop.",
                 "Mahalagang basahin nang mabuti ang bawat pagpipilian.", "Ito ay isang kilalang konklusyon sa larangang ito."],
        "elim": ["Mali ang {Y} dahil hindi ito tugma sa tanong.", "Hindi tama ang opsyon {Y}.", "Ang {Y} ay mali.",
                 "Hindi {Y} ang sagot.", "Ang {Y} ay hindi nauugnay sa tanong."],
        "pos": ["Tama ang {X}.", "Ang {X} ang pinakaangkop."],
        "cmp": "Bagaman mukhang makatwiran ang {Y}, mas tama ang {X}.",
        "cot": "Pag-isipan natin ito nang hakbang-hakbang.",
        "restate": ["Sa kabuuan, ang {X} ang pinakaangkop na sagot.", "Buod: {X}."],
        "refuse": ["Paumanhin, hindi ko masasagot ang tanong na ito.", "Wala sa mga pagpipilian ang tama.", "Hindi ko alam.",
                   "Bilang isang AI language model, hindi ako makapagbibigay ng opinyon tungkol dito.",
                   "Hindi ako makapili sa pagitan ng {X} at {Y} nang walang karagdagang impormasyon."],
        "several": ["Ang sagot ay maaaring {X} o {Y}.", "Parehong tama ang {X} at {Y}.",
                    "Ang tamang sagot ay {X}. Gayunpaman, ang tamang sagot ay {Y}."],
        "text": ["Ang sagot ay {T}.", "{T}", "Sa tingin ko ay \"{T}\"."],
        "md": ["**Sagot: {X}**\n\n**Paliwanag:** {fill}", "**{X}**\n\n{fill}", "### Sagot\n\n{X}\n\n### Paliwanag\n{fill}",
               "- **Tamang sagot:** {X}\n- **Dahilan:** {fill}"],
        "q": "Tanong", "a": "Sagot", "c": "Mga pagpipilian",
    },
}


def load_sets(data_dir: Path) -> list[dict]:
    sets = []
    strip = re.compile(r"^\s*\([A-D]\)\s*")
    with open(data_dir / "cross_mmlu" / "test.jsonl", encoding="utf-8") as f:
        mmlu = {o["id"]: o for o in map(json.loads, f)}
    with open(data_dir / "cross_logiqa" / "test.jsonl", encoding="utf-8") as f:
        logiqa = [json.loads(line) for _, line in zip(range(LOGIQA_SETS), f)]
    for raw in [mmlu[i] for i in MMLU_SETS] + logiqa:
        sets.append({"set": raw["id"], "choices": {code: [strip.sub("", c).strip() for c in raw[name]["choices"]]
                                                   for code, name in LANG_NAMES.items()},
                     "question": {code: raw[name]["question"] for code, name in LANG_NAMES.items()}})
    return sets


def render(rng: random.Random, i: int, text: str, *, with_text: bool | None = None) -> str:
    """An option as a model writes it: (B), B, (B) funny, B. funny, B) funny, [B], option B ..."""
    forms = ["({l})", "{l}", "({l}) {t}", "{l}. {t}", "{l}) {t}", "({l}) {t}", "[{l}]"]
    if with_text is True:
        forms = ["({l}) {t}", "{l}. {t}", "{l}) {t}", "({l}) {t}"]
    elif with_text is False:
        forms = ["({l})", "{l}", "({l})", "[{l}]"]
    return rng.choice(forms).format(l=L[i], t=text)


VERDICT = {  # walkthrough: each option with a one-word verdict
    "en": ("not correct", "correct"), "zh": ("不正确", "正确"), "es": ("incorrecta", "correcta"), "vi": ("không đúng", "đúng"),
    "id": ("tidak tepat", "benar"), "ms": ("tidak tepat", "betul"), "fil": ("hindi tama", "tama"),
}


def make(rng: random.Random, lang: str, s: dict, style: str, variant: int) -> tuple[str, int | None]:
    choices = s["choices"][lang]
    if style == "english_reply":  # chat models often answer in English whatever the question's language
        lang, style = "en", rng.choice(["explanation", "elimination", "cot", "comparison"])
    p = P[lang]
    x = rng.randrange(4)
    others = [j for j in range(4) if j != x]
    rng.shuffle(others)
    y, z = others[0], others[1]
    X = render(rng, x, choices[x])
    short = max(len(c) for c in choices) <= 30  # long sentences are referred to by their label
    Y = render(rng, y, choices[y], with_text=None if short else False)
    Z = render(rng, z, choices[z], with_text=False)
    fill = rng.sample(p["fill"], 2)
    sep = "" if lang == "zh" else " "
    opening = rng.choice(p["open"])
    final = rng.choice(p["final"]).format(X=X)

    def j(*parts: str) -> str:
        out = ""
        for q in (q for q in parts if q):
            if out and out.endswith(",") and re.match(r"[A-Z][a-zà-ỹ]", q):  # "Based on ..., the answer ..."
                q = q[0].lower() + q[1:]
            out += ("" if not out else sep if re.search(r"[.。!?！？,，:：]$", out) else "\n") + q
        return out.strip()

    if style == "explanation":  # llama-2-chat: greeting, answer, explanation
        forms = [j(opening, final, *fill), final + "\n\n" + j(*fill), j(fill[0], final),
                 j(opening, final, fill[0], p["restate"][1].format(X=render(rng, x, choices[x], with_text=True)))]
        return forms[variant % len(forms)], x
    if style == "elimination":  # the answer, then why every other option is wrong (the two real outputs)
        elims = [rng.choice(p["elim"]).format(Y=render(rng, k, choices[k], with_text=None if short else False)) for k in others]
        forms = [j(final, *elims), final + "\n\n" + "\n".join(elims), j(final, fill[0], elims[0], elims[1])]
        return forms[variant % len(forms)], x
    if style == "elimination_then_answer":
        elims = [rng.choice(p["elim"]).format(Y=render(rng, k, choices[k], with_text=None if short else False)) for k in others]
        forms = [j(*elims, final), "\n".join(elims) + "\n\n" + final, j(elims[0], elims[1], elims[2], rng.choice(p["pos"]).format(X=X))]
        return forms[variant % len(forms)], x
    if style == "comparison":
        cmp = p["cmp"].format(X=X, Y=Y)
        forms = [j(cmp, final), j(final, cmp), j(opening, cmp, fill[0], final)]
        return forms[variant % len(forms)], x
    if style == "restatement":  # the answer, then the same option again in the conclusion
        again = render(rng, x, choices[x])
        forms = [j(final, fill[0], rng.choice(p["restate"]).format(X=again)),
                 j(final, fill[0], fill[1], rng.choice(p["final"]).format(X=again))]
        return forms[variant % len(forms)], x
    if style == "cot":  # reasoning over the options, then a conclusion
        elim = rng.choice(p["elim"]).format(Y=Y)
        forms = [j(p["cot"], fill[0], elim, final), p["cot"] + "\n1. " + fill[0] + "\n2. " + elim + "\n3. " + fill[1] + "\n\n" + final,
                 j(p["cot"], rng.choice(p["pos"]).format(X=X), elim, final)]
        return forms[variant % len(forms)], x
    if style == "answer_first":  # base models: the answer, then whatever comes next (a new question, an instruction, noise)
        nxt = s["question"][lang]
        forms = [f"{L[x]}\n\n{p['q']}: {nxt}", f"({L[x]}) {choices[x]}\n\n### Instruction:\n{p['q']}: {nxt}",
                 f"{choices[x]}\n\n{p['q']}: {nxt}", f"{L[x]}. {choices[x]}\n{fill[0]}",
                 f"{L[x]} 2019年12月12日,由《中国质量报》主办的第十届中国质量论坛在北京举行"]
        return forms[variant % len(forms)], x
    if style == "refusal":
        form = p["refuse"][variant % len(p["refuse"])]
        return form.format(X=render(rng, x, choices[x], with_text=False), Y=render(rng, y, choices[y], with_text=False)), None
    if style == "several":  # two options, none chosen
        form = p["several"][variant % len(p["several"])]
        return j(opening, form.format(X=X, Y=Y)), None
    if style == "text_no_label":
        form = p["text"][variant % len(p["text"])]
        return j(form.format(T=choices[x]), fill[0] if variant % 2 else ""), x
    if style == "fullwidth":
        full = "（" + chr(ord("Ａ") + x) + "）"
        forms = [rng.choice(p["final"]).format(X=full), f"{full}{choices[x]}", j(rng.choice(p["final"]).format(X=full + " " + choices[x]), fill[0])]
        return forms[variant % len(forms)], x
    if style == "markdown":
        form = p["md"][variant % len(p["md"])]
        return form.format(X=render(rng, x, choices[x]), fill=fill[0]), x
    if style == "walkthrough":  # every option listed with a verdict, then the answer
        wrong, right = VERDICT[lang]
        lines = [f"({L[k]}) {choices[k]}: {right if k == x else wrong}" for k in range(4)]
        forms = ["\n".join(lines) + "\n\n" + final, j(opening, "\n" + "\n".join(f"- {ln}" for ln in lines)) + "\n\n" + final]
        return forms[variant % len(forms)], x
    if style == "echo":  # the prompt's option list echoed back: not an answer
        listed = "\n".join(f"({L[k]}) {choices[k]}" for k in range(4))
        forms = [f"{p['a']}:\n{listed}\n\n{p['a']}:", "\n".join(f"{L[k]}. {choices[k]}" for k in range(4)),
                 f"{p['c']}:\n{listed}"]
        return forms[variant % len(forms)], None
    raise ValueError(style)


STYLES = {  # style -> variants per language
    "explanation": 8, "elimination": 7, "elimination_then_answer": 5, "comparison": 5, "restatement": 4, "cot": 5,
    "answer_first": 6, "refusal": 5, "several": 4, "text_no_label": 5, "fullwidth": 4, "markdown": 4, "echo": 3,
    "walkthrough": 3, "english_reply": 3,
}

# Outputs copied or closely modelled on real published ones (issue 21), and shapes that are hard to template.
WRITTEN = [
    {"lang": "fil", "set": "test_5", "label": 0, "style": "elimination", "source": "mistral-7b-instruct (real, issue 21)",
     "output": "The most appropriate answer is (A) batay sa comparative advantage. This is because multinational "
               "corporations tend to locate their operations where they have a comparative advantage. Option (B) is "
               "incorrect because performing accounting and research services where it is economical is not the main "
               "reason. Option (C) is incorrect because producing goods where production costs are highest makes no sense. "
               "Option (D) is incorrect because headquarters are usually located in developed countries."},
    {"lang": "zh", "set": "test_8", "label": 3, "style": "elimination", "source": "mistral-7b-instruct (real, issue 21)",
     "output": "Based on the question, the most appropriate answer is (D) 成就. Achievement tests measure what a person "
               "has learned. Option (A) 性格 (personality) is not relevant to this question. Option (B) 资质 (aptitude) "
               "measures potential rather than what has been learned. Option (C) 兴趣 (interest) is not relevant either."},
    {"lang": "en", "set": "test_3", "label": None, "style": "echo", "source": "gemma-3-270m base (real, issue 21)",
     "output": "Answer:\n(A) 642\n(B) 638\n(C) 42\n(D) 38\n\nAnswer:"},
    {"lang": "vi", "set": "test_46", "label": None, "style": "echo", "source": "gemma-3-270m base (real, issue 21)",
     "output": "Chọn 1.\nChọn 2.\nChọn 3.\nChọn 4.\nChọn 1.\nChọn 2."},
]


def main() -> None:
    data_dir = Path(os.environ.get("CROSSIN_DATA_DIR", "../shared/data"))
    sets = load_sets(data_dir)
    by_id = {s["set"]: s for s in sets}
    rng = random.Random(20240521)
    rows = []
    for lang in LANG_NAMES:
        for style, n in STYLES.items():
            for v in range(n if style != "english_reply" or lang != "en" else 0):
                s = rng.choice(sets)
                output, label = make(rng, lang, s, style, v)
                rows.append({"lang": lang, "set": s["set"], "style": style, "source": "written", "output": output,
                             "label": label, "choices": s["choices"][lang]})
    for w in WRITTEN:
        rows.append({**w, "choices": by_id[w["set"]]["choices"][w["lang"]]})
    out = Path(__file__).with_name("extraction_labelled.jsonl")
    with open(out, "w", encoding="utf-8") as f:
        for i, row in enumerate(rows):
            f.write(json.dumps({"id": f"x{i:04d}", **row}, ensure_ascii=False) + "\n")
    print(f"wrote {len(rows)} rows to {out}")


if __name__ == "__main__":
    main()
