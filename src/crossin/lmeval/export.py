"""`crossin export lm-eval`: our benchmarks as lm-evaluation-harness (0.4) tasks over local JSONL files.

One `multiple_choice` task per (benchmark, language), named `<bench>_<lang>` with `_` (`cross_mmlu_zh`), and one
group per benchmark (`cross_mmlu`). Each JSONL row carries crossin's own prompt (`evaluate.runner.build_prompt`,
the formatter training uses), the continuations to score and the gold index, so lm-eval asks exactly what
`crossin eval` asks:
- `loglik`: the continuations are the option letters right after the prompt (crossin's loglik mode);
- `cloze`: the option texts after the question, with lm-eval's separating space (crossin's cloze mode;
  lm-eval's `acc_norm` is crossin's length-normalised cloze score).
The YAMLs name their JSONL by absolute path (lm-eval reads `data_files` relative to the working directory), so
export again after moving the folder.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from .. import __version__
from ..benchmarks import LETTERS, Benchmark, load_benchmark
from ..config import arg, check_fields, refuse_no_ops
from ..errors import CrossinError
from ..io import atomic_write_text, check_output_dir, write_jsonl
from ..langs import PAPER_LANGS, parse_langs
from ..prompts import MCQ_TEMPLATES, PROMPT_FORMATS

EXPORT_MODES = ("loglik", "cloze")
METRICS = ("acc", "acc_norm")


@dataclass
class ExportConfig:
    bench: list[str] = arg(["cross-mmlu"], help="Benchmarks: cross-mmlu, cross-logiqa, cross-xquad, global-mmlu, mmlu-prox, "
                                                "belebele (comma-separated).")
    langs: list[str] = arg(list(PAPER_LANGS), help="Language codes (comma-separated); one task per language.")
    out: str = arg("lm_eval_tasks", help="Folder for the task YAMLs and their JSONL docs (lm_eval --include_path).")
    mode: str = arg("loglik", choices=EXPORT_MODES, help="loglik (option letters after the MCQ prompt) or cloze "
                                                         "(option texts after the question), as in `crossin eval`.")
    template: int = arg(1, choices=tuple(MCQ_TEMPLATES), help="MCQ instruction template (crossin.prompts.MCQ_TEMPLATES).")
    prompt_format: str = arg("alpaca", choices=PROMPT_FORMATS, help="Prompt formatter shared with training: alpaca, "
                                                                    "plain or chat (needs --model for its template).")
    model: str | None = arg(None, help="Model whose chat template builds the prompts (--prompt-format chat only).")
    limit: int | None = arg(None, min=1, help="Export only the first N sets of each benchmark.")
    data_dir: str | None = arg(None, help="Local data root (default: $CROSSIN_DATA_DIR, else the Hub).")
    subset: str = arg("all", choices=("all", "cs", "ca"), help="Global-MMLU's culturally sensitive (cs) or agnostic "
                                                             "(ca) questions only; all: every question.")


def task_name(bench: str, lang: str) -> str:
    return f"{group_name(bench)}_{lang}"


# lm-eval has tasks of its own named after these (global_mmlu_en, belebele_zho_Hans, mmlu_prox_en_math): ours get
# a prefix so that both load side by side and `score --lm-eval-samples` tells them apart.
NATIVE_FAMILIES = ("global-mmlu", "global-mmlu-lite", "mmlu-prox", "mmlu-prox-lite", "belebele")


def group_name(bench: str) -> str:
    return ("crossin_" if bench in NATIVE_FAMILIES else "") + bench.replace("-", "_")


def export_rows(bench: Benchmark, lang: str, *, mode: str = "loglik", template: int = 1,
                prompt_format: str = "alpaca", tokenizer=None) -> list[dict]:
    """One lm-eval doc per set: crossin's prompt, the continuations to score, the gold index."""
    from ..evaluate.scoring import cloze_continuation
    from ..evaluate.requests import build_prompt

    rows = []
    for pset in bench.sets:
        item = pset.items[lang]
        prompt = build_prompt(item, mode, template=template, prompt_format=prompt_format, tokenizer=tokenizer)
        if mode == "loglik":
            continuations = list(LETTERS[: len(item.choices)])
        else:
            continuations = [cloze_continuation(prompt, c) for c in item.choices]
        rows.append({"id": pset.id, "lang": lang, "mode": mode, "prompt": prompt, "choices": continuations,
                     "gold": item.gold})
    return rows


