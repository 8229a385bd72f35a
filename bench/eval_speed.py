"""Speed of `crossin eval` against lm-evaluation-harness on the same Cross-MMLU items, loglik and cloze in one run.

Same machine, model object, threads and prompts. lm-eval gets a `multiple_choice` task (written to a temp folder,
items from a local JSONL, no network) whose context is crossin's prompt:
- loglik: the choices are the letters A-D, so both score the letter's log-probability after the prompt (lm-eval's acc);
- cloze: the choices are the option texts, and lm-eval's acc_norm (log-likelihood / characters) is crossin's cloze.
crossin runs with `--batch-size auto` (a token budget); lm-eval with `--lm-eval-batch-size` (default 8).
Also times crossin's two cloze strategies (share each question's KV cache across its options, or recompute the
prompt per option).

    python bench/eval_speed.py --sets 10 --langs en,zh,es,vi --threads 1
    python bench/eval_speed.py --sets 150 --device cuda     # every Cross-MMLU set, bf16 on a GPU
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


def run_lm_eval(model, tok, requests, gold, mode: str, batch_size: int) -> tuple[float, float]:
    import torch

    from lm_eval import simple_evaluate
    from lm_eval.models.huggingface import HFLM
    from lm_eval.tasks import TaskManager

    logging.getLogger("lm_eval").setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        items = Path(tmp) / "items.jsonl"
        # Both prompts end in a newline (alpaca), so the continuation is the letter / option text itself.
        assert all(r.prompt.endswith("\n") for r in requests)
        items.write_text("".join(json.dumps({"prompt": r.prompt, "choices": list("ABCD")[:len(r.options)]
                                             if mode == "loglik" else list(r.options),
                                             "gold": gold[r.set_id]}, ensure_ascii=False) + "\n" for r in requests),
                         encoding="utf-8")
        (Path(tmp) / "task.yaml").write_text(TASK_YAML.format(items=items), encoding="utf-8")
        lm = HFLM(pretrained=model, tokenizer=tok, batch_size=batch_size, device=str(model.device))
        manager = TaskManager(include_path=tmp)
        started = time.perf_counter()
        out = simple_evaluate(model=lm, tasks=["crossin_speed_mcq"], task_manager=manager, num_fewshot=0,
                              log_samples=False, bootstrap_iters=0)
        if model.device.type == "cuda":
            torch.cuda.synchronize()
        seconds = time.perf_counter() - started
    return seconds, out["results"]["crossin_speed_mcq"]["acc,none" if mode == "loglik" else "acc_norm,none"]


def run_crossin(model, tok, bench, mode: str, batch_size, strategy: str = "share") -> tuple[float, dict]:
    import torch

    from crossin.evaluate.hf_backend import HFBackend
    from crossin.evaluate.requests import build_requests
    from crossin.evaluate.runner import execute, unrotate_scores

    requests = build_requests(bench, mode)
    backend = HFBackend(model=model, tokenizer=tok, batch_size=batch_size, cloze_strategy=strategy)
    if model.device.type == "cuda":
        execute(requests[:16], mode, backend)  # warm-up: CUDA context and kernel choice are not the engine's speed
        torch.cuda.synchronize()
    started = time.perf_counter()
    values = execute(requests, mode, backend)
    seconds = time.perf_counter() - started
    return seconds, {(r.set_id, r.lang): unrotate_scores(v, r.rotation) for r, v in zip(requests, values)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="gemma-3-270m")
    parser.add_argument("--modes", default="loglik,cloze")
    parser.add_argument("--sets", type=int, default=10, help="Cross-MMLU sets (x languages = questions)")
    parser.add_argument("--langs", default="en,zh,es,vi")
    parser.add_argument("--batch-size", default="auto", help="crossin's --batch-size")
    parser.add_argument("--lm-eval-batch-size", type=int, default=8)
    parser.add_argument("--threads", type=int, default=None, help="torch threads for both (default: torch's)")
    parser.add_argument("--device", default="cpu", help="cpu or cuda (both engines use the same model object)")
    parser.add_argument("--dtype", default=None, help="default: fp32 on CPU, bf16 on GPUs that have it")
    parser.add_argument("--data-dir", default=os.environ.get("CROSSIN_DATA_DIR"))
    args = parser.parse_args()

    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    from crossin.benchmarks import load_benchmark
    from crossin.evaluate.requests import build_requests
    from crossin.models.hf import load_model_and_tokenizer

    bench = load_benchmark("cross-mmlu", args.langs, data_dir=args.data_dir, limit=args.sets)
    model, tok = load_model_and_tokenizer(args.model, device=args.device, dtype=args.dtype)
    gold = {s.id: s.gold for s in bench.sets}
    batch = args.batch_size if args.batch_size == "auto" else int(args.batch_size)
    n = len(bench.sets) * len(bench.langs)
    print(f"{n} questions ({args.sets} Cross-MMLU sets x {len(bench.langs)} languages), model {args.model}, crossin "
          f"batch size {batch}, lm-eval batch size {args.lm_eval_batch_size}, {model.dtype} on "
          f"{torch.cuda.get_device_name(0) if model.device.type == 'cuda' else f'cpu, {torch.get_num_threads()} threads'}")
    ratios = {}
    for mode in args.modes.split(","):
        crossin_s, scores = run_crossin(model, tok, bench, mode, batch)
        crossin_acc = sum(max(range(len(v)), key=v.__getitem__) == gold[sid] for (sid, _), v in scores.items()) / n
        lm_eval_s, lm_eval_acc = run_lm_eval(model, tok, build_requests(bench, mode), gold, mode, args.lm_eval_batch_size)
        ratios[mode] = lm_eval_s / crossin_s
        print(f"{mode:7s} crossin {n / crossin_s:6.2f} q/s ({crossin_s:6.1f} s) acc {crossin_acc:.3f} | lm-eval "
              f"{n / lm_eval_s:6.2f} q/s ({lm_eval_s:6.1f} s) acc {lm_eval_acc:.3f} | {ratios[mode]:.2f}x"
              f"{'' if abs(crossin_acc - lm_eval_acc) < 1e-9 else '  ACCURACIES DIFFER'}", flush=True)
        if mode == "cloze":
            recompute_s, other = run_crossin(model, tok, bench, mode, batch, strategy="recompute")
            diff = max(abs(a - b) for k in scores for a, b in zip(scores[k], other[k]))
            print(f"cloze strategies: share {crossin_s:.1f} s, recompute {recompute_s:.1f} s "
                  f"({recompute_s / crossin_s:.2f}x), max score difference {diff:.1e}", flush=True)
    print("speed-up vs lm-eval: " + ", ".join(f"{m} {r:.2f}x" for m, r in ratios.items()) + " (goal >= 8x each)")


if __name__ == "__main__":
    main()
