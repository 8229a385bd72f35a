"""Answer-language check: the share of generated answers written in the language they were asked in.

Language confusion (a model asked in Spanish answers in English) is invisible to accuracy and consistency. Like the
Language Confusion Benchmark's line-level pass rate (Marchisio et al. 2024), an answer passes when every line of it
that has words (at least MIN_LETTERS letters; a bare "B" has no language) is identified as the requested language;
an answer with no such line is not counted (`no_text`). Identification is lingua's (the detector `crossin data
translate` uses, `crossin.data.translate.run.LangId`) over the run's languages plus English and Chinese, the usual
languages of confusion; a language lingua does not know is reported as unchecked.
"""

from __future__ import annotations

from collections import Counter

MIN_LETTERS = 3
CONFUSION_LANGS = ("en", "zh")


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if sum(ch.isalpha() for ch in line) >= MIN_LETTERS]


def answer_language(outputs: dict[str, list[str | None]]) -> dict:
    """{lang: {"share", "n", "passed", "no_text", "other"}} for the answers of each requested language, plus
    "overall" (the mean of the languages' shares) and "method"."""
    from .data.translate.run import LangId

    langs = tuple(dict.fromkeys([*outputs, *CONFUSION_LANGS]))
    langid = LangId(langs)
    per_lang: dict[str, dict] = {}
    for lang, texts in outputs.items():
        if lang not in langid.lingua:
            per_lang[lang] = {"share": None, "unchecked": "lingua does not know this language"}
            continue
        passed = counted = no_text = 0
        other: Counter = Counter()
        for text in texts:
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
