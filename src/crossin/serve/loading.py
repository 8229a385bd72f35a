"""The served model: a base model (plus an --adapter) and any number of named LoRA adapters (--lora-modules)."""

from __future__ import annotations

from pathlib import Path

from ..errors import CrossinError


def context_length(model, tokenizer) -> int:
    """The longest sequence the model takes: its config's max_position_embeddings, else the tokenizer's limit."""
    config = getattr(model, "config", None)
    config = getattr(config, "text_config", config)
    n = getattr(config, "max_position_embeddings", None)
    limit = getattr(tokenizer, "model_max_length", None)
    if not n and isinstance(limit, int) and limit < 1 << 24:
        n = limit
    return int(n or 8192)


def add_named_adapters(model, adapters: dict[str, str]):
    """A PeftModel holding each adapter under its served name (crossin's tied-storage format and PEFT's own)."""
    from ..models.adapter import load_adapter

    for name, folder in adapters.items():
        try:
            model = load_adapter(model, Path(folder), adapter_name=name)
        except CrossinError:
            raise
        except (ValueError, RuntimeError, KeyError, OSError) as e:
            raise CrossinError(f"--lora-modules {name}: cannot load the adapter onto the model "
                               f"({type(e).__name__}: {' '.join(str(e).split())[:200]})", path=folder) from None
    model.eval()
    return model


def load_served_model(model: str, adapter: str | None, lora_modules: dict[str, str], *, device: str | None,
                      dtype: str | None):
    """(model, tokenizer): with --lora-modules, --adapter is merged into the base weights first, so that the base
    name serves base + adapter and each LoRA name its own adapter on top."""
    from ..models.hf import load_model_and_tokenizer

    loaded, tokenizer = load_model_and_tokenizer(model, adapter, device=device, dtype=dtype,
                                                 merge=bool(lora_modules and adapter))
    if lora_modules:
        loaded = add_named_adapters(loaded, lora_modules)
        loaded.to(next(loaded.parameters()).device)
    return loaded, tokenizer
