"""JSON Schemas of the records crossin reads back (results.json and arm.json for `report`, a mix's manifest.json
and train.jsonl rows for `data stats`), checked when read: a damaged or foreign file is one error line naming
the file, the line and the field, never a traceback deep in the report or a silently wrong table.

`check_record` runs the schema (jsonschema) and then refuses NaN and infinities anywhere (JSON Schema's number
type lets them through, and every comparison with NaN passes)."""

from __future__ import annotations

import math
import re
from typing import Any

from .errors import CrossinError
from .io import short

_NUMBER = {"type": "number"}
_SHARE = {"type": "number", "minimum": 0, "maximum": 1}
_COUNT = {"type": "integer", "minimum": 0}
# A name is printed, plotted and written: no lone surrogate (not text: matplotlib and UTF-8 writers fail on it) and
# no control character.
NOT_TEXT = "[\ud800-\udfff\x00-\x1f\x7f]"
_NAME = {"type": "string", "minLength": 1, "pattern": f"^[^{NOT_TEXT[1:-1]}]+$"}


def _map(values: dict) -> dict:
    return {"type": "object", "additionalProperties": values}


RESULTS = {
    "type": "object",
    "required": ["accuracy", "language_accuracy", "consistency", "ac3", "languages", "n_sets"],
    "properties": {
        "accuracy": _SHARE,
        "language_accuracy": {**_map(_SHARE), "propertyNames": _NAME},
        "consistency": _map({"anyOf": [_SHARE, {"type": "null"}]}),
        "ac3": _map({"anyOf": [_SHARE, {"type": "null"}]}),
        "kappa": _map({"type": ["number", "null"]}),
        "languages": {"type": "array", "items": _NAME, "minItems": 1, "uniqueItems": True},
        "n_sets": {"type": "integer", "minimum": 1},
        "ci95": _map({"type": "array", "items": _NUMBER, "minItems": 2, "maxItems": 2}),
        "gold_distribution": {"type": "array", "items": _COUNT},
        "answer_distribution": _map({"type": "array", "items": _COUNT}),
        "pairwise_consistency": _map(_SHARE),
        "unparsed": _map(_COUNT),
        "inputs": {"type": "object", "properties": {"benchmark": _NAME}},
        "model": {"type": ["string", "null"]},
        "adapter": {"type": ["string", "null"]},
        "mode": {"type": ["string", "null"]},
        "seed": _COUNT,
    },
}

ARM = {
    "type": "object",
    "properties": {
        "name": _NAME, "config_name": _NAME, "label": {"type": "string"}, "recipe": _NAME, "n": _COUNT,
        "translation": _COUNT, "seed": _COUNT, "sweep": {"type": "boolean"}, "order": _COUNT,
        "other_base": {"type": "boolean"}, "fingerprint": {"type": "string"},
    },
}

MANIFEST = {
    "type": "object",
    "properties": {
        "seed": {"type": ["integer", "null"], "minimum": 0},
        "corpus": {"anyOf": [{"type": "null"}, {
            "type": "object", "required": ["n_ids", "dropped", "valid"],
            "properties": {"n_ids": _COUNT, "dropped": _map(_map(_COUNT)), "valid": _map(_COUNT)}}]},
        "order": {"type": ["object", "null"], "properties": {"source_ids_repeated": _COUNT,
                                                             "min_repeat_gap": {"type": ["integer", "null"]}}},
        "files": _map({"type": "object", "properties": {"sha256": {"type": "string"}, "rows": _COUNT}}),
    },
}

MIX_ROW = {
    "type": "object",
    "required": ["recipe", "instruction_lang", "output_lang"],
    "properties": {"recipe": _NAME, "instruction_lang": _NAME, "output_lang": _NAME, "input_lang": _NAME,
                   "source_id": {"type": ["string", "integer", "null"]}},
}


def _where(error) -> str:
    parts = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
    return parts.lstrip(".") or "the record"


