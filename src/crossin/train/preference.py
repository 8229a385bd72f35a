"""Preference data for `crossin train --method dpo|dco`: the rows `crossin data pairs` writes (or any JSONL with
the same fields). Prompts are used as written (`crossin data pairs` stores the exact evaluation prompt), so the
model is trained on the text it is evaluated on.

- dpo: {prompt, chosen, rejected} (calm.jsonl), trained by TRL's DPOTrainer, which tokenizes them;
- dco: {prompt_1, chosen_1, rejected_1, prompt_2, chosen_2, rejected_2} (dco.jsonl), tokenized here.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import CrossinError
from ..io import iter_jsonl
from .dco import DCO_FIELDS

FIELDS = {"dpo": ("prompt", "chosen", "rejected"), "dco": DCO_FIELDS}
FILES = {"dpo": "calm.jsonl", "dco": "dco.jsonl"}


def resolve_pairs_file(data: str | Path, method: str) -> Path:
    """A JSONL file, or a `crossin data pairs` folder (its calm.jsonl for dpo, dco.jsonl for dco)."""
    path = Path(data)
    if path.is_dir():
        if not (path / "manifest.json").is_file():
            raise CrossinError("incomplete pairs folder (no manifest.json, which `crossin data pairs` writes last)",
                               path=str(path))
        path = path / FILES[method]
    if not path.is_file():
        raise CrossinError(f"{method} data not found", path=str(path))
    return path


def load_rows(data: str | Path, method: str, limit: int | None = None) -> tuple[list[dict], Path]:
    """The rows with the method's fields (each a string), checked line by line."""
    path = resolve_pairs_file(data, method)
    rows = []
    for lineno, obj in iter_jsonl(path):
        for key in FIELDS[method]:
            if not isinstance(obj.get(key), str) or not obj[key]:
                raise CrossinError(f"field {key!r} is missing or not a non-empty string ({method} rows need "
                                   f"{', '.join(FIELDS[method])})", path=str(path), line=lineno)
        rows.append({k: obj[k] for k in FIELDS[method]})
        if limit is not None and len(rows) >= limit:
            break
    if not rows:
        raise CrossinError(f"no {method} rows", path=str(path))
    return rows, path


def build_preference_dataset(rows: list[dict], method: str, tokenizer, max_length: int) -> tuple[object, dict]:
    """(the dataset the method's trainer takes, stats). DCO records longer than max_length tokens (prompt + answer,
    either language) are dropped and counted."""
    if method == "dpo":
        from datasets import Dataset

        # TRL tokenizes the prompt with the tokenizer's special tokens: a prompt that already starts with BOS (a
        # chat template's) loses it here, so the ids are the ones evaluation feeds (crossin.prompts.tokenize_prompt).
        bos = getattr(tokenizer, "bos_token", None)
        rows = [dict(r, prompt=r["prompt"][len(bos):]) if bos and r["prompt"].startswith(bos) else r for r in rows]
        return Dataset.from_list(rows), {"samples": len(rows), "dropped_too_long": 0}
    from .dco import tokenize_record

    records = [tokenize_record(tokenizer, r) for r in rows]
    kept = [r for r in records
            if max(len(r[f"prompt_{i}"]) + len(r[f"{k}_{i}"]) for i in (1, 2) for k in ("chosen", "rejected"))
            <= max_length]
    if not kept:
        raise CrossinError(f"every DCO record is longer than --max-length {max_length} tokens")
    return kept, {"samples": len(kept), "dropped_too_long": len(records) - len(kept)}


def reference_model(cfg):
    """The frozen reference of dpo/dco when training continues an adapter: the base model with it merged."""
    from ..models.adapter import load_adapter
    from ..models.hf import load_pretrained

    base, _ = load_pretrained(cfg.model, dtype=cfg.model_dtype, attn_implementation=cfg.attn_implementation)
    merged = load_adapter(base, Path(cfg.adapter)).merge_and_unload()
    merged.eval()
    for p in merged.parameters():
        p.requires_grad_(False)
    return merged


def preference_arguments(cfg, args_cls, base: dict) -> dict:
    """The DPOConfig (dpo) or TrainingArguments (dco) of a run: the SFT run's arguments (`base`) that the class
    has, without SFT's padding-free batches; DPO truncates at max_length itself, DCO's records were filtered by it."""
    import dataclasses

    names = {f.name for f in dataclasses.fields(args_cls)}
    values = {k: v for k, v in base.items() if k in names}
    values["padding_free"] = False
    if cfg.method == "dpo":
        values.update(max_length=cfg.max_length, beta=cfg.resolved_beta())
    else:
        values["remove_unused_columns"] = False  # the DCO collator reads the token-id fields
    return {k: v for k, v in values.items() if k in names}


def preference_trainer(cfg, model, tokenizer, dataset, peft_config, ref_model, callbacks, *, base_arguments):
    """TRL's DPOTrainer (dpo) or crossin's DCO Trainer (dco), with crossin.train.hooks.adapter_saving mixed in;
    `base_arguments(cls)`: the SFT run's arguments for that class. `peft_config` None: `model` is already a
    PeftModel (--adapter), and `ref_model` its merged reference."""
    from .hooks import adapter_saving as saving

    if cfg.method == "dpo":
        from trl import DPOConfig, DPOTrainer

        args = DPOConfig(**preference_arguments(cfg, DPOConfig, base_arguments(DPOConfig)))
        return saving(DPOTrainer)(model=model, ref_model=ref_model, args=args, train_dataset=dataset,
                                  processing_class=tokenizer, peft_config=peft_config, callbacks=list(callbacks))
    import functools

    from peft import get_peft_model
    from transformers import Trainer, TrainingArguments

    from .dco import collate, dco_trainer_class

    args = TrainingArguments(**preference_arguments(cfg, TrainingArguments, base_arguments(TrainingArguments)))
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    trainer = dco_trainer_class(saving(Trainer))(
        model=model if peft_config is None else get_peft_model(model, peft_config), args=args, train_dataset=dataset,
        data_collator=functools.partial(collate, pad_id=pad), processing_class=tokenizer, callbacks=list(callbacks))
    trainer.dco_beta = cfg.resolved_beta()
    trainer.dco_reference = ref_model
    return trainer
