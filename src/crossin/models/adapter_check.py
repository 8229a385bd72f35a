"""One check of an adapter folder before any weights load (`export merged`, `serve --adapter`, `--lora-modules`):
adapter_config.json a LoRA config, the safetensors file's header parsed and bounded (never trusting its sizes),
each LoRA tensor's shape matching `r`, and the target modules present in the base model (read from the base's
safetensors headers, not by loading it). A damaged folder is one line in milliseconds, not a traceback after
loading the model. Both layouts pass: PEFT's standard files and crossin's compact form (tied copies dropped, named
in the header's metadata)."""

from __future__ import annotations

import json
import math
import os
import re
import struct
from pathlib import Path

from ..errors import CrossinError
from ..io import check_input_file, parse_json, read_text, short
from .adapter import TIED_ONCE_FILE, WEIGHTS_FILE

CONFIG_FILE = "adapter_config.json"
PEFT_TYPES = ("LORA",)  # what crossin trains, merges and serves
MAX_HEADER = 100 << 20  # safetensors' own limit on the JSON header
DTYPE_BYTES = {"BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "I16": 2, "U16": 2, "F16": 2, "BF16": 2,
               "I32": 4, "U32": 4, "F32": 4, "I64": 8, "U64": 8, "F64": 8}


def safetensors_header(path: Path, what: str = "safetensors file") -> dict:
    """The tensors a .safetensors file declares ({name: {dtype, shape, data_offsets}}, plus `__metadata__`), each
    checked against the file's real size: a truncated file, random bytes or a header claiming 2^60 bytes is a
    CrossinError naming the file."""
    path = check_input_file(path, what)
    size = path.stat().st_size
    try:
        with open(path, "rb") as f:
            head = f.read(8)
            if len(head) < 8:
                raise CrossinError(f"{what}: empty or truncated (no header)", path=str(path))
            (n,) = struct.unpack("<Q", head)
            if n < 2 or n > min(MAX_HEADER, size - 8):
                raise CrossinError(f"{what}: header length {n} does not fit the file ({size} bytes): not a "
                                   "safetensors file, or truncated", path=str(path))
            raw = f.read(n)
    except OSError as e:
        raise CrossinError(f"cannot read {what} ({e.strerror or e})", path=str(path)) from None
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise CrossinError(f"{what}: the header is not JSON: not a safetensors file", path=str(path)) from None
    if not isinstance(header, dict):
        raise CrossinError(f"{what}: the header is not a JSON object", path=str(path))
    data = size - 8 - n
    for name, entry in header.items():
        if name == "__metadata__":
            if not isinstance(entry, dict) or not all(isinstance(v, str) for v in entry.values()):
                raise CrossinError(f"{what}: __metadata__ is not a string mapping", path=str(path))
            continue
        ok = (isinstance(entry, dict) and entry.get("dtype") in DTYPE_BYTES and isinstance(entry.get("shape"), list)
              and all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in entry["shape"])
              and isinstance(entry.get("data_offsets"), list) and len(entry["data_offsets"]) == 2
              and all(isinstance(o, int) and not isinstance(o, bool) for o in entry["data_offsets"]))
        if not ok:
            raise CrossinError(f"{what}: tensor {short(name, 60)}: not a safetensors entry", path=str(path))
        start, end = entry["data_offsets"]
        if not 0 <= start <= end <= data or end - start != math.prod(entry["shape"]) * DTYPE_BYTES[entry["dtype"]]:
            raise CrossinError(f"{what}: tensor {short(name, 60)} lies outside the file or has the wrong size "
                               f"(truncated?)", path=str(path))
    return header


def _config(folder: Path, flag: str) -> dict:
    path = folder / CONFIG_FILE
    if not os.path.lexists(path):
        raise CrossinError(f"{flag}: not a PEFT adapter folder (no {CONFIG_FILE})", path=str(folder))
    config = parse_json(read_text(path, what=CONFIG_FILE), path=str(path))
    if not isinstance(config, dict):
        raise CrossinError(f"{CONFIG_FILE} is not a JSON object", path=str(path))
    if config.get("peft_type") not in PEFT_TYPES:
        raise CrossinError(f"peft_type {short(config.get('peft_type'), 40)}: crossin merges and serves "
                           f"{', '.join(PEFT_TYPES)} adapters", path=str(path))
    r = config.get("r")
    if not isinstance(r, int) or isinstance(r, bool) or r < 1:
        raise CrossinError(f"r: must be an integer >= 1, got {short(r, 40)}", path=str(path))
    alpha = config.get("lora_alpha", 8)
    if not isinstance(alpha, (int, float)) or isinstance(alpha, bool) or not math.isfinite(alpha):
        raise CrossinError(f"lora_alpha: must be a number, got {short(alpha, 40)}", path=str(path))
    targets = config.get("target_modules")
    if not (targets is None or isinstance(targets, str)
            or isinstance(targets, list) and all(isinstance(t, str) and t for t in targets)):
        raise CrossinError(f"target_modules: expected a list of module names, got {short(targets, 60)}", path=str(path))
    for key in ("rank_pattern", "alpha_pattern"):
        if not isinstance(config.get(key) or {}, dict):
            raise CrossinError(f"{key}: expected a mapping", path=str(path))
    return config


