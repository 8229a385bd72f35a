"""The extractor finishes quickly on any input (issue 26): adversarial outputs that made the old patterns backtrack
cubically ("the answer is" + 1,200 spaces + "!" took 100 s; 50,000 spaces never ended), long runs of letters and
brackets, repeated answer phrases and labels. Each read must finish well under a second (here: at most ~0.15 s); the
guard fails the test at 1 s instead of hanging the suite."""

import signal
import time

import pytest

from crossin.extract import HEAD_CHARS, TAIL_CHARS, prepare, read_answer
from crossin.extract_seaeval import seaeval_align

CHOICES = ["responsible", "funny", "sociable", "followers"]
ZH = ["负责任的", "有趣的", "善于交际的", "追随者"]

ADVERSARIAL = {
    "answer phrase + 1,200 spaces": "the answer is" + " " * 1200 + "!",
    "answer phrase + 50,000 spaces": "the answer is" + " " * 50_000 + "!",
    "spaces and tabs then a label": " \t" * 100_000 + "B",
    "one long word": "a" * 500_000,
    "capital letters": "A" * 200_000,
    "open brackets": "(" * 200_000,
    "bracket labels": "(A)" * 100_000,
    "square labels": "[B] " * 100_000,
    "full-width brackets": "（Ｂ）" * 100_000,
    "repeated answer phrase": "the correct answer is " * 30_000,
    "repeated phrase and colon": "Answer: " * 50_000,
    "repeated Chinese phrase": "答案是" * 100_000,
    "repeated eliminations": "Option (B) is incorrect. " * 20_000,
    "label lines": "Answer:\n" + "(A) 642\n(B) 638\n" * 20_000,
    "coordinated labels": "(A) and " * 50_000,
    "markdown stars": "*" * 200_000 + "B",
    "newlines": "\n" * 200_000,
    "dots": "A. " * 100_000,
    "option text repeated": "responsible " * 50_000,
    "mixed scripts": ("đáp án là " + "ang sagot ay " + "jawapannya ialah ") * 10_000,
}


class _TooSlow(Exception):
    pass


def _guard(signum, frame):
    raise _TooSlow


def _within_one_second(read):
    old = signal.signal(signal.SIGALRM, _guard)
    signal.setitimer(signal.ITIMER_REAL, 1.0)
    started = time.perf_counter()
    try:
        read()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    return time.perf_counter() - started


@pytest.mark.parametrize("name", list(ADVERSARIAL))
def test_adversarial_input_finishes(name):
    text = ADVERSARIAL[name]
    for choices in (CHOICES, ZH):
        for read in (lambda: read_answer(text, choices), lambda: seaeval_align(text, choices, seed=0, key="x")):
            try:
                assert _within_one_second(read) < 1.0
            except _TooSlow:
                pytest.fail(f"{name}: still reading after 1 s")


def test_the_input_read_is_bounded():
    long = "x " * 1_000_000 + "The answer is (C)."
    text = prepare(long)
    assert len(text) <= HEAD_CHARS + TAIL_CHARS + 1
    assert read_answer(long, CHOICES).choice == 2  # the conclusion at the end is still read
