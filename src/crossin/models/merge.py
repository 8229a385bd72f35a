"""`crossin export merged`: an adapter merged into its base model, written as a full model folder (safetensors
weights, config, tokenizer) that vLLM and transformers load like any other.

vLLM serves LoRA adapters only on the projection layers; adapters that train the embeddings (the paper's
`modules_to_save: [embed_tokens, lm_head]`) have to be merged. Gemma ties `embed_tokens` and `lm_head`: crossin's
adapters keep them one matrix (models/adapter.py), so the merged model stays tied and the matrix is written once;
an adapter that made them differ gets an untied config, so neither copy is dropped on saving.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from dataclasses import dataclass

from ..config import arg
from ..errors import CrossinError
from ..io import normal_mode, tmp_name


@dataclass
class MergedExportConfig:
    adapter: str | None = arg(None, help="PEFT adapter folder (crossin train's <out>/adapter, or PEFT's own).")
    out: str | None = arg(None, help="New (or empty) folder for the merged model.")
    model: str | None = arg(None, help="Base model (default: the adapter's base_model_name_or_path).")
    dtype: str = arg("fp32", choices=("fp32", "bf16", "fp16"), help="Dtype of the written weights.")


def check_export(adapter: str | None, out: str | None, base: str | None) -> str:
    """Every input checked before any model loads (the adapter folder: `check_adapter_folder`); returns the base
    model name."""
    if not adapter or not out:
        raise CrossinError("export merged needs --adapter DIR and --out DIR")
    from .adapter_check import check_adapter_folder
    from .hf import resolve_model_path

    config = check_adapter_folder(adapter, flag="--adapter")
    config_path = Path(adapter, "adapter_config.json")
    if base is None:
        base = config.get("base_model_name_or_path")
        if not isinstance(base, str) or not base:
            raise CrossinError("the adapter does not name its base model; pass --model", path=str(config_path))
    base_dir = resolve_model_path(base)
    if os.path.isdir(base_dir):
        check_adapter_folder(adapter, base_dir, flag="--adapter")
    target = Path(out)
    if target.is_symlink() or (target.exists() and not (target.is_dir() and not any(target.iterdir()))):
        raise CrossinError("--out must be a new or empty folder", path=out)
    return base


def _untie_if_different(model) -> bool:
    """Set tie_word_embeddings False when the merged input and output embeddings differ; True if it did."""
    import torch

    inp, outp = model.get_input_embeddings(), model.get_output_embeddings()
    configs = [model.config, getattr(model.config, "text_config", None)]
    tied = any(getattr(c, "tie_word_embeddings", False) for c in configs if c is not None)
    if not tied or outp is None or inp.weight is outp.weight or torch.equal(inp.weight, outp.weight):
        return False
    outp.weight = torch.nn.Parameter(outp.weight.detach().clone())
    for c in configs:
        if c is not None and hasattr(c, "tie_word_embeddings"):
            c.tie_word_embeddings = False
    return True


def export_merged(adapter: str, out: str, base: str | None = None, dtype: str | None = None) -> dict:
    """Merge `adapter` into `base` (default: the adapter's own base) and write the folder `out` (written beside
    it under a temporary name, then renamed). Returns what was written."""
    from .hf import load_model_and_tokenizer

    base = check_export(adapter, out, base)
    model, tokenizer = load_model_and_tokenizer(base, adapter, device="cpu", dtype=dtype or "fp32", merge=True)
    untied = _untie_if_different(model)
    target = Path(out)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / tmp_name(target.name)
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        model.save_pretrained(str(tmp), safe_serialization=True)
        tokenizer.save_pretrained(str(tmp))
        for f in tmp.iterdir():
            f.chmod(normal_mode())  # safetensors writes its files private (0600)
        tmp.chmod(normal_mode(folder=True))
        if target.exists():
            target.rmdir()  # empty, as checked
        os.replace(tmp, target)
    except OSError as e:
        shutil.rmtree(tmp, ignore_errors=True)
        raise CrossinError(f"cannot write the merged model ({e.strerror or e})", path=out) from None
    return {"base": base, "adapter": adapter, "out": str(target), "untied": untied,
            "files": sorted(f.name for f in target.iterdir())}
