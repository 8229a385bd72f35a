"""`--template all`: one benchmark under every template of a family, summarised as SeaEval reports it (the median)
plus the min-max range across templates, which a median alone hides (prompt sensitivity)."""

from __future__ import annotations

import statistics
from pathlib import Path

from ..io import write_json

SUMMARY_FILE = "templates.json"
# The metrics summarised across templates: accuracy and the paper's headline numbers at k = 3, with kappa@3 (a
# model answering one letter under every template has consistency 1.000 and kappa 0).
SUMMARY_METRICS = ("accuracy", "consistency@3", "ac3@3", "kappa@3")


def template_folder(template: str) -> str:
    """Folder of one template's run under <out>/<bench>/ (no ':' in file names)."""
    return "template-" + str(template).replace(":", "-")


def headline(results: dict) -> dict:
    """accuracy, consistency@3, AC3@3 and kappa@3 of one run (@k for the largest k when fewer than 3 languages),
    kappa@3's CI, the answers per option over all languages and the run's answer warnings."""
    from ..metrics import answer_warnings, headline_k

    k = str(headline_k(len(results["languages"])))
    dist = list(results["answer_distribution"].values())
    return {"accuracy": results["accuracy"], "consistency@3": results["consistency"][k], "ac3@3": results["ac3"][k],
            "kappa@3": results["kappa"][k], "kappa@3_ci95": results.get("ci95", {}).get("kappa_3"),
            "answers": [int(sum(col)) for col in zip(*dist)],
            "warnings": results["warnings"] if "warnings" in results else answer_warnings(results)}


def summarize_templates(per_template: dict[str, dict], out: Path | None = None) -> dict:
    """{"templates": {name: headline}, "median": {...}, "range": {metric: [min, max]}, "runs": {name: results}}.

    Written to <out>/templates.json (next to each template's own folder) when `out` is given.
    """
    rows = {name: headline(results) for name, results in per_template.items()}
    first = next(iter(per_template.values()))
    summary = {
        "benchmark": first["inputs"]["benchmark"],
        "languages": first["languages"],
        "n_sets": first["n_sets"],
        "mode": first.get("mode"),
        "num_fewshot": first.get("num_fewshot"),
        "prompt_lang": first.get("prompt_lang"),
        "templates": rows,
        "median": {m: statistics.median(r[m] for r in rows.values()) for m in SUMMARY_METRICS},
        "range": {m: [min(r[m] for r in rows.values()), max(r[m] for r in rows.values())] for m in SUMMARY_METRICS},
        "folders": {name: template_folder(name) for name in per_template},
    }
    if out:
        write_json(Path(out) / SUMMARY_FILE, summary)
    return {**summary, "runs": per_template}
