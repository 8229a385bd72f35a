"""Builds real_outputs_labels.jsonl from the two independent labelling passes of the 400 real chat-model answers in
../shared/real-outputs/real_chat_outputs.jsonl (SeaEval v0.1's published evaluation logs; not in the repository).

Each pass was a careful reader labelling every answer by hand (option A-D, "none" or "several" with the options),
following one labelling guide (summarised in the header line), without seeing the other pass or any extractor's reading.
Where the passes disagree, RESOLVED holds the label decided after reading the answer again, with a note.

    python tests/data/make_real_outputs_labels.py PASS_A.jsonl [PASS_A2.jsonl ...] --b PASS_B.jsonl
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUTPUTS = Path(os.environ.get("CROSSIN_REAL_OUTPUTS") or HERE.parents[2] / "shared" / "real-outputs")

# n: (label, options, note) for the answers the two passes labelled differently.
RESOLVED = {
    58: ("several", ["A", "B"], "opens 'B) 20', then concludes '9 + 1 = 10 cạnh', option A's value: two conflicting "
                                "final statements"),
    140: ("none", [], "computes log2(120) ≈ 7 (option D's value) and is cut off at 'So,' before choosing"),
    322: ("several", ["B", "D"], "'the choices ... are:' then B's text, and 'D' starts the next listed choice when "
                                 "it is cut off"),
    327: ("D", [], "first '(A) decrease', then settles: 'So, the most accurate answer ... would be (D)'; (A) only as "
                   "the long-term effect"),
}
HEADER = {
    "about": "Labels of the 400 real chat-model answers in ../shared/real-outputs/real_chat_outputs.jsonl "
             "($CROSSIN_REAL_OUTPUTS): seven chat models (GPT-4-1106, GPT-3.5-turbo-1106, Llama-2-7B-chat, "
             "Qwen-1.5-7B-chat, Mistral-7B-Instruct-v0.2, Gemma-7B-it, SEA-LION-7B-instruct) on Cross-MMLU and "
             "Cross-LogiQA in seven languages, from SeaEval v0.1's published evaluation logs. label: the option the "
             "answer commits to (A-D), none (no commitment, cut off before answering, refusal, only discussion) or "
             "several (two or more options as the final answer; in options). Two independent passes by careful "
             "readers (passA, passB); where they differ, the resolution and a note. Built by "
             "tests/data/make_real_outputs_labels.py. Held out while the rules were developed: n % 4 == 3.",
}


def load(paths) -> dict[int, dict]:
    out = {}
    for p in paths:
        for line in Path(p).read_text(encoding="utf-8").splitlines():
            if line.strip():
                r = json.loads(line)
                out[r["n"]] = r
    return out


def key(r: dict) -> tuple:
    return r["label"], tuple(sorted(r.get("options") or [])) if r["label"] == "several" else ()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("a", nargs="+")
    ap.add_argument("--b", required=True)
    args = ap.parse_args()
    a, b = load(args.a), load([args.b])
    source = {json.loads(l)["n"]: json.loads(l)["source"]
              for l in (OUTPUTS / "real_chat_outputs.jsonl").read_text(encoding="utf-8").splitlines() if l.strip()}
    rows = [HEADER]
    for n in sorted(source):
        ra, rb = a[n], b[n]
        row = {"n": n, "source": source[n]}
        if key(ra) == key(rb):
            row.update(label=ra["label"], options=sorted(ra.get("options") or []) if ra["label"] == "several" else [],
                       cut_off=bool(ra.get("cut_off") and rb.get("cut_off")))
        else:
            label, options, note = RESOLVED[n]
            row.update(label=label, options=options, cut_off=bool(ra.get("cut_off") or rb.get("cut_off")),
                       passA={"label": ra["label"], "options": ra.get("options") or []},
                       passB={"label": rb["label"], "options": rb.get("options") or []}, note=note)
        rows.append(row)
    assert set(RESOLVED) == {n for n in source if key(a[n]) != key(b[n])}
    (HERE / "real_outputs_labels.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


if __name__ == "__main__":
    main()
