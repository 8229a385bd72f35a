"""The patterns crossin's rules (`crossin.extract`) read answers with, in the seven SeaEval languages: final-answer
phrases, labels, verdicts before and after an option, lists, refusals. Each is bounded (no nested unbounded
quantifier): reading stays linear (tests/test_extract_linear.py).
"""

from __future__ import annotations

import re

# Final-answer phrases. A bare "option" is not one ("Option (B) is incorrect"): only a qualified one is.
_Q_EN = r"(?:most )?(?:correct|right|best|final|appropriate|accurate|suitable|likely|true)"
_FINAL_WORDS = [
    rf"(?:(?:{_Q_EN}) )?answer(?: to (?:the|this) question)?(?: (?:is|would be|should be|will be|here is))?",
    rf"(?:{_Q_EN}) (?:option|choice)(?: (?:is|would be|should be))?",
    r"i (?:would |will |'d |'ll )?(?:choose|pick|select|go with)", r"my (?:final )?choice is",
    r"(?:正确|最终|最合适的|最恰当的|最佳|正确的)?答案(?:应该|应|应当)?(?:是|为|[:：]|(?=\n)|(?=不是|并非))",
    r"(?:正确|最合适|最恰当|最佳)的?选项(?:应该|应|应当)?(?:是|为|[:：])", r"(?:应该|应|应当|所以|因此|故|我)?选(?:择)?(?=[ (\[*]?[A-J])",
    r"(?:la )?respuesta(?: (?:correcta|final|m[aá]s (?:adecuada|apropiada|precisa)|adecuada|acertada))?(?: (?:es|ser[ií]a))?",
    r"(?:la )?(?:opci[oó]n|alternativa) (?:correcta|m[aá]s (?:adecuada|apropiada))(?: (?:es|ser[ií]a))?",
    r"(?:yo )?(?:elegir[ií]a|elijo|escojo|escoger[ií]a)",
    r"(?:đáp án|câu trả lời)(?: (?:đúng|chính xác|phù hợp nhất|hợp lý nhất|cuối cùng))?(?: (?:là|sẽ là))?",
    r"(?:phương án|lựa chọn) (?:đúng|chính xác|phù hợp nhất)(?: (?:là|sẽ là))?", r"(?<!lựa )chọn",
    r"(?:jawaban|jawapan)(?:nya)?(?: (?:yang )?(?:benar|betul|tepat|paling tepat|paling sesuai|sesuai|akhir))?(?: (?:adalah|ialah|ini))?",
    r"pilihan (?:yang )?(?:benar|betul|tepat|paling tepat|paling sesuai)(?: (?:adalah|ialah))?",
    r"saya (?:akan )?(?:memilih|pilih)",
    r"(?:ang )?(?:(?:tamang|huling|wastong|pinakaangkop na) )?sagot(?: ko)?(?: (?:ay|ay ang))?",
    r"(?:ang )?(?:tamang|pinakaangkop na) (?:pagpipilian|opsyon)(?: ay)?", r"pipiliin ko(?: ang)?",
    # a hedged pick is still a pick: "none is exact, but the closest is (A)"
    r"(?:the )?closest(?: (?:answer|option|one))?(?: is)?", r"(?:la )?m[aá]s (?:cercana|aproximada)(?: es)?",
    r"最接近的(?:答案|选项)?(?:是|为)", r"gần đúng nhất(?: là)?", r"(?:yang )?paling (?:mendekati|hampir)(?: (?:adalah|ialah))?",
    # "which corresponds to choice (B)": only before a label (_TARGET_RE), never before an option's text
    r"(?:corresponds|correspond|matches|refers) to", r"corresponde a", r"tương ứng với", r"(?:sesuai|sepadan) dengan",
    r"tumutugma sa", r"对应(?:于|的是)?", r"(?<=[\u4e00-\u9fff])的(?:是|为)(?=[ (\[*]{0,2}(?:选项)?[ (\[*]{0,2}[A-J])",
]
_FINAL_RE = re.compile(rf"(?<![A-Za-z\u00C0-\u024F\u1E00-\u1EFF])(?:{'|'.join(_FINAL_WORDS)})", re.IGNORECASE)
_GAP_NEG_RE = re.compile(r"(?<![A-Za-z])(?:not|no|cannot|can't|isn't|nor|ni|không|tidak|bukan|hindi|wala)(?![A-Za-z])"
                         r"|不|没|無|无", re.IGNORECASE)
