"""results.json's `lm_eval` block: a crossin run in lm-evaluation-harness's results layout.

Tools that read lm-eval's results files (`results: {task: {"acc,none": ...}}`, `configs`, `versions`,
`n-samples`, `config`) can read a crossin run from `results.json["lm_eval"]`. Tasks are named as
`crossin export lm-eval` names them (`cross_mmlu_zh`, group `cross_mmlu`), so the two line up.
- `acc`: the chosen option is gold (an unparsed answer, or rotations that disagree, is wrong);
- `acc_norm` (loglik, cloze): lm-eval's length-normalised choice. Letters all have one character, so in loglik
  mode it equals acc; crossin's cloze scores are already normalised (so there acc undoes the normalisation).
The group row adds crossin's cross-lingual metrics at k = 3 (or the largest k when there are fewer languages), and
RankC when the mode recorded option scores.
"""

from __future__ import annotations

import math

from .. import __version__
from ..benchmarks import Benchmark, best_option
from ..metrics import headline_k
from .export import METRICS, group_name, task_name


def _mean_stderr(hits: list[bool]) -> tuple[float, float | str]:
    n = len(hits)
    mean = sum(hits) / n if n else 0.0
    if n < 2:
        return mean, "N/A"  # lm-eval's spelling when one sample gives no spread
    var = sum((h - mean) ** 2 for h in hits) / (n - 1)
    return mean, math.sqrt(var / n)


def _hits(sample: dict, mode: str, bench_item, norm: str = "chars") -> dict[str, bool]:
    gold = sample["gold"]
    if mode == "generate":
        return {"acc": sample["choice"] == gold}
    out = {"acc": sample["choice"] == gold, "acc_norm": sample["choice"] == gold}
    if mode == "cloze" and norm in ("chars", "bytes"):  # acc: the unnormalised sum, recovered from the scores
        from ..evaluate.scoring import cloze_continuation

        conts = [cloze_continuation(sample["prompt"], c) for c in bench_item.choices]
        lengths = [max(len(t) if norm == "chars" else len(t.encode("utf-8")), 1) for t in conts]
        out["acc"] = best_option([s * n for s, n in zip(sample["option_scores"], lengths)]) == gold
    # none: the scores are the sums already; tokens, pmi: acc is the normalised choice too (token counts and
    # unconditional log-probabilities are not in the samples)
    return out


def lm_eval_block(config, bench: Benchmark, samples: list[dict], results: dict, *, n_original: int | None = None) -> dict:
    """The lm-eval-shaped block for one benchmark of a `crossin eval` run (config: EvalConfig).

    `n_original`: the benchmark's number of sets before `--limit` (lm-eval's `n-samples.original`); default: as run.
    """
    group = group_name(bench.name)
    items = {(s.id, lang): s.items[lang] for s in bench.sets for lang in bench.langs}
    per_task: dict[str, dict[str, list[bool]]] = {}
    for sample in samples:
        hits = _hits(sample, config.mode, items[(sample["id"], sample["lang"])], getattr(config, "cloze_norm", "chars"))
        task = per_task.setdefault(task_name(bench.name, sample["lang"]), {})
        for metric, hit in hits.items():
            task.setdefault(metric, []).append(hit)
    table: dict[str, dict] = {}
    for task, metrics in per_task.items():
        row: dict = {"name": task, "alias": task, "sample_len": len(metrics["acc"])}
        for metric, hits in metrics.items():
            row[f"{metric},none"], row[f"{metric}_stderr,none"] = _mean_stderr(hits)
        table[task] = row
    pooled: dict[str, list[bool]] = {}
    for metrics in per_task.values():
        for metric, hits in metrics.items():
            pooled.setdefault(metric, []).extend(hits)
    group_row: dict = {"name": group, "alias": group, "sample_len": len(pooled.get("acc", []))}
    for metric, hits in pooled.items():
        group_row[f"{metric},none"], group_row[f"{metric}_stderr,none"] = _mean_stderr(hits)
    k = headline_k(len(results.get("languages") or bench.langs))
    if k is not None:
        for name in ("consistency", "ac3", "kappa"):
            group_row[f"{name}@{k},none"] = results[name][str(k)]
    if results.get("rankc"):
        group_row["rankc,none"] = results["rankc"]["overall"]
    table[group] = group_row
    metric_names = [m for m in METRICS if m in pooled]
    configs = {task: {
        "task": task,
        "dataset_path": bench.source,
        "output_type": "generate_until" if config.mode == "generate" else "multiple_choice",
        "metric_list": [{"metric": m, "aggregation": "mean", "higher_is_better": True} for m in metric_names],
        "metadata": {"version": 1.0, "crossin": {"benchmark": bench.name, "lang": task.rsplit("_", 1)[1],
                                                 "mode": config.mode, "circular": results.get("circular", False),
                                                 "template": config.template, "prompt_format": config.prompt_format,
                                                 "version": __version__}},
    } for task in per_task}
    n = len(bench.sets)
    original = n if n_original is None else n_original
    return {
        "results": table,
        "groups": {group: group_row},
        "group_subtasks": {group: list(per_task)},
        "configs": configs,
        "versions": {**{task: 1.0 for task in per_task}, group: 1.0},
        "n-shot": {task: config.num_fewshot for task in per_task},
        "higher_is_better": {task: {m: True for m in metric_names} for task in per_task},
        "n-samples": {task: {"original": original, "effective": n} for task in per_task},
        "config": {
            "model": "crossin", "model_args": {"pretrained": config.model, **({"peft": config.adapter} if config.adapter else {})},
            "batch_size": config.batch_size, "device": config.device, "limit": config.limit,
            "bootstrap_iters": config.n_boot, "random_seed": config.seed, "num_fewshot": config.num_fewshot,
        },
    }


# What every entry point adds to each benchmark's results.json: evaluate.runner.RESULT_BLOCKS names the same blocks
# (run_eval's default), so `run_eval(config)` from Python writes what `crossin eval` writes.
RESULT_BLOCKS = {"lm_eval": lm_eval_block}
