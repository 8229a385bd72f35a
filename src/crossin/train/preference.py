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

        return Dataset.from_list(rows), {"samples": len(rows), "dropped_too_long": 0}
    from .dco import tokenize_record

    records = [tokenize_record(tokenizer, r) for r in rows]
    kept = [r for r in records
            if max(len(r[f"prompt_{i}"]) + len(r[f"{k}_{i}"]) for i in (1, 2) for k in ("chosen", "rejected"))
            <= max_length]
    if not kept:
        raise CrossinError(f"every DCO record is longer than --max-length {max_length} tokens")
    return kept, {"samples": len(kept), "dropped_too_long": len(records) - len(kept)}