# "Therefore, A." / "所以C。" / "Vậy B." : a conclusion word, then a label that ends the sentence.
_CONCLUSION_RE = re.compile(
    r"(?<![A-Za-z\u00C0-\u024F\u1E00-\u1EFF])(?i:therefore|thus|hence|so|因此|所以|故|por lo tanto|por tanto|así que|"
    r"entonces|vì vậy|do đó|vậy|jadi|oleh (?:karena|sebab) itu|oleh itu|maka|kaya|samakatuwid)[,，:：]? ?"
    r"(?:\(([A-Ja-j])\)|\[([A-Ja-j])\]|\*\*([A-J])\*\*|([A-J]))(?=[.。!！]?(?:\n|$)|[.。!！] )")
# "所以长期供给曲线通常会有较高的弹性（D）。", "Therefore, the best estimate is 1.6 million (C).": a conclusion sentence
# that ends with a bracketed label.
_CONCLUDED_LABEL_RE = re.compile(
    r"(?<![A-Za-z\u00C0-\u024F\u1E00-\u1EFF])(?i:therefore|thus|hence|so|因此|所以|故|por lo tanto|por tanto|así que|"
    r"vì vậy|do đó|jadi|oleh (?:karena|sebab) itu|oleh itu|maka|kaya|samakatuwid)(?![A-Za-z])[^.。!?\n()]{0,150}?"
    r"\(([A-J])\)(?=[.。!](?:\s|$)|$)")
# "not A but C", "不是A，而是C": the option named after a negated statement in the same sentence.
_BUT_RE = re.compile(r"[^.。!?\n]{0,60}?(?i:but rather|but|而是|sino|mà là|melainkan|tetapi|tapi|kundi)[ ,，]{0,2}")
# "Các đáp án B, C, D không đúng": a list of labels after an answer word is not one answer.
_LIST_CONT_RE = re.compile(r" ?[,、，] ?(?:(?i:and|y|và|dan|at|和) )?(?:\(([A-J])\)|\[([A-J])\]|([A-J])(?![A-Za-z0-9]))")
# "the answer is B or D": a final statement naming two options.
_OR_RE = re.compile(r" ?(?i:or|o|或|或者|hoặc|atau|ou)[ ]?(?:(?i:the|la|el|option|opción|ang) )?"
                    r"(?:\(([A-Ja-j])\)|\[([A-Ja-j])\]|([A-J])(?![A-Za-z0-9]))")
# What may stand between the phrase and the option: punctuation, markdown, a line break (bounded: linear).
_SKIP = r"[ :：=*\-–—#>\n\"'“「‘]{0,8}"
_OPTION_WORD = (r"(?:(?:option|choice|letter|opci[oó]n|alternativa|letra|phương án|lựa chọn|đáp án|chữ|pilihan|huruf|opsyon|"
                r"pagpipilian|titik|选项|字母|la|el|ang|the) ?){0,3}")
# An option label: "(B)", "[B]", "**B**", or a capital letter standing alone ("B", "B.", "B)").
_LABEL = r"(?:\(([A-Ja-j])\)|\[([A-Ja-j])\]|\*\*([A-J])\*\*|([A-J])(?![A-Za-z0-9'’]))"
_TARGET_RE = re.compile(rf"{_SKIP}(?i:{_OPTION_WORD})(?:\*\*)?{_LABEL}")
# "The most appropriate answer in a post-industrial economy would be (B)", "La respuesta correcta según la definición
# sería (A)", "the option that does not fit this description is:\n(A)": an answer word, a clause (one sentence,
# bounded: linear), then a copula and the option (_TARGET_RE). A gap with a negation is no answer (_GAP_NEG_RE).
_GAP_FINAL_RE = re.compile(
    rf"(?<![A-Za-z\u00C0-\u024F\u1E00-\u1EFF])(?i:answer|option|choice|statement|respuesta|opci[oó]n|alternativa|đáp án|"
    r"lựa chọn|phương án|câu trả lời|jawaban|jawapan|pilihan|pernyataan|sagot|opsyon|pagpipilian)"
    r"(?P<gap>[^.!?\n。()\[\]]{1,120}?) (?i:is|would be|should be|will be|es|ser[ií]a|debe ser|là|sẽ là|adalah|ialah|"
    rf"ay|ang)(?![A-Za-z])(?={_TARGET_RE.pattern})")
