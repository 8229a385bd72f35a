"""Answer-language check: the share of generated answers written in the language they were asked in.

Language confusion (a model asked in Spanish answers in English) is invisible to accuracy and consistency. Like the
Language Confusion Benchmark's line-level pass rate (Marchisio et al. 2024), an answer passes when every line of it
that has words (at least MIN_LETTERS letters; a bare "B" has no language) is identified as the requested language;
an answer with no such line is not counted (`no_text`). Identification is lingua's (the detector `crossin data
translate` uses, `LangId` below) over the run's languages plus English and Chinese, the usual
languages of confusion; a language lingua does not know is reported as unchecked. A reasoning model's thinking part
is checked apart (`thinking`), its answer on its own.
"""

from __future__ import annotations

from collections import Counter

MIN_LETTERS = 3
CONFUSION_LANGS = ("en", "zh")
LINGUA_ISO = {"fil": "tl"}  # lingua knows Filipino by Tagalog's ISO 639-1 code


def lingua_language(code: str):
    """lingua's Language for a crossin language code, or None when lingua does not know it."""
    from lingua import IsoCode639_1, Language

    try:
        return Language.from_iso_code_639_1(IsoCode639_1.from_str(LINGUA_ISO.get(code, code)))
    except (ValueError, AttributeError):
        return None


class LangId:
    """lingua over the given languages: the one detector builder (answers here, `crossin data translate`, corpus
    validation). High-accuracy mode by default (pieces are often short); low is much faster on long corpora.
    `detector` is None unless lingua knows at least two of the languages (one cannot be confused with anything)."""

    def __init__(self, langs: tuple[str, ...], *, high_accuracy: bool = True):
        from lingua import LanguageDetectorBuilder

        # A language lingua does not know is not checked.
        self.lingua = {code: lang for code in langs if (lang := lingua_language(code)) is not None}
        self.unchecked = [code for code in langs if code not in self.lingua]
        self.code_of = {v: k for k, v in self.lingua.items()}
        self.detector = None
        if len(self.lingua) > 1:
            builder = LanguageDetectorBuilder.from_languages(*self.lingua.values())
            self.detector = (builder if high_accuracy else builder.with_low_accuracy_mode()).build()

    def detect(self, text: str) -> str | None:
        found = self.detector.detect_language_of(text) if self.detector else None
        return self.code_of.get(found)

    def confidence(self, text: str, code: str) -> float | None:
        if self.detector is None or code not in self.lingua:
            return None
        return round(self.detector.compute_language_confidence(text, self.lingua[code]), 4)


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if sum(ch.isalpha() for ch in line) >= MIN_LETTERS]


def answer_language(outputs: dict[str, list[str | None]], *, max_answers: int | None = None) -> dict:
    """{lang: {"share", "n", "passed", "no_text", "other"}} for the answers of each requested language, plus
    "overall" (the mean of the languages' shares) and "method". `max_answers`: check only the first N answers of
    each language (a translated corpus has tens of thousands; the share of a few thousand is close enough)."""
    langs = tuple(dict.fromkeys([*outputs, *CONFUSION_LANGS]))
    langid = LangId(langs)
    per_lang: dict[str, dict] = {}
    for lang, texts in outputs.items():
        if lang not in langid.lingua:
            per_lang[lang] = {"share": None, "unchecked": "lingua does not know this language"}
            continue
        passed = counted = no_text = 0
        other: Counter = Counter()
        for text in texts[:max_answers]:
            lines = _lines(text or "")
            found = [langid.detect(line) for line in lines]
            found = [f for f in found if f is not None]
            if not found:
                no_text += 1
                continue
            counted += 1
            wrong = [f for f in found if f != lang]
            if wrong:
                other.update(wrong)
            else:
                passed += 1
        per_lang[lang] = {"share": passed / counted if counted else None, "n": counted, "passed": passed,
                          "no_text": no_text, "other": dict(other.most_common())}
    shares = [v["share"] for v in per_lang.values() if v.get("share") is not None]
    return {"languages": per_lang, "overall": sum(shares) / len(shares) if shares else None,
            "method": f"lingua, line level (lines with >= {MIN_LETTERS} letters), candidates: {', '.join(langs)}"}


def answer_language_of_samples(samples: list[dict], langs, think_end: str | None = None) -> dict:
    """`answer_language` over a generate run's samples (each with "lang" and "output"). A reasoning model's output
    is checked in two parts (crossin.thinking): the answer after its thinking (the block itself) and the thinking
    (under "thinking": is the model reasoning in the question's language?), when any output has one."""
    from .thinking import split_thinking

    outputs: dict[str, list] = {lang: [] for lang in langs}
    thinking: dict[str, list] = {lang: [] for lang in langs}
    for sample in samples:
        split = split_thinking(sample.get("output") or "", think_end)
        outputs[sample["lang"]].append(split.answer if split.thinking or split.cut_off else sample.get("output"))
        thinking[sample["lang"]].append(split.thinking or None)
    block = answer_language(outputs)
    if any(t for texts in thinking.values() for t in texts):
        block["thinking"] = answer_language(thinking)
    return block
