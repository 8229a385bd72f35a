"""Precision and coverage of the answer extractors on the project's labelled set, per language, and their speed.

The labelled set: tests/data/extraction_labelled.jsonl (templated, 498) + extraction_labelled_freeform.jsonl and
extraction_labelled_freeform2.jsonl (77 + 35 by hand). precision = read correctly / read (an output labelled "no answer" but read counts as wrong); coverage = read /
outputs with a label. For `seaeval` a random draw (fill or tie) counts as not read. The baseline is the extractor of
main before issue 21 (`git show 291cb11:src/crossin/extract.py`), when git can show it. Speed: outputs per second on
the whole set, and on adversarial inputs (issue 26) the slowest single read.

    PYTHONPATH=src python bench/extraction_quality.py
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from crossin.extract import read_answer  # noqa: E402
from crossin.extract_seaeval import seaeval_align  # noqa: E402

LANGS = ("en", "zh", "es", "vi", "id", "ms", "fil")


def rows() -> list[dict]:
    data = REPO / "tests" / "data"
    return [json.loads(line) for name in ("extraction_labelled.jsonl", "extraction_labelled_freeform.jsonl", "extraction_labelled_freeform2.jsonl")
            for line in (data / name).read_text(encoding="utf-8").splitlines()]


def baseline():
    try:
        src = subprocess.run(["git", "-C", str(REPO), "show", "291cb11:src/crossin/extract.py"], capture_output=True,
                             text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    path = Path(tempfile.mkdtemp()) / "old_extract.py"
    path.write_text(src, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("old_extract", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.extract_choice


def table(name: str, read, data: list[dict]) -> None:
    per = defaultdict(lambda: [0, 0, 0, 0])  # labelled, covered, read, right
    started = time.perf_counter()
    for r in data:
        got = read(r["output"], r["choices"])
        p = per[r["lang"]]
        if r["label"] is not None:
            p[0] += 1
            p[1] += got is not None
        if got is not None:
            p[2] += 1
            p[3] += got == r["label"]
    rate = len(data) / (time.perf_counter() - started)
    print(f"\n{name} ({rate:,.0f} outputs/s)")
    print("| language | outputs | precision | coverage |")
    print("|---|---|---|---|")
    total = [0, 0, 0, 0]
    for lang in LANGS:
        p = per[lang]
        total = [a + b for a, b in zip(total, p)]
        n = sum(1 for r in data if r["lang"] == lang)
        print(f"| {lang} | {n} | {p[3] / max(p[2], 1):.1%} ({p[3]}/{p[2]}) | {p[1] / max(p[0], 1):.1%} ({p[1]}/{p[0]}) |")
    print(f"| all | {len(data)} | {total[3] / max(total[2], 1):.1%} | {total[1] / max(total[0], 1):.1%} |")


def main() -> None:
    data = rows()
    table("crossin (this version)", lambda o, c: read_answer(o, c).choice, data)
    table("seaeval (tiger-eval rule; random draws counted as not read)",
          lambda o, c: (lambda r: None if r.random else r.choice)(seaeval_align(o, c, seed=0, key=o[:40])), data)
    old = baseline()
    if old is not None:
        table("crossin before issue 21 (291cb11)", old, data)
    worst = 0.0
    for text in ("the answer is" + " " * 50_000 + "!", "(A)" * 100_000, "the correct answer is " * 30_000,
                 "答案是" * 100_000, "Answer:\n" + "(A) 642\n(B) 638\n" * 20_000, "a" * 500_000):
        started = time.perf_counter()
        read_answer(text, ["responsible", "funny", "sociable", "followers"])
        worst = max(worst, time.perf_counter() - started)
    print(f"\nadversarial inputs (up to 500,000 characters): slowest read {worst * 1000:.1f} ms")


if __name__ == "__main__":
    main()