_NEG_AFTER_PHRASE_RE = re.compile(r"[ :]{0,3}(?:not\b|no\b|nicht|bukan|không|hindi|不是|不|并非|ni\b)", re.IGNORECASE)
_TEXT_START_RE = re.compile(r"[ :：=*\-–—#>\n\"'“「‘(\[]{0,8}")

# Label mentions outside final statements: bracketed, "option B", "B." / "B)" before that option's own text.
_MENTION_RE = re.compile(
    r"\(([A-J])\)|\[([A-J])\]|\*\*([A-J])\*\*|(?i:option|opci[oó]n|phương án|pilihan|opsyon|选项) ?([A-J])(?![A-Za-z0-9])"
    r"|(?<![A-Za-z0-9])([A-J])[.)](?= )|(?<![A-Za-z0-9])([A-J])(?= (?:is|are|es|là|adalah|ialah|ay|sai|salah|benar|betul|"
    r"không|tidak|kurang|can|no|y|o|and|or|và|hoặc|dan|atau|at|đúng|correct|correcto|correcta|incorrect|incorrecto|"
    r"incorrecta|wrong|right|tama|mali)\b)|(?<![A-Za-z0-9])([A-J])(?=[是不和或与都最更正错对项])"
    r"|(?<![A-Za-z])(?i:and|or|y|o|và|hoặc|dan|atau|at|和|或) ?(?:(?i:la|el|the|ang) )?([A-J])(?![A-Za-z0-9])")
# An option line of a list: "(A) 642", "A. 642", "- B) ...", "Answer: (A) 642", and numbered ones ("1. 642").
# After an answer word only a numbered one: "Answer: (C) x" then "A) ... is wrong" is an answer, not a list.
_LIST_ITEM_RE = re.compile(r"(?:[-*•] )?(?:\*\*)?(?:\(([A-J1-9])\)|\[([A-J1-9])\]|([A-J1-9])[.):](?![0-9]))"
                           r"|(?i:answer|答案|respuesta|đáp án|jawaban|jawapan|sagot|chọn)[:：]? ?([1-9])[.)](?![0-9])")
_COORD_RE = re.compile(r"[ ,，、]{0,3}(?:and|or|y|o|e|u|và|hoặc|hay|dan|atau|at|和|或|及|以及|与|como|ou)[ ,，]{0,3}"
                       r"(?:(?:la|el|the|ang) )?", re.IGNORECASE)

# Verdicts after an option ("... is incorrect", "... 不正确", "... sai") and before it ("不是 ...", "Mali ang ...").
_NEG_AFTER_RE = re.compile(
    r"[ ,:：项]{0,3}(?:(?:is|are|es|son|ay|adalah|là|是)[ ]?)?(?:(?:also|clearly|likewise|también|cũng|juga|也) ?)?"
    r"(?:not\b|no\b|incorrect|wrong|false|irrelevant|unlikely|"
    r"can(?:not)? be (?:ruled out|eliminated|excluded)|should be (?:ruled out|eliminated)|doesn't|does not|"
    r"incorrect[ao]s?|err[oó]ne[ao]s?|fals[ao]s?|descartad|不|错|无关|并非|sai\b|không|salah|tidak|kurang|bukan|mali\b|hindi)",
    re.IGNORECASE)
_NEG_BEFORE_RE = re.compile(
    r"(?:\bnot|\bno|\bexcept|rather than|instead of|other than|eliminate|rule out|不是|不选|不|排除|并非|除了|\bloại|không phải(?: là)?|"
    r"\bbukan|\bmali ang|\bhindi(?: tama ang| ito)?|\bdescartamos|\bdescartar|\bexcepto)(?: (?:option|opción|opsyon|ang|la|the))? ?$",
    re.IGNORECASE)
_POS_AFTER_RE = re.compile(
    r"[ ,:：项]{0,3}(?:(?:is|es|là|adalah|ialah|ay|是)[ ]?)?(?:(?:the )?(?:correct|right|best|most (?:appropriate|accurate|suitable))\b|"
    r"more (?:accurate|appropriate|correct|likely)|correct[ao]s?\b|la correcta|la (?:m[aá]s )?(?:adecuada|precisa)|"
    r"la que mejor|m[aá]s precis[ao]|m[aá]s adecuad[ao]|正确|最符合|最合适|更准确|更合适|đúng|phù hợp nhất|chính xác hơn|benar|betul|"
    r"(?:yang )?paling (?:sesuai|tepat)|lebih tepat|tama\b|ang pinakaangkop)", re.IGNORECASE)
