"""The model card (README.md) crossin writes into an adapter folder: YAML front matter in the Hub's convention
(huggingface_hub's `ModelCardData`: base_model, library_name, tags, datasets, language, model-index once the adapter
has been evaluated), then the data recipe and its size, the hyperparameters, and how to load it. Deterministic: two
identical runs write identical cards (no dates, no absolute paths of this machine in the front matter)."""

from __future__ import annotations

from pathlib import Path

from .hub import hub_model_id, model_card_data

CARD_FILE = "README.md"
HYPERPARAMETERS = ("learning_rate", "effective_batch_size", "num_epochs", "max_steps", "warmup_ratio", "lr_scheduler",
                   "weight_decay", "optimizer", "lora_r", "lora_alpha", "lora_dropout", "target_modules",
                   "modules_to_save", "max_length", "prompt_format", "precision", "seed")


def adapter_card(record: dict, manifest: dict | None, adapter_format: str, runs=()) -> str:
    """README.md of an adapter folder from its train_config.json record, the data mix's manifest.json (if the data
    was built by `crossin data build`) and, once evaluated, the report.loading `Run`s of the adapter."""
    config = record["config"]
    base = hub_model_id(config["model"])
    name = config.get("run_name") or f"LoRA adapter for {config['model']}"  # not --out: same run, same bytes
    data = model_card_data(list(runs), name, base)
    data.library_name = "peft"
    data.pipeline_tag = "text-generation"
    data.tags = ["crossin", "lora", "peft", "trl", "sft", "cross-lingual"]
    mix = (manifest or {}).get("config", {})
    if mix.get("langs"):
        data.language = list(mix["langs"])
    samples = record.get("data", {}).get("samples")
    lines = [f"# {name}", "",
             f"A LoRA adapter on `{config['model']}`" + (f" (`{base}`)" if base and base != config["model"] else "")
             + ", trained with crossin (CrossIn: cross-lingual instruction tuning).", "", "## Data", ""]
    if mix:
        lines.append(f"- recipe: `{mix.get('recipe')}`, n = {mix.get('n')}, languages: {', '.join(mix.get('langs', []))}"
                     + (f", translation share {mix['translation']}" if mix.get("translation") else "")
                     + f", seed {mix.get('seed')}")
    lines.append(f"- training samples: {samples} (file `{Path(record.get('data_file', '')).name}`, sha256 "
                 f"`{record.get('data_sha256', '')[:16]}...`)")
    lines += ["", "## Hyperparameters", "", "| name | value |", "|---|---|"]
    for key in HYPERPARAMETERS:
        if key in config:
            value = config[key]
            lines.append(f"| {key} | {', '.join(sorted(map(str, value))) if isinstance(value, list) else value} |")
    steps = record.get("result", {}).get("global_step")
    if steps is not None:
        lines.append(f"| optimizer steps | {steps} |")
    lines += ["", "## Loading", ""]
    if adapter_format == "peft":
        lines += ["```python", "from peft import PeftModel", "from transformers import AutoModelForCausalLM", "",
                  f"base = AutoModelForCausalLM.from_pretrained({(base or config['model'])!r})",
                  "model = PeftModel.from_pretrained(base, \"PATH/TO/THIS/FOLDER\")", "```"]
    else:
        lines += ["This folder is crossin's **tied-once** form (`adapter_model.tied-once.safetensors`: the tied "
                  "embedding matrix stored once). PEFT and vLLM cannot read it; load it with crossin "
                  "(`crossin eval --adapter`, `crossin serve`) or write a standard model folder with "
                  "`crossin export merged`."]
    if runs:
        lines += ["", "## Evaluation", "", "| benchmark | languages | accuracy | consistency@3 | AC3@3 |",
                  "|---|---|---|---|---|"]
        for run in runs:
            r = run.results
            lines.append(f"| {run.bench} | {','.join(r['languages'])} | {r['accuracy']:.4f} | "
                         f"{_get(r, 'consistency')} | {_get(r, 'ac3')} |")
    return f"---\n{data.to_yaml()}\n---\n\n" + "\n".join(lines) + "\n"


def _get(results: dict, key: str) -> str:
    value = results.get(key, {}).get("3")
    return "-" if value is None else f"{float(value):.4f}"


def write_adapter_card(folder: Path, record: dict, adapter_format: str, runs=()) -> None:
    """README.md into `folder` (the manifest is read from beside the training data file, if there)."""
    from ..io import atomic_write_text

    manifest_path = Path(record.get("data_file", "")).parent / "manifest.json"
    manifest = None
    if manifest_path.is_file():
        import json

        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        except ValueError:
            manifest = None
    atomic_write_text(Path(folder) / CARD_FILE, adapter_card(record, manifest, adapter_format, runs))


def add_results_to_card(adapter: Path, runs) -> None:
    """Rewrite a trained adapter's card with its evaluation (report.loading `Run`s): the experiment does this after
    evaluating an arm, so the card carries the model-index a Hub repo shows. The card is not part of the adapter's
    identity (crossin.models.hf fingerprints the weights and JSON files only)."""
    from ..io import read_json
    from ..models.adapter import is_tied_once

    record = Path(adapter).parent / "train_config.json"
    if not record.is_file() or not (Path(adapter) / "adapter_config.json").is_file():
        return  # not an adapter crossin trained (an experiment may evaluate one given by path)
    runs = sorted(runs, key=lambda r: r.bench)
    write_adapter_card(Path(adapter), read_json(record), "tied-once" if is_tied_once(adapter) else "peft", runs)
