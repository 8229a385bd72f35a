"""Precision and coverage of the answer extractors on 400 real chat-model answers, per language and per model.

The answers: SeaEval v0.1's published evaluation logs of seven chat models (GPT-4-1106, GPT-3.5-turbo-1106,
Llama-2-7B-chat, Qwen-1.5-7B-chat, Mistral-7B-Instruct-v0.2, Gemma-7B-it, SEA-LION-7B-instruct) on Cross-MMLU and
Cross-LogiQA in seven languages, `real_chat_outputs.jsonl` in $CROSSIN_REAL_OUTPUTS or ../shared/real-outputs
beside the checkout (not in the repository). Their labels (two independent passes by careful readers, disagreements
resolved): tests/data/real_outputs_labels.jsonl. crossin's first read of them, recorded before the extractor was
changed for them: tests/data/real_outputs_first_read.jsonl.

precision = read correctly / read (an answer labelled none or several but read counts as a wrong read);
coverage = read / answers labelled with one option. For seaeval a random draw (fill or tie) counts as not read.
Held out: every 4th answer (n % 4 == 3) was not looked at while the rules were changed (`--part held-out`).

    PYTHONPATH=src python bench/real_outputs.py [--part all|dev|held-out] [--by lang|model]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from crossin.extract import read_answer  # noqa: E402
from crossin.extract_seaeval import seaeval_align  # noqa: E402
from crossin.langs import to_code  # noqa: E402
from crossin.letters import LETTERS  # noqa: E402

LABELS = REPO / "tests" / "data" / "real_outputs_labels.jsonl"
FIRST_READ = REPO / "tests" / "data" / "real_outputs_first_read.jsonl"


def outputs_file() -> Path:
    root = os.environ.get("CROSSIN_REAL_OUTPUTS")
    folder = Path(root) if root else REPO.parent / "shared" / "real-outputs"
    return folder / "real_chat_outputs.jsonl"


def load(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def rows(labels: Path = LABELS) -> list[dict]:
    """Each answer with its label (an option index, or None for none/several), language, model and readings."""
    label = {r["n"]: r for r in load(labels) if "n" in r}
    first = {r["n"]: r["crossin"] for r in load(FIRST_READ) if "n" in r}
    out = []
    for r in load(outputs_file()):
        model, _, _, lang = r["source"].split("|")
        lab = label[r["n"]]["label"]
        s = seaeval_align(r["output"], r["choices"], seed=0, key=str(r["n"]))
        out.append({"n": r["n"], "lang": to_code(lang), "model": model,
                    "label": LETTERS.index(lab) if lab in LETTERS else None,
                    "first": LETTERS.index(first[r["n"]]) if first[r["n"]] in LETTERS else None,
                    "now": read_answer(r["output"], r["choices"], question=r["question"]).choice,
                    "seaeval": None if s.random else s.choice})
    return out


def precision_coverage(items: list[dict], key: str) -> tuple[float, float, int, int, int]:
    """(precision, coverage, read, right, answers with one option)."""
    read = [r for r in items if r[key] is not None]
    right = sum(r[key] == r["label"] for r in read)
    labelled = [r for r in items if r["label"] is not None]
    covered = sum(r[key] is not None for r in labelled)
    return right / max(len(read), 1), covered / max(len(labelled), 1), len(read), right, len(labelled)


def table(items: list[dict], by: str) -> str:
    groups: dict[str, list] = defaultdict(list)
    for r in items:
        groups[r[by]].append(r)
    head = (f"{by:<26} {'n':>4} {'one':>4} | {'first read P / C':>17} | {'crossin now P / C':>17} | "
            f"{'seaeval P / C':>17}")
    lines = [head, "-" * len(head)]
    for name in [*sorted(groups), "all"]:
        part = items if name == "all" else groups[name]
        cells = []
        for key in ("first", "now", "seaeval"):
            p, c, *_ = precision_coverage(part, key)
            cells.append(f"{p:7.1%} / {c:7.1%}")
        lines.append(f"{name:<26} {len(part):>4} {sum(r['label'] is not None for r in part):>4} | " + " | ".join(cells))
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--part", choices=("all", "dev", "held-out"), default="all")
    ap.add_argument("--by", choices=("lang", "model"), default="lang")
    ap.add_argument("--labels", default=str(LABELS))
    args = ap.parse_args()
    items = rows(Path(args.labels))
    if args.part != "all":
        items = [r for r in items if (r["n"] % 4 == 3) == (args.part == "held-out")]
    print(f"{len(items)} answers ({args.part}); P = precision, C = coverage")
    print(table(items, args.by))


if __name__ == "__main__":
    main()