_VERDICT_NEG_AFTER_RE = re.compile(
    r"[ ,:：项]{0,3}(?:(?:is|are|es|son|ay|adalah|là|是)[ ]?)?(?:(?:also|clearly|likewise|también|cũng|juga|也) ?)?"
    r"(?:(?:not|no|不|không|tidak|bukan|hindi|kurang) ?(?:the )?(?:"
    r"correct|right|true|accurate|valid|appropriate|correct[ao]|verdader[ao]|正确|对|đúng|chính xác|benar|betul|tepat|tama|answer|"
    r"respuesta|relevant|relevan|relevante|liên quan|相关|kaugnay|apply|applicable)|irrelevant|irrelevante|无关|incorrect|wrong|false|incorrect[ao]s?|err[oó]ne[ao]s?|fals[ao]s?|错|sai\b|salah|mali\b|"
    r"can(?:not)? be (?:ruled out|eliminated|excluded)|should be (?:ruled out|eliminated))", re.IGNORECASE)
# A copula (and an article) right before a label that the option's own text follows: a declarative answer.
_COPULA_BEFORE_RE = re.compile(r"(?<![A-Za-z])(?:is|are|would be|will be|should be|es|son|ser[ií]a|là|sẽ là|adalah|ialah|"
                               r"merupakan|ay|ang|是|为)(?: (?:the|el|la|los|las|si|ang|si))? ?[(\[*]{0,2}$", re.IGNORECASE)
# "... is:" ending a line, the label starting the next: the option is the statement's answer.
# (Not a plural copula: "the choices that ... are:" announces a list, several answers.)
_COLON_LINE_BEFORE_RE = re.compile(r"(?<![A-Za-z])(?:is|would be|will be|es|ser[ií]a|là|sẽ là|adalah|ialah|"
                                   r"merupakan|ay|是|为)[:：]\n[*#> ]{0,4}[(\[*]{0,2}$", re.IGNORECASE)
# ... unless another option line follows within two lines (a list, several answers or a walk-through)
_LABEL_LINE_NEAR_RE = re.compile(r"[^\n]*\n(?:[^\n]*\n)?[-*• ]{0,3}(?:\*\*)?(?:\([A-J]\)|\[[A-J]\]|[A-J][.):])")
# Another option joined to a stated one: "and (A)", ", (B)", " (D)", "C and D." (a bare letter only as a label).
_SEVERAL_RE = re.compile(r"[ ,，、]{0,3}(?:(?i:and|or|y|o|e|và|hoặc|dan|atau|at|和|或|及|与|以及) ?)?(?:(?i:option|choice|opci[oó]n|"
                         r"pilihan|the|la|el|ang) ?)?(?:\(([A-J])\)|\[([A-J])\]|([A-J])(?=$|[.,;:。，)]| (?:are|is|both)\b))")
# ... or a few words later, in the same clause: "(D) kinetic energy of the fragments and (C) kinetic energy of ..."
_JOINED_LATER_RE = re.compile(r"[^.。;\n()\[\]]{0,40}? (?i:and|or|y|o|và|hoặc|dan|atau|at|和|或|以及|及|与) "
                              r"(?:\(([A-J])\)|\[([A-J])\])")
# A conclusion word before the last of several final statements: the model weighed options, then settled.
_SETTLED_RE = re.compile(r"(?<![A-Za-z])(?:therefore|thus|hence|so|in conclusion|overall|finally|因此|所以|综上|总之|"
                         r"por lo tanto|en conclusión|así que|vì vậy|do đó|tóm lại|jadi|oleh karena itu|oleh itu|"
                         r"kesimpulannya|maka|kaya|samakatuwid|sa konklusyon)\b[^.。!?\n]*$", re.IGNORECASE)
# A stated answer taken back: "The closest answer is (A), but ... Therefore, there is no exact answer".
_RETRACTED_RE = re.compile(
    r"there is no (?:exact|correct|right|single|definitive) answer|no (?:exact|correct) answer (?:is|among)|"
    r"none of the (?:given )?(?:choices|options|answers) (?:is|are) (?:correct|right|accurate)|"
    r"ninguna de las opciones es correcta|no hay (?:una )?respuesta (?:exacta|correcta)|"
    r"không có đáp án (?:nào )?(?:đúng|chính xác)|tidak ada (?:jawaban|pilihan) yang (?:benar|tepat)|"
    r"tiada jawapan yang (?:betul|tepat)|walang (?:tamang|eksaktong) sagot|没有(?:正确|准确)的?答案|都不正确", re.IGNORECASE)
