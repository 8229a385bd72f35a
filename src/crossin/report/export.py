"""`crossin export results`: eval results (results.json under <run>/<bench>/, read as the report reads them) as the
Hub's evaluation-results files or as Every Eval Ever records (the formats: crossin.publish)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from ..config import arg, check_fields
from ..errors import CrossinError
from ..io import atomic_write_text, check_output_dir, confined, write_json

FORMATS = ("hf", "every-eval-ever")


@dataclass
class ResultsExportConfig:
    dirs: list[str] = arg([], help="Eval result folders (<run>/<bench>/results.json), experiment folders, or "
                                   "results.json files (the command's arguments).")
    format: str = arg("hf", choices=FORMATS, help="hf: per run, README.md (model-index front matter) and "
                                                  ".eval_results/<bench>.yaml for the model's Hub repository; "
                                                  "every-eval-ever: <bench>/<developer>/<model>/<uuid>.json records "
                                                  "(checked against the published schema).")
    out: str = arg("results-export", help="Output folder.")

    def validate(self) -> None:
        check_fields(self)
        if not self.dirs:
            raise CrossinError("no result folders given (crossin export results DIR ...)")


def export_results(cfg: ResultsExportConfig) -> list[Path]:
    """Write the files; returns them."""
    from .loading import find_runs

    cfg.validate()
    runs = find_runs([Path(d) for d in cfg.dirs])  # every results.json is schema-checked as it is read
    out = check_output_dir(cfg.out, "--out")
    written: list[Path] = []
    if cfg.format == "every-eval-ever":
        from ..publish.eee import record, record_path

        for run in runs:
            rec = record(run)
            path = out / record_path(run, rec)
            write_json(path, rec)
            written.append(path)
        return written
    from ..publish.hub import eval_results_entries, hub_model_id, model_card_data

    by_name: dict[str, list] = {}
    for run in runs:
        by_name.setdefault(run.name, []).append(run)
    for name, group in by_name.items():
        folder = confined(out, folder_name(name))
        for run in group:
            path = folder / ".eval_results" / f"{run.bench}.yaml"
            atomic_write_text(path, yaml.safe_dump(eval_results_entries(run), sort_keys=False, allow_unicode=True))
            written.append(path)
        data = model_card_data(group, name, hub_model_id(group[0].results.get("model")))
        body = (f"# {name}\n\nEvaluated with crossin on {', '.join(r.bench for r in group)}: accuracy per language, "
                "consistency@k and AC3@k (model-index above; `.eval_results/` for the Hub's newer format).\n")
        readme = folder / "README.md"
        atomic_write_text(readme, f"---\n{data.to_yaml()}\n---\n\n{body}")
        written.append(readme)
    return written


def folder_name(run_name: str) -> str:
    """A run name (`arms/en-n100`, a folder path relative to the input) as one folder name."""
    name = "".join(c if c.isalnum() or c in "._+=-" else "_" for c in run_name.replace("/", "__")).strip(".")
    return name or "run"
