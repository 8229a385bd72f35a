"""Answer extraction (`--extractor crossin`, the default): free-form model output -> option index, or None.

Built around what chat models write in the seven SeaEval languages: they state an answer, explain it, eliminate
the other options, compare, restate. An unparsed answer is never replaced by a guess: it counts as wrong and agrees
with nothing. Evidence, strongest first:

1. explicit final-answer statements ("the most appropriate answer is (D)", "答案是B", "la respuesta correcta es",
   "đáp án là", "jawapannya ialah", "ang sagot ay", "Answer: **C**", "I would choose B"), also stated in a clause
   ("the most appropriate answer in ... would be (B)", "属于...的是选项 (B)", "which corresponds to choice (B)");
   all naming one option -> that option; naming two different options (or "C and D", or one option's label with
   another's text) -> ambiguous (unparsed, counted apart), unless the last one settles after a conclusion word
   ("Therefore, the most appropriate answer would be C"); taken back ("there is no exact answer") -> unparsed;
2. an answer written first (a label, "La opción (B) ...", or an option's own text), as base models do ("B 1.1.1.1...");
3. an option asserted correct ("(C) is correct", "(A)是正确的", "Tama ang (B)", "The tallest trees are (D) Giant
   Sequoia", "... is:" then the option's line, a list line marked "(Correct)"); two different -> ambiguous;
4. a refusal ("I cannot answer", "None of the options") -> unparsed;
5. the one option label mentioned, or the one option text found.
Eliminations and negations never count ("Option (B) is incorrect", "不是B", "bukan C", "(C) sai"); after a stated
answer only a verdict on correctness does ("(D) X is not a chemical reaction" answers "which is not"), and when the
question asks which is NOT, an option named by such a negation is asserted. An echoed option list (label lines one
after another) is not an answer. Runs in linear time: the input read is bounded (head and tail) and no pattern
nests unbounded quantifiers (the patterns: extract_patterns.py; tests/test_extract_linear.py).
"""

from __future__ import annotations

import functools
import os
import re
import unicodedata
from dataclasses import dataclass

from .extract_patterns import (_BUT_RE, _COLON_LINE_BEFORE_RE, _CONCLUDED_LABEL_RE, _CONCLUSION_RE,
                               _CONCLUSION_SENTENCE_RE, _COORD_RE, _COPULA_BEFORE_RE, _FINAL_RE, _GAP_FINAL_RE,
                               _GAP_NEG_RE, _JOINED_LATER_RE, _LABEL_LINE_NEAR_RE, _LEADING_OPTION_WORD_RE,
                               _LEADING_RE, _LIST_CONT_RE, _LIST_ITEM_RE, _MARKED_LINE_RE, _MENTION_RE,
                               _NEG_AFTER_PHRASE_RE, _NEG_AFTER_RE, _NEG_BEFORE_RE, _NOT_QUESTION_RE, _OR_RE,
                               _POS_AFTER_RE, _POS_BEFORE_RE, _REFUSALS, _RETRACTED_RE, _SENTENCE_END_RE,
                               _SETTLED_RE, _SEVERAL_RE, _SHORT_NUMBER_RE, _TARGET_RE, _TEXT_START_RE,
                               _VERDICT_NEG_AFTER_RE, _WORDISH, _WORD_NOT_LABEL_RE)
from .letters import LETTERS
from .thinking import split_thinking

VERSION = "3"  # recorded in results.json; bump when a change can read an output differently
HEAD_CHARS, TAIL_CHARS = 6000, 2000  # what is read of a longer output: its start and its conclusion


@dataclass(frozen=True)
class Reading:
    """What the extractor read: the option (None = unparsed), whether two options were each stated as the answer,
    which rule decided (final, leading, assertion, mention, text; "" when none did; "judge" when the LLM judge read
    it), for SeaEval's rule whether the option was drawn at random ("fill" or "tie"), and whether a reasoning model's
    thinking was cut off before it answered."""

    choice: int | None
    ambiguous: bool = False
    rule: str = ""
    random: str = ""
    cut_off: bool = False  # a reasoning model's thinking was cut off before any answer (crossin.thinking)


def normalise(text: str) -> str:
    # NFKC folds full-width letters and brackets (（Ｂ）) into ASCII ones.
    return unicodedata.normalize("NFKC", text).strip()


