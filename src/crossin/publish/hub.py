"""A crossin run's results in the Hugging Face Hub's two evaluation-results formats.

- `model-index` in a model card's YAML front matter (huggingface_hub's `EvalResult`): one entry per benchmark x
  language (accuracy) and per benchmark (consistency@k, AC3@k over the run's languages), each naming its metric.
- `.eval_results/<bench>.yaml` (the Hub's newer format, https://huggingface.co/docs/hub/eval-results; written with
  huggingface_hub's `EvalResultEntry`): one value per entry and no metric field, so the metric and language go in
  `notes`; `task_id` is the language (accuracy) or `all` (consistency, AC3). The Hub lists these on a leaderboard only
  for datasets registered as benchmarks, which SeaEval's are not (yet); the model page shows them either way.
"""

from __future__ import annotations

from ..benchmarks.registry import get_spec
from ..errors import CrossinError
from ..models.embedded import is_embedded

EMBEDDED_HUB_ID = "google/gemma-3-270m"  # the base model the embedded GGUF was quantised from
# cross-xquad-built is built offline from XQuAD (crossin.benchmarks.xquad): results name XQuAD's Hub dataset
BUILT_FROM = {"cross-xquad-built": "google/xquad"}


def hub_model_id(name: str | None) -> str | None:
    """The Hub id of a base model as crossin names it: the embedded one's, an `org/name` as it is; None for a local
    folder or an API model (nothing on the Hub to link to)."""
    if not name:
        return None
    if is_embedded(name):
        return EMBEDDED_HUB_ID
    parts = name.split("/")
    if len(parts) == 2 and all(parts) and not name.startswith((".", "~")) and ":" not in name:
        from pathlib import Path

        return None if Path(name).exists() else name
    return None


def dataset_id(bench: str) -> str:
    """The benchmark's Hub dataset id."""
    spec = get_spec(bench)
    found = spec.hub_id or BUILT_FROM.get(spec.name)
    if not found:
        raise CrossinError(f"{bench}: no Hugging Face dataset id to name in the Hub's results files")
    return found


def metrics(results: dict) -> list[tuple[str, str, float, str]]:
    """(metric id, task id, value, readable name) of one results.json: accuracy per language, then consistency@k
    and AC3@k for every k >= 2 the run has."""
    langs = list(results["languages"])
    rows = [("accuracy", lang, float(results["language_accuracy"][lang]), f"accuracy ({lang})") for lang in langs]
    rows.append(("accuracy", "all", float(results["accuracy"]), f"accuracy (mean of {','.join(langs)})"))
    for key, label in (("consistency", "consistency"), ("ac3", "AC3")):
        for k, value in sorted(results.get(key, {}).items(), key=lambda kv: int(kv[0])):
            rows.append((f"{key}@{k}", "all", float(value), f"{label}@{k} ({','.join(langs)})"))
    return rows


def model_index_results(runs) -> list:
    """huggingface_hub `EvalResult`s (model-index entries) of report.loading `Run`s of one model."""
    from huggingface_hub import EvalResult

    out = []
    for run in runs:
        spec = get_spec(run.bench)
        for metric, task, value, name in metrics(run.results):
            out.append(EvalResult(task_type="multiple-choice", task_name="Multiple choice",
                                  dataset_type=dataset_id(run.bench), dataset_name=spec.description.split(":")[0],
                                  dataset_config=None if task == "all" else task, dataset_split=spec.hub_split,
                                  metric_type=metric, metric_value=round(value, 6), metric_name=name))
    return out


def eval_results_entries(run) -> list[dict]:
    """The `.eval_results/<bench>.yaml` list of one run."""
    from huggingface_hub import EvalResultEntry, eval_result_entries_to_yaml

    mode = run.results.get("mode", "")
    entries = [EvalResultEntry(dataset_id=dataset_id(run.bench), task_id=task, value=round(value, 6),
                               notes=f"{name}; crossin, {run.results['n_sets']} parallel sets, {mode} mode")
               for _, task, value, name in metrics(run.results)]
    return eval_result_entries_to_yaml(entries)


def model_card_data(runs, name: str, base_model: str | None):
    """huggingface_hub `ModelCardData` with the runs' model-index."""
    from huggingface_hub import ModelCardData

    return ModelCardData(model_name=name, base_model=base_model, eval_results=model_index_results(runs) or None,
                         tags=["crossin", "cross-lingual-consistency"],
                         datasets=sorted({dataset_id(r.bench) for r in runs}) or None)