def task_yaml(bench: str, lang: str, data_file: Path, *, mode: str, template: int, prompt_format: str) -> dict:
    return {
        "task": task_name(bench, lang),
        "tag": ["crossin"],
        "dataset_path": "json",
        "dataset_kwargs": {"data_files": {"test": str(data_file.resolve())}},
        "test_split": "test",
        "output_type": "multiple_choice",
        "doc_to_text": "prompt",  # column names: lm-eval reads them as they are, no template
        "doc_to_choice": "choices",
        "doc_to_target": "gold",
        "target_delimiter": "",  # the prompt ends the way crossin ends it; cloze continuations carry their space
        "metric_list": [{"metric": m, "aggregation": "mean", "higher_is_better": True} for m in METRICS],
        "metadata": {"version": 1.0, "crossin": {"benchmark": bench, "lang": lang, "mode": mode, "template": template,
                                                 "prompt_format": prompt_format, "version": __version__}},
    }


def group_yaml(bench: str, tasks: list[str]) -> dict:
    return {
        "group": group_name(bench),
        "task": tasks,
        "aggregate_metric_list": [{"metric": m, "aggregation": "mean", "weight_by_size": True} for m in METRICS],
        "metadata": {"version": 1.0},
    }


def export_lm_eval(cfg: ExportConfig) -> dict[str, list[str]]:
    """Write the task YAMLs, group YAMLs and JSONL docs under `cfg.out`; returns {group: [task, ...]}."""
    check_fields(cfg)  # mode, template, prompt format, limit, subset: the constraints declared on ExportConfig
    if not cfg.bench:
        raise CrossinError("no benchmark given (--bench)")
    if cfg.prompt_format == "chat" and not cfg.model:
        raise CrossinError("--prompt-format chat needs --model (its tokenizer's chat template builds the prompts)")
    refuse_no_ops([
        (cfg.prompt_format != "chat" and cfg.model is not None,
         "--model is read only with --prompt-format chat (its chat template builds the prompts); drop it"),
        (cfg.mode == "cloze" and cfg.template != 1,
         f"--template {cfg.template} in cloze mode exports template 1's prompt: the templates differ only in how "
         "they list the options, which cloze mode does not show; drop --template"),
    ])
    codes = parse_langs(cfg.langs)
    check_output_dir(cfg.out, "--out")
    tokenizer = None
    if cfg.prompt_format == "chat":
        from ..models.hf import load_tokenizer

        tokenizer = load_tokenizer(cfg.model)
    out, mode, template, prompt_format = Path(cfg.out), cfg.mode, cfg.template, cfg.prompt_format
    groups: dict[str, list[str]] = {}
    for name in cfg.bench:
        bench = load_benchmark(name, codes, data_dir=cfg.data_dir, limit=cfg.limit, subset=cfg.subset)
        tasks = []
        for lang in bench.langs:
            data_file = out / f"{task_name(bench.name, lang)}.jsonl"
            write_jsonl(data_file, export_rows(bench, lang, mode=mode, template=template, prompt_format=prompt_format,
                                               tokenizer=tokenizer))
            spec = task_yaml(bench.name, lang, data_file, mode=mode, template=template, prompt_format=prompt_format)
            _write_yaml(out / f"{task_name(bench.name, lang)}.yaml", spec)
            tasks.append(spec["task"])
        _write_yaml(out / f"{group_name(bench.name)}.yaml", group_yaml(bench.name, tasks))
        groups[group_name(bench.name)] = tasks
    return groups


def _write_yaml(path: Path, data: dict) -> None:
    atomic_write_text(path, yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