def prepare(output: str) -> str:
    """The text the rules read: bounded (head + tail), NFKC, one space between words, no blank lines."""
    if len(output) > 4 * (HEAD_CHARS + TAIL_CHARS):  # NFKC can grow text; cut before it too
        output = output[:4 * HEAD_CHARS] + "\n" + output[-4 * TAIL_CHARS:]
    text = normalise(output).replace("【", "[").replace("】", "]")
    if len(text) > HEAD_CHARS + TAIL_CHARS:
        text = text[:HEAD_CHARS] + "\n" + text[-TAIL_CHARS:]
    lines = (" ".join(line.split()) for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def _fold(text: str) -> str:
    text = normalise(text).casefold()
    text = re.sub(r"[\s\"'“”‘’«»「」『』*`]+", " ", text)
    return text.strip(" .。!！?？,，;；:：")


def _index(match: re.Match, n: int) -> int | None:
    letter = next(g for g in match.groups() if g)
    index = LETTERS.index(letter.upper())
    return index if index < n else None


def extract_choice(output: str | None, choices: list[str] | tuple[str, ...]) -> int | None:
    """The 0-based option index the output picks, or None if it picks none (or is ambiguous)."""
    return read_answer(output, choices).choice


def read_answer(output: str | None, choices: list[str] | tuple[str, ...], think_end: str | None = None,
                question: str | None = None) -> Reading:
    """Read which option the output chose; see the module docstring for the order of evidence. A reasoning model's
    thinking part (crossin.thinking; `think_end`: its end token) is never read: only the answer after it. The
    `question`, when given, tells a question that asks which option is NOT (least, except) true: there "(B) ... is
    not classified as X" names the answer instead of ruling B out."""
    if output is None or not output.strip():
        return Reading(None)
    split = split_thinking(output, think_end)
    if split.cut_off:
        return Reading(None, rule="cut_off", cut_off=True)
    output = split.answer
    if not output:
        return Reading(None)
    text = prepare(output)
    if not text:
        return Reading(None)
    plain = tuple(_plain(c) for c in choices)
    echo, unechoed = _echoed_labels(text)

    finals = _final_statements(text, plain, echo)
    if finals:
        picked = {i for _, i in finals}
        if _RETRACTED_RE.search(text, max(p for p, _ in finals)):
            return Reading(None)  # stated, then taken back: "... Therefore, there is no exact answer"
        if len(picked) == 1:
            return Reading(picked.pop(), rule="final")
        # "The answer is C or D. [...] Therefore, the most appropriate answer would be C": weighed, then settled
        last = max(p for p, _ in finals)
        settled = {i for p, i in finals if p == last}
        if len(settled) == 1 and _SETTLED_RE.search(text[max(0, last - 40):last]):
            return Reading(settled.pop(), rule="final")
        return Reading(None, True, "final")

    leading = _leading_label(text, plain, echo)
    if leading is not None:
        return Reading(leading, rule="leading") if leading >= 0 else Reading(None, True, "leading")
    folded = _fold(unechoed)
    folded_choices = tuple(_fold(c) for c in choices)
    if (first := _leading_choice_text(folded, folded_choices)) is not None:
        return Reading(first, rule="leading")
    if (marked := _marked_in_list(text)) is not None and marked < len(plain):
        return Reading(marked, rule="assertion")  # "(A) ... (Incorrect)\n(D) ... (Correct)"

    mentions = _mentions(text, plain, echo, bool(question and _NOT_QUESTION_RE.search(question)))
    if _REFUSALS.search(_without(text, mentions)):  # a refusal, not words of a restated option ("tidak tahu")
        return Reading(None)
    if _coordinated(text, mentions):  # "(A) and (C) are both correct", "答案可能是A或C"
        return Reading(None, True, "assertion")
    asserted = {m.index for m in mentions if m.verdict == "pos"}
    if asserted:
        return Reading(asserted.pop(), rule="assertion") if len(asserted) == 1 else Reading(None, True, "assertion")
    if mentions:
        # one option named and not ruled out; only eliminations, or several named, are no answer (never the one left)
        named = {m.index for m in mentions if m.verdict == ""}
        return Reading(named.pop(), rule="mention") if len(named) == 1 else Reading(None)
    found = _match_choice_text(folded, folded_choices)
    return Reading(found, rule="text") if found is not None else Reading(None)


@functools.lru_cache(maxsize=4096)
def _plain(choice: str) -> str:
    """An option's text as it appears in prepared output (NFKC, single spaces), case-folded."""
    return " ".join(normalise(choice).split()).casefold()


def _final_statements(text: str, plain: tuple[str, ...], echo: set[int]) -> list[tuple[int, int]]:
    """(position, option) of each option named by a final-answer statement, negated ones ("the answer is not A") and
    echoed lists left out; "the answer is C and D", "(C) 200 cm" (C's label, A's text) name both."""
    n, picked = len(plain), []
    for m in _CONCLUSION_RE.finditer(text):
        if (index := _index(m, n)) is not None and m.start(m.lastindex) not in echo:
            picked.append((m.start(), index))
    for m in _CONCLUDED_LABEL_RE.finditer(text):
        label_start = m.start(1)
        if (index := _index(m, n)) is not None and label_start not in echo \
                and not _NEG_BEFORE_RE.search(text[max(0, label_start - 25):label_start - 1]) \
                and not _GAP_NEG_RE.search(text[m.start():label_start]):
            picked.append((m.start(), index))
    for m in _FINAL_RE.finditer(text):
        if _NEG_BEFORE_RE.search(text[max(0, m.start() - 12):m.start()]) or _NEG_AFTER_PHRASE_RE.match(text, m.end()):
            but = _BUT_RE.match(text, m.end())  # "正确答案不是A，而是C"
            t = _TARGET_RE.match(text, but.end()) if but else None
            if t is not None and (index := _index(t, n)) is not None:
                picked.append((m.start(), index))
            continue
        t = _TARGET_RE.match(text, m.end())
        if t is not None:
            picked += [(m.start(), i) for i in _stated_options(text, t, plain, echo)]
            continue
        start = _TEXT_START_RE.match(text, m.end()).end()
        index = _choice_text_at(text, start, plain)
        if index is not None:
            picked.append((m.start(), index))
    for m in _GAP_FINAL_RE.finditer(text):
        if _GAP_NEG_RE.search(m.group("gap")) or _NEG_AFTER_PHRASE_RE.match(text, m.end()):
            continue
        t = _TARGET_RE.match(text, m.end())
        if t is not None:
            picked += [(m.start(), i) for i in _stated_options(text, t, plain, echo)]
    return picked


def _stated_options(text: str, t: re.Match, plain: tuple[str, ...], echo: set[int]) -> list[int]:
    """The options a label stated as the answer names: none when it is ruled out or starts a list; two when "or",
    "and" or a comma joins another label to it, or when another option's text follows it ("(C) 200 cm")."""
    n = len(plain)
    index = _index(t, n)
    label_start = t.start(t.lastindex)
    if index is None or label_start in echo:
        return []
    verdict, end = _verdict(text, label_start, t.end(), plain[index], final=True)
    if verdict == "neg" or _LIST_CONT_RE.match(text, t.end()):
        return []
    out = [index]
    if (alt := _OR_RE.match(text, end)) and (other := _index(alt, n)) is not None:
        out.append(other)  # "the answer is B or D": two answers, ambiguous
    out += _joined_options(text, end, plain)
    if end == t.end() and (other := _choice_text_at(text, _TEXT_START_RE.match(text, end).end(), plain)) is not None:
        if plain[other] != plain[index] and not plain[index].startswith(plain[other]):
            out.append(other)  # the label of one option, the text of another: which one is meant is unknown
    return out


def _joined_options(text: str, end: int, plain: tuple[str, ...]) -> list[int]:
    """Another option joined to a stated one ("(B) X and (A) Y are both", "(A) x, (B) y", "C and D", "(D) array or
    (B) contiguous memory"), not ruled out."""
    j = _SEVERAL_RE.match(text, end) or _JOINED_LATER_RE.match(text, end)
    if j is None or (other := _index(j, len(plain))) is None:
        return []
    verdict, _ = _verdict(text, j.start(j.lastindex), j.end(), plain[other])
    return [] if verdict == "neg" else [other]


def _choice_text_at(text: str, start: int, plain: tuple[str, ...]) -> int | None:
    """The option whose own text starts at `start` (the longest when one option's text starts another's)."""
    if not any(c.startswith(text[start:start + 1].casefold()) for c in plain if c):
        return None  # the cheap test first: most final phrases are followed by a label, not an option's text
    window = _fold(text[start:start + 2 * max(len(c) for c in plain) + 8])
    return _leading_choice_text(window, _folded_choices(plain))


@functools.lru_cache(maxsize=1024)
def _folded_choices(plain: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(_fold(c) for c in plain)


def _echoed_labels(text: str) -> tuple[set[int], str]:
    """Positions of the labels of option lists (a line starting with a label next to a line starting with another),
    and the text without those lines (an echoed option's text is not an answer either). A last line that starts
    like a list item, in an output that already echoed a list of three or more, is that list again, cut off by the
    token limit ("...D. pengikut\nAnswer:\nA. anak sulung lebih" is not an answer A)."""
    items: list[tuple[int, str] | None] = []
    lines = text.split("\n")
    pos = 0
    for line in lines:
        m = _LIST_ITEM_RE.match(line)
        items.append((pos + m.start(m.lastindex), m.group(m.lastindex)) if m else None)
        pos += len(line) + 1
    echo = set()
    for a, b in zip(items, items[1:]):
        if a and b and a[1] != b[1]:
            echo.update((a[0], b[0]))
    if items[-1] and items[-1][1] in "A1" and len(echo) >= 3:  # the list starting again; "Answer:\nC. ..." answers
        echo.add(items[-1][0])
    if not echo:
        return echo, text
    kept = "\n".join(line for line, item in zip(lines, items) if not item or item[0] not in echo)
    return echo, kept


def _verdict(text: str, start: int, end: int, plain: str, final: bool = False,
             not_question: bool = False) -> tuple[str, int]:
    """("neg" when the text around the label rules the option out, "pos" when it says it is right, else "";
    where the mention ends, after the option's own text when that follows the label). With `final` (the label is
    stated as the answer, or written first) only a verdict on correctness rules it out: "(D) Polyethylene ... is
    not a chemical reaction" answers a question that asks which is not. With `not_question` (the question asks
    which is not / least / except) a negation that is no verdict on correctness asserts the option."""
    after = end + _own_text_length(text, end, plain)
    before = text[max(0, start - 24):start]
    if (not_question and not _NEG_BEFORE_RE.search(before) and _NEG_AFTER_RE.match(text, after)
            and not _VERDICT_NEG_AFTER_RE.match(text, after)):
        return "pos", after  # asked which is not: "option A does not fit the concept" names the answer
    neg_after = _VERDICT_NEG_AFTER_RE if final else _NEG_AFTER_RE
    if _NEG_BEFORE_RE.search(before) or neg_after.match(text, after):
        return "neg", after
    if _POS_BEFORE_RE.search(before) or _POS_AFTER_RE.match(text, after):
        return "pos", after
    if (after > end or _SENTENCE_END_RE.match(text, end)) and _COPULA_BEFORE_RE.search(before):
        return "pos", after  # "The tallest trees on Earth are (D) Giant Sequoia", "... incorrecta de este pasaje es (C)."
    if _COLON_LINE_BEFORE_RE.search(before) and not _LABEL_LINE_NEAR_RE.match(text, after):
        return "pos", after  # "the option that does not fit is:\n\n(C) ...", not followed by more option lines
    return "", after


def _own_text_length(text: str, end: int, plain: str) -> int:
    """How much of the option's own text follows the label at `end` (whole, or most of it when restated cut short:
    "(D) Kurang tidur ... penyakit." for "Kurang tidur ... penyakit seperti tekanan darah tinggi"); else 0."""
    if not plain:
        return 0
    window = text[end:end + len(plain) + 2]
    stripped = window.lstrip(" :-–—*")
    lead = len(window) - len(stripped)
    folded = stripped.casefold()
    if folded.startswith(plain):
        return lead + len(plain)
    common = len(os.path.commonprefix([folded, plain]))
    if common >= max(12, 0.6 * len(plain)):
        cut = folded.rfind(" ", 0, common + 1) if common < len(folded) and folded[common:common + 1].isalnum() else common
        return lead + max(cut, 0)
    return 0


@dataclass(frozen=True)
class _Mention:
    index: int
    verdict: str
    start: int
    end: int  # after the option's text when it follows the label


def _mentions(text: str, plain: tuple[str, ...], echo: set[int], not_question: bool = False) -> list[_Mention]:
    """Every label mention that is not part of an echoed option list, with its verdict."""
    out, n = [], len(plain)
    for m in _MENTION_RE.finditer(text):
        index = _index(m, n)
        if index is None:
            continue
        label_start = m.start(m.lastindex)
        if m.lastindex == 5 and not text[m.end() + 1:m.end() + 13].casefold().startswith(plain[index][:12]):
            continue  # "A. " counts as a label only before that option's own text
        if label_start in echo:
            continue
        verdict, end = _verdict(text, label_start, m.end(), plain[index], not_question=not_question)
        out.append(_Mention(index, verdict, label_start if m.lastindex == 8 else m.start(), end))
    return out


def _without(text: str, mentions: list[_Mention]) -> str:
    """The text without the mentioned labels and the option texts that follow them."""
    out, at = [], 0
    for m in mentions:
        if m.start >= at:
            out.append(text[at:m.start])
            at = m.end
    return " ".join(out) + " " + text[at:]


def _marked_in_list(text: str) -> int | None:
    """The one option of a list whose line ends with a verdict that it is right, "(D) ... (Correct)"."""
    found = {LETTERS.index(next(g for g in m.groups() if g)) for m in _MARKED_LINE_RE.finditer(text)}
    return found.pop() if len(found) == 1 else None


def _coordinated(text: str, mentions: list[_Mention]) -> bool:
    """Two different options joined by and/or/和/或/và/dan/at ..., the second not ruled out: several answers."""
    return any(a.index != b.index and b.verdict != "neg" and b.start - a.end <= 12
               and _COORD_RE.fullmatch(text[a.end:b.start]) for a, b in zip(mentions, mentions[1:]))


def _leading_label(text: str, plain: tuple[str, ...], echo: set[int]) -> int | None:
    """The option whose label the output starts with; -1 when others are joined to it (several answers)."""
    word = _LEADING_OPTION_WORD_RE.match(text)  # "La opción (B) describe con mayor precisión ...", "选项C ..."
    m = _LEADING_RE.match(text, word.end()) if word else _LEADING_RE.match(text)
    if not m or (not word and _WORD_NOT_LABEL_RE.match(text)):
        return None
    index = _index(m, len(plain))
    if index is None or m.start(m.lastindex) in echo:
        return None
    verdict, end = _verdict(text, m.start(m.lastindex), m.end(), plain[index], final=True)
    if verdict == "neg":
        return None
    joined = [o for o in _joined_options(text, end, plain) if o != index]
    if joined or _concluded_otherwise(text, end, plain, index):
        return -1  # "(A) x, (B) y, y (C) z", or "B) 20 [...] Do đó, tổng cộng là 9 + 1 = 10 cạnh": several
    return index


def _concluded_otherwise(text: str, start: int, plain: tuple[str, ...], index: int) -> bool:
    """A conclusion sentence after `start` that ends on another option's own text, and not on this one's."""
    for m in _CONCLUSION_SENTENCE_RE.finditer(text, start):
        tail = _fold(m.group())
        ends = {i for i, c in enumerate(_folded_choices(plain)) if c and _bounded(c).search(tail[-len(c) - 12:])}
        if ends and index not in ends:
            return True
    return False


@functools.lru_cache(maxsize=4096)  # the same options come back for every language and every model
def _bounded(choice: str) -> re.Pattern:
    """The choice's text, not running on into letters or digits where it starts or ends with one."""
    head = rf"(?<![{_WORDISH}])" if re.match(rf"[{_WORDISH}]", choice) else ""
    tail = rf"(?![{_WORDISH}])" if re.match(rf"[{_WORDISH}]", choice[-1]) else ""
    if choice[-1].isdigit():  # "640" is not the start of "640.5" or "6,400"
        tail = rf"(?![{_WORDISH}]|[.,][0-9])"
    return re.compile(head + re.escape(choice) + tail)


def _leading_choice_text(folded: str, folded_choices: tuple[str, ...]) -> int | None:
    """The option whose exact text the (folded) output starts with; the longest one when one option's text is a
    prefix of another's ("New York" / "New York City")."""
    starts = [(len(c), i) for i, c in enumerate(folded_choices) if c and _bounded(c).match(folded)]
    if not starts:
        return None
    longest = max(starts)[0]
    picked = {i for length, i in starts if length == longest}
    return picked.pop() if len(picked) == 1 else None


def _match_choice_text(folded: str, folded_choices: tuple[str, ...]) -> int | None:
    for i, c in enumerate(folded_choices):
        if c and folded == c:
            return i
    # A choice quoted or embedded in a longer answer. When one choice's text contains another's
    # ("1990" in "1990s"), the longer one explains the shorter match, so it wins.
    # A short number inside a longer text is a step of a calculation, not an answer ("3^{x^2+4x+4}" is no "2").
    found = [i for i, c in enumerate(folded_choices) if c and _bounded(c).search(folded)
             and not (_SHORT_NUMBER_RE.fullmatch(c) and len(folded) > 4 * len(c) + 12)]
    found = [i for i in found if not any(j != i and folded_choices[i] in folded_choices[j] for j in found)]
    if len(set(folded_choices[i] for i in found)) == 1:
        return found[0]
    return None
