"""The words of evaluation prompts in each benchmark language (`crossin eval --prompt-lang native`).

All prompt texts that are not English live here, in one place, so that a reviewer can read and correct them.
`instructions` are SeaEval v0.1's five instructions (crossin.prompts.SEAEVAL_TEMPLATES) in that language; the
first one is also crossin's template 1. The labels replace "Question", "Choices", "Context" and "Answer".
English is the source; the other languages were translated for this file and have not yet had a native
speaker's review: corrections go here and nowhere else.
"""

from __future__ import annotations

PROMPT_TEXTS: dict[str, dict] = {
    "en": {
        "instructions": [
            "Respond to the question by selecting the most appropriate answer.",
            "Kindly choose the correct answer from the options provided for the multiple-choice question.",
            "Solve the multi-choice question by selecting the accurate answer.",
            "Please answer the following multiple-choice question by selecting the correct option.",
            "As an expert, your task is to solve the following multiple-choice question. "
            "Identify the correct response among the given choices.",
        ],
        "question": "Question", "choices": "Choices", "context": "Context", "answer": "Answer",
    },
    "zh": {
        "instructions": [
            "请选择最合适的答案来回答问题。",
            "请从所给选项中为这道选择题选出正确答案。",
            "请选出准确的答案来解答这道选择题。",
            "请回答下面的选择题，选出正确的选项。",
            "作为专家，你的任务是解答下面的选择题。请从给出的选项中找出正确的答案。",
        ],
        "question": "问题", "choices": "选项", "context": "背景", "answer": "答案",
    },
    "es": {
        "instructions": [
            "Responde a la pregunta seleccionando la respuesta más adecuada.",
            "Por favor, elige la respuesta correcta entre las opciones dadas para la pregunta de opción múltiple.",
            "Resuelve la pregunta de opción múltiple seleccionando la respuesta exacta.",
            "Responde a la siguiente pregunta de opción múltiple seleccionando la opción correcta.",
            "Como experto, tu tarea es resolver la siguiente pregunta de opción múltiple. "
            "Identifica la respuesta correcta entre las opciones dadas.",
        ],
        "question": "Pregunta", "choices": "Opciones", "context": "Contexto", "answer": "Respuesta",
    },
    "vi": {
        "instructions": [
            "Hãy trả lời câu hỏi bằng cách chọn đáp án phù hợp nhất.",
            "Vui lòng chọn đáp án đúng từ các lựa chọn đã cho cho câu hỏi trắc nghiệm.",
            "Hãy giải câu hỏi trắc nghiệm bằng cách chọn đáp án chính xác.",
            "Hãy trả lời câu hỏi trắc nghiệm sau bằng cách chọn phương án đúng.",
            "Với tư cách là chuyên gia, nhiệm vụ của bạn là giải câu hỏi trắc nghiệm sau. "
            "Hãy xác định câu trả lời đúng trong các lựa chọn đã cho.",
        ],
        "question": "Câu hỏi", "choices": "Các lựa chọn", "context": "Ngữ cảnh", "answer": "Đáp án",
    },
    "id": {
        "instructions": [
            "Jawablah pertanyaan dengan memilih jawaban yang paling tepat.",
            "Silakan pilih jawaban yang benar dari pilihan yang diberikan untuk soal pilihan ganda ini.",
            "Selesaikan soal pilihan ganda dengan memilih jawaban yang tepat.",
            "Jawablah soal pilihan ganda berikut dengan memilih opsi yang benar.",
            "Sebagai seorang ahli, tugas Anda adalah menyelesaikan soal pilihan ganda berikut. "
            "Tentukan jawaban yang benar di antara pilihan yang diberikan.",
        ],
        "question": "Pertanyaan", "choices": "Pilihan", "context": "Konteks", "answer": "Jawaban",
    },
    "ms": {
        "instructions": [
            "Jawab soalan dengan memilih jawapan yang paling sesuai.",
            "Sila pilih jawapan yang betul daripada pilihan yang diberikan untuk soalan aneka pilihan ini.",
            "Selesaikan soalan aneka pilihan dengan memilih jawapan yang tepat.",
            "Sila jawab soalan aneka pilihan berikut dengan memilih pilihan yang betul.",
            "Sebagai pakar, tugas anda ialah menyelesaikan soalan aneka pilihan berikut. "
            "Kenal pasti jawapan yang betul antara pilihan yang diberikan.",
        ],
        "question": "Soalan", "choices": "Pilihan", "context": "Konteks", "answer": "Jawapan",
    },
    "fil": {
        "instructions": [
            "Sagutin ang tanong sa pamamagitan ng pagpili ng pinakaangkop na sagot.",
            "Pakipili ang tamang sagot mula sa mga ibinigay na pagpipilian para sa tanong na maramihang pagpipilian.",
            "Lutasin ang tanong na maramihang pagpipilian sa pamamagitan ng pagpili ng wastong sagot.",
            "Pakisagot ang sumusunod na tanong na maramihang pagpipilian sa pamamagitan ng pagpili ng tamang opsyon.",
            "Bilang isang eksperto, ang iyong gawain ay lutasin ang sumusunod na tanong na maramihang pagpipilian. "
            "Tukuyin ang tamang sagot sa mga ibinigay na pagpipilian.",
        ],
        "question": "Tanong", "choices": "Mga pagpipilian", "context": "Konteksto", "answer": "Sagot",
    },
}