_LORA_RANK_AXIS = {"lora_A": 0, "lora_embedding_A": 0, "lora_B": -1, "lora_embedding_B": -1}


def _check_shapes(header: dict, config: dict, path: Path) -> None:
    """Every LoRA tensor has `r` on its rank axis (a module listed in rank_pattern may have its own rank)."""
    r, patterns = config["r"], config.get("rank_pattern") or {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        part = next((p for p in name.split(".") if p in _LORA_RANK_AXIS), None)
        if part is None:
            continue
        shape = entry["shape"]
        if len(shape) != 2:
            raise CrossinError(f"tensor {short(name, 80)} has shape {shape}; a LoRA matrix has 2 dimensions",
                               path=str(path))
        module = name.split("." + part)[0]
        own = [v for k, v in patterns.items() if module == k or module.endswith("." + k) or re.search(k, module)]
        if shape[_LORA_RANK_AXIS[part]] not in ([r] + own):
            raise CrossinError(f"tensor {short(name, 80)} has rank {shape[_LORA_RANK_AXIS[part]]}, adapter_config.json "
                               f"says r={r}", path=str(path))


def base_module_names(model_dir: str | os.PathLike) -> set[str] | None:
    """The base model's module names, from its safetensors headers (nothing loaded); None when it has none here."""
    folder = Path(model_dir)
    index = folder / "model.safetensors.index.json"
    try:
        if index.is_file():
            weight_map = parse_json(read_text(index), path=str(index)).get("weight_map") or {}
            names = set(weight_map)
        elif (folder / "model.safetensors").is_file():
            names = set(safetensors_header(folder / "model.safetensors", "model weights")) - {"__metadata__"}
        else:
            return None
    except AttributeError:
        return None
    modules = set()
    for name in names:
        parts = name.split(".")
        modules.update(".".join(parts[:i]) for i in range(1, len(parts)))
    if any(m.endswith("embed_tokens") for m in modules):
        modules.add("lm_head")  # tied to the embeddings, so not written in the file, but a module all the same
    return modules


def _check_targets(config: dict, modules: set[str], path: Path) -> None:
    """Each target module names a module of the base model (PEFT's matching: a regex in full for a string, else
    the name or its last components)."""
    targets = config.get("target_modules")
    if targets is None or targets == "all-linear":
        return
    if isinstance(targets, str):
        try:
            found = any(re.fullmatch(targets, m) for m in modules)
        except re.error as e:
            raise CrossinError(f"target_modules: not a regular expression ({e})", path=str(path)) from None
        missing = [] if found else [targets]
    else:
        missing = [t for t in targets if not any(m == t or m.endswith("." + t) for m in modules)]
    if missing:
        raise CrossinError(f"target_modules: the base model has no module {short(missing[0], 60)}", path=str(path))


def check_adapter_folder(folder: str | os.PathLike, base_dir: str | os.PathLike | None = None,
                         flag: str = "--adapter") -> dict:
    """Everything about an adapter folder that can be checked without loading weights (see the module docstring);
    returns its adapter_config.json. `base_dir`: the base model's local folder, for the target-module check."""
    folder = Path(folder)
    if not folder.is_dir():
        raise CrossinError(f"{flag}: adapter folder not found", path=str(folder))
    config = _config(folder, flag)
    weights = folder / WEIGHTS_FILE
    if not os.path.lexists(weights):
        weights = folder / TIED_ONCE_FILE  # crossin's compact form (adapter.py)
    if not os.path.lexists(weights):
        if (folder / "adapter_model.bin").is_file():
            return config  # PEFT's older pickle format: loaded by PEFT itself
        raise CrossinError(f"{flag}: no {WEIGHTS_FILE} (or {TIED_ONCE_FILE}) beside {CONFIG_FILE}", path=str(folder))
    header = safetensors_header(weights, "adapter weights")
    if len(header) - ("__metadata__" in header) == 0:
        raise CrossinError("adapter weights: the file holds no tensors", path=str(weights))
    _check_shapes(header, config, weights)
    if base_dir is not None:
        modules = base_module_names(base_dir)
        if modules:
            _check_targets(config, modules, folder / CONFIG_FILE)
    return config
