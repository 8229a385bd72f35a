"""A crossin run's results as Every Eval Ever records (https://github.com/evaleval/every_eval_ever).

One record per model x benchmark, in the repository's layout `<benchmark>/<developer>/<model>/<uuid>.json`,
checked against the schema vendored beside this file (every_eval_ever.schema.json, see SCHEMA_SOURCE) before it is
written. Metrics: accuracy per language and overall, consistency@k and AC3@k (continuous, 0..1, higher is better).
"""

from __future__ import annotations

import json
import time
import uuid
from functools import cache
from pathlib import Path

from .. import __version__
from ..benchmarks.registry import get_spec
from ..errors import CrossinError
from .hub import BUILT_FROM, hub_model_id, metrics

SCHEMA_FILE = Path(__file__).with_name("every_eval_ever.schema.json")
SCHEMA_SOURCE = ("evaleval/every_eval_ever", "eval.schema.json", "eb7600fa6daae6c9c3b8d5d8493d1080e62ddce1")
SCHEMA_VERSION = "0.2.1"
DESCRIPTIONS = {
    "accuracy": "share of questions answered correctly",
    "consistency": "share of parallel sets answered with the same option in every k-subset of the languages "
                   "(SeaEval's consistency@k)",
    "ac3": "harmonic mean of accuracy and consistency@k (CrossIn's AC3)",
}


@cache
def schema() -> dict:
    return json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))


def check(record: dict) -> None:
    """The record against the published schema; a failure is crossin's bug, said in one line."""
    import jsonschema

    error = jsonschema.exceptions.best_match(jsonschema.Draft7Validator(schema()).iter_errors(record))
    if error is not None:
        where = "/".join(map(str, error.absolute_path)) or "(top)"
        raise CrossinError(f"Every Eval Ever record does not fit schema {SCHEMA_VERSION} at {where}: {error.message}")


def model_info(results: dict) -> dict:
    model = str(results.get("model") or "unknown")
    hub = hub_model_id(model)
    info = {"name": model, "id": hub or model, "inference_platform": "local",
            "inference_engine": {"name": "transformers" if not model.startswith("openai:") else "openai-compatible"}}
    if hub and "/" in hub:
        info["developer"] = hub.split("/")[0]
    details = {"mode": str(results.get("mode")), "prompt_format": str(results.get("prompt_format"))}
    if results.get("adapter"):
        details["adapter"] = str(results["adapter"])
    info["additional_details"] = details
    return info


def source_data(bench: str, results: dict) -> dict:
    spec = get_spec(bench)
    name = spec.description.split(":")[0]
    hub = spec.hub_id or BUILT_FROM.get(spec.name)
    details = {"languages": ",".join(results["languages"]), "n_sets": str(results["n_sets"]),
               "sha256": str(results.get("inputs", {}).get("benchmark_sha256", ""))}
    if spec.hub_id is None:
        details["built_by"] = f"crossin {spec.name} from {hub}"
    return {"dataset_name": name, "source_type": "hf_dataset", "hf_repo": hub, "hf_split": spec.hub_split,
            "samples_number": int(results["n_sets"]), "additional_details": details}


def record(run, retrieved: float | None = None) -> dict:
    """The Every Eval Ever record of one report.loading `Run`."""
    results = run.results
    retrieved = time.time() if retrieved is None else retrieved
    info = model_info(results)
    data = source_data(run.bench, results)
    items = []
    for metric, task, value, name in metrics(results):
        family = metric.split("@")[0]
        item = {"evaluation_name": f"{run.bench} {name}", "source_data": data,
                "metric_config": {"evaluation_description": DESCRIPTIONS[family], "lower_is_better": False,
                                  "score_type": "continuous", "min_score": 0.0, "max_score": 1.0},
                "score_details": {"score": value, "details": {"metric": metric, "language": task}}}
        ci = results.get("ci95", {}).get({"accuracy": "accuracy", "consistency@3": "consistency_3",
                                          "ac3@3": "ac3_3"}.get(metric, "") if task == "all" else "")
        if ci:
            item["score_details"]["uncertainty"] = {"confidence_interval": {
                "lower": float(ci[0]), "upper": float(ci[1]), "confidence_level": 0.95, "method": "bootstrap"},
                "num_bootstrap_samples": int(results.get("bootstrap", {}).get("n", 0))}
        items.append(item)
    out = {"schema_version": SCHEMA_VERSION,
           "evaluation_id": f"{run.bench}/{info['id']}/{int(retrieved)}",
           "retrieved_timestamp": str(int(retrieved)),
           "source_metadata": {"source_name": "crossin", "source_type": "evaluation_run",
                               "source_organization_name": "crossin user", "evaluator_relationship": "third_party"},
           "eval_library": {"name": "crossin", "version": __version__},
           "model_info": info, "evaluation_results": items}
    check(out)
    return out


def record_path(run, rec: dict) -> Path:
    """<benchmark>/<developer>/<model>/<uuid>.json as the repository files them (uuid from the record's id)."""
    info = rec["model_info"]
    developer = info.get("developer", "local")
    model = info["id"].split("/")[-1] + (f"+{run.name}" if info.get("additional_details", {}).get("adapter") else "")
    safe = lambda s: "".join(c if c.isalnum() or c in "._+-" else "_" for c in s)  # noqa: E731
    return Path(safe(run.bench), safe(developer), safe(model), f"{uuid.uuid5(uuid.NAMESPACE_URL, rec['evaluation_id'])}.json")
