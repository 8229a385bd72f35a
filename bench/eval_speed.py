"""Speed of `crossin eval` (loglik, or cloze) against lm-evaluation-harness on the same Cross-MMLU items.

Same machine, model object, threads, prompts and batch size. lm-eval gets a `multiple_choice` task (written to a temp
folder, items from a local JSONL, no network) whose context is crossin's prompt and whose choices are the letters
A-D, so both score the same thing: the letter's log-probability after the prompt. lm-eval's hf backend already
groups the four one-token continuations of a context into one forward pass; crossin additionally computes the LM head
only at the last position (Gemma 3's vocabulary is 262k) and runs the prompt header all questions share only once.

`--mode cloze`: the choices are the option texts and lm-eval's acc_norm (log-likelihood / characters) is compared with
crossin's cloze mode, which runs each question's prompt once and shares its KV cache across the options.

    python bench/eval_speed.py --sets 10 --langs en,zh,es,vi --batch-size 8 --threads 1
    python bench/eval_speed.py --mode cloze --sets 5 --threads 1
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import tempfile
import time
from pathlib import Path

TASK_YAML = """task: crossin_speed_mcq
dataset_path: json
dataset_kwargs:
  data_files:
    test: {items}
test_split: test
output_type: multiple_choice
doc_to_text: "{{{{prompt}}}}"
doc_to_choice: "{{{{choices}}}}"
doc_to_target: gold
target_delimiter: ""
metric_list:
  - metric: acc
    aggregation: mean
    higher_is_better: true
  - metric: acc_norm
    aggregation: mean
    higher_is_better: true
metadata:
  version: 1.0
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="gemma-3-270m")
    parser.add_argument("--mode", choices=("loglik", "cloze"), default="loglik")
    parser.add_argument("--sets", type=int, default=10, help="Cross-MMLU sets (x languages = questions)")
    parser.add_argument("--langs", default="en,zh,es,vi")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--threads", type=int, default=None, help="torch threads for both (default: torch's)")
    parser.add_argument("--data-dir", default=os.environ.get("CROSSIN_DATA_DIR"))
    args = parser.parse_args()

    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    from crossin.benchmarks import load_benchmark
    from crossin.evaluate import build_requests, score_options
    from crossin.models.hf import load_model_and_tokenizer

    bench = load_benchmark("cross-mmlu", args.langs, data_dir=args.data_dir, limit=args.sets)
    model, tok = load_model_and_tokenizer(args.model, device="cpu", dtype="fp32")
    requests = build_requests(bench, args.mode)
    gold = {s.id: s.gold for s in bench.sets}
    n = len(requests)
    print(f"{n} questions ({args.sets} Cross-MMLU sets x {len(bench.langs)} languages), model {args.model}, "
          f"batch size {args.batch_size}, {torch.get_num_threads()} threads")

    started = time.perf_counter()
    scores = score_options(model, tok, bench, mode=args.mode, batch_size=args.batch_size)
    crossin_s = time.perf_counter() - started
    crossin_acc = sum(max(range(4), key=lambda i: v[i]) == gold[sid] for (sid, _), v in scores.items()) / n

    from lm_eval import simple_evaluate
    from lm_eval.models.huggingface import HFLM
    from lm_eval.tasks import TaskManager

    logging.getLogger("lm_eval").setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        items = Path(tmp) / "items.jsonl"
        # Both prompts end in a newline (alpaca), so the continuation is the letter / option text itself.
        assert all(r.prompt.endswith("\n") for r in requests)
        items.write_text("".join(json.dumps({"prompt": r.prompt, "choices": list("ABCD")[:len(r.options)]
                                             if args.mode == "loglik" else list(r.options),
                                             "gold": gold[r.set_id]}, ensure_ascii=False) + "\n" for r in requests),
                         encoding="utf-8")
        (Path(tmp) / "task.yaml").write_text(TASK_YAML.format(items=items), encoding="utf-8")
        lm = HFLM(pretrained=model, tokenizer=tok, batch_size=args.batch_size, device="cpu")
        manager = TaskManager(include_path=tmp)
        started = time.perf_counter()
        out = simple_evaluate(model=lm, tasks=["crossin_speed_mcq"], task_manager=manager, num_fewshot=0,
                              log_samples=False, bootstrap_iters=0)
        lm_eval_s = time.perf_counter() - started
    metric = "acc,none" if args.mode == "loglik" else "acc_norm,none"
    lm_eval_acc = out["results"]["crossin_speed_mcq"][metric]

    crossin_qps, lm_eval_qps = n / crossin_s, n / lm_eval_s
    print(f"crossin {args.mode:7s}: {crossin_qps:6.2f} questions/s ({crossin_s:.1f} s)  accuracy {crossin_acc:.3f}")
    print(f"lm-eval 0.4 hf : {lm_eval_qps:6.2f} questions/s ({lm_eval_s:.1f} s)  accuracy {lm_eval_acc:.3f} ({metric})")
    print(f"speed-up       : {crossin_qps / lm_eval_qps:.2f}x (goal >= 3x)")


if __name__ == "__main__":
    main()