# A conclusion sentence: "Do đó, tổng cộng là 9 + 1 = 10 cạnh." (an answer written first is contradicted by it).
_CONCLUSION_SENTENCE_RE = re.compile(
    r"(?<![A-Za-z\u00C0-\u024F\u1E00-\u1EFF])(?i:therefore|thus|hence|so|in conclusion|因此|所以|综上|por lo tanto|"
    r"por tanto|en conclusión|vì vậy|do đó|tóm lại|jadi|oleh (?:karena|sebab) itu|oleh itu|maka|kaya|samakatuwid)"
    r"(?![A-Za-z])[^.。!?\n]{0,200}")
# A list line marked right: "(D) asteroids ... (Correct)", "- B. ... [Đúng]".
_MARKED_LINE_RE = re.compile(r"^[-*• ]{0,3}(?:\*\*)?(?:\(([A-J])\)|([A-J])[.):])[^\n]{0,400}?[(\[] ?(?i:correct|correcto|"
                             r"correcta|đúng|benar|betul|tama|正确|true|verdadero) ?[)\]][ .*]*$", re.MULTILINE)
_SENTENCE_END_RE = re.compile(r"[.。!！]?(?:\n|$)|[.。!！] ")
_POS_BEFORE_RE = re.compile(r"(?:\btama ang|\bmas tama ang|\bchoose|\bpick|\bselect)(?: (?:option|opsyon))? ?$", re.IGNORECASE)

# A label at the very start: "(B)", "[B]", "B.", "B)", "B:", "B、", "**B**", "B" alone, or "B" then a space.
_LEADING_RE = re.compile(r"(?:\*\*|[\"'“「])?(?:\(([A-Ja-j])\)|\[([A-Ja-j])\]|"
                         r"([A-J])(?=$|\s|[.)．:：、,，;；!！?？。*\]」”\"']))")
_LEADING_OPTION_WORD_RE = re.compile(
    r"(?:\*\*)?(?:(?:the|la|el|ang) )?(?:option|choice|opci[oó]n|alternativa|phương án|lựa chọn|đáp án|pilihan|jawaban|jawapan|"
    r"opsyon|sagot|选项|答案)(?:\*\*)? ?(?=[(\[*]?[A-J](?![A-Za-z0-9]))", re.IGNORECASE)
# ... but "A man ...", "A la ...", "I think ...": an article, preposition or pronoun starting a sentence.
_WORD_NOT_LABEL_RE = re.compile(r"[AI] (?!(?:is|es|là|ialah|adalah|ay)\b)[a-zà-ÿ]")
# Letters, digits and the Latin letters of vi/es/fil: an option's text must not run on into more of them.
_WORDISH = "0-9A-Za-z\u00C0-\u024F\u1E00-\u1EFF"

# A question that asks which option is not / least / except, in the seven languages.
_NOT_QUESTION_RE = re.compile(
    r"(?<![A-Za-z])(?:not|except|least|cannot|no es|no pertenece|no se|excepto|không|ngoại trừ|ít nhất|bukan|tidak|"
    r"kecuali|paling (?:tidak|kurang|lemah)|hindi|maliban)(?![A-Za-z])|不是|不属于|不能|不正确|不符合|不包括|不可能|最不|"
    r"除了|没有|无法", re.IGNORECASE)
_SHORT_NUMBER_RE = re.compile(r"[-+−]?[0-9][0-9.,/]{0,4}")
_REFUSALS = re.compile(
    r"i (?:do not|don't|cannot|can't|am unable to|am not able to) (?:know|answer|determine|decide|provide|say)|"
    r"none of (?:the|these) (?:above|options|choices|answers)|as an ai|i'm sorry|"
    r"不知道|无法(?:回答|确定|判断|选择|在)|都不正确|抱歉|no lo s[eé]\b|no sé\b|no puedo|ninguna de las|lo siento|"
    r"không biết|không thể|không có đáp án|xin lỗi|tidak tahu|tidak dapat|tidak ada pilihan|tiada pilihan|maaf|"
    r"hindi ko (?:alam|masasagot)|hindi ako makapili|wala sa mga|paumanhin", re.IGNORECASE)