def _reason(error) -> str:
    kind, value, instance = error.validator, error.validator_value, error.instance
    if kind == "type":
        wanted = " or ".join(value) if isinstance(value, list) else value
        return f"expected {wanted}, got {short(instance, 40)}"
    if kind == "required":
        missing = [k for k in value if isinstance(instance, dict) and k not in instance]
        return f"missing {', '.join(missing)}"
    if kind in ("minimum", "maximum"):
        return f"must be {'>=' if kind == 'minimum' else '<='} {value}, got {short(instance, 40)}"
    if kind in ("minItems", "maxItems", "minLength"):
        return f"too short or too long ({kind} {value})"
    if kind == "uniqueItems":
        return "has repeated items"
    if kind == "pattern" and value == _NAME["pattern"]:
        return f"{short(instance, 40)} holds a control character or a lone surrogate (not text)"
    if kind == "anyOf":
        return f"unexpected value {short(instance, 40)}"
    return " ".join(error.message.split())[:200]


def _non_finite(obj: Any, at: str = "") -> str | None:
    """The place of the first NaN or infinity in obj, or None (iterative: records may nest deeply)."""
    stack = [(obj, at)]
    while stack:
        value, where = stack.pop()
        if isinstance(value, float) and not math.isfinite(value):
            return where or "the record"
        if isinstance(value, dict):
            stack.extend((v, f"{where}.{k}" if where else str(k)) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((v, f"{where}[{i}]") for i, v in enumerate(value))
    return None


def _line_of(text: str | None, key: str) -> int | None:
    """Line of the first `"key":` in a JSON file's text, to point at the field (None when not found)."""
    if not text:
        return None
    found = re.search(r'"' + re.escape(key) + r'"\s*:', text)
    return text.count("\n", 0, found.start()) + 1 if found else None


def check_record(obj: Any, schema: dict, *, path: str, line: int | None = None, text: str | None = None,
                 what: str = "record") -> None:
    """CrossinError (file:line: what: field: reason) when `obj` breaks `schema` or holds NaN/infinity. `text`: the
    file's JSON text, to find the line of the field in a whole-file record."""
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import best_match

    error = best_match(Draft202012Validator(schema).iter_errors(obj))
    if error is not None:
        field = _where(error)
        last = next((p for p in reversed(error.absolute_path) if isinstance(p, str)), None)
        at = line if line is not None else (_line_of(text, last) if last else None)
        place = "" if field == "the record" else f"{field}: "
        raise CrossinError(f"{what}: {place}{_reason(error)}", path=path, line=at)
    bad = _non_finite(obj)
    if bad is not None:
        last = bad.replace("]", "").replace("[", ".").split(".")[-1]
        at = line if line is not None else _line_of(text, last)
        raise CrossinError(f"{what}: {bad}: NaN or infinity is not a value here", path=path, line=at)


# ------------------------------------------------------ an experiment folder's own files (experiment.state reads them)
_STAMP = {"type": "string", "pattern": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$"}
_STAMP_OR_NULL = {"anyOf": [_STAMP, {"type": "null"}]}
_JOB_ID = {"type": ["string", "integer", "null"]}
RUN_STATUSES = ("pending", "running", "done", "failed")

EXPERIMENT = {
    "type": "object",
    "properties": {"config": {"type": "object"}, "config_file": {"type": "string"},
                   "runs": {"type": "array", "items": {"type": "object", "required": ["name"],
                                                      "properties": {"name": _NAME}}}},
}

RUN_STATE = {
    "type": "object",
    "properties": {
        "status": {"enum": list(RUN_STATUSES)}, "steps": {"type": "object"},
        "wall_s": {"type": "number", "minimum": 0}, "attempts": _COUNT,
        "started": _STAMP_OR_NULL, "finished": _STAMP_OR_NULL, "fingerprint": {"type": ["string", "null"]},
        "error": {"type": ["string", "null"]}, "host": {"type": ["string", "null"]},
        "pid": {"type": ["integer", "string", "null"]}, "executor": {"type": ["string", "null"]}, "job_id": _JOB_ID,
    },
}

JOB = {
    "type": "object",
    "required": ["executor", "job_id", "submitted"],
    "properties": {"executor": {"enum": ["slurm", "ray", "local"]}, "job_id": {"type": "string", "minLength": 1},
                   "submitted": _STAMP},
}

LOCK_HOLDER = {
    "type": "object",
    "properties": {"host": {"type": "string"}, "pid": {"type": ["integer", "string"]}, "job_id": _JOB_ID,
                   "executor": {"type": "string"}, "since": _STAMP},
}
