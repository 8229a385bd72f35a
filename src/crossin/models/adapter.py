"""PEFT adapter files, in PEFT's own layout by default.

Two forms (`--adapter-format`):

- `peft` (default): `adapter_config.json` + `adapter_model.safetensors` exactly as PEFT writes them, every tensor under
  every name PEFT's loader asks for. `PeftModel.from_pretrained`, vLLM's LoRA loader (for the modules it serves) and
  the Hub read it unchanged.
- `tied-once`: Gemma ties `embed_tokens` and `lm_head`; PEFT (with `ensure_weight_tying`) trains them as one matrix but
  writes it under both names (for the embedded model that copy is 670 MB of a 1.4 GB adapter). This form writes each
  tensor once, to `adapter_model.tied-once.safetensors` (a name PEFT and vLLM do not look for, so they stop with an
  error, PEFT's naming the folder, instead of loading a file with a key missing), and records the dropped names in its metadata
  (`crossin_tied`: {dropped name: kept name}). Only crossin reads it (`load_adapter`, `crossin serve`, `export
  merged`, which gives a standard model folder).

Older crossin adapters wrote the tied-once form under the standard name; `tied_copies` finds the record there too.
"""

from __future__ import annotations

import contextlib
import copy
import json
import re
import warnings
from pathlib import Path

from ..io import atomic_write_text, normal_mode

WEIGHTS_FILE = "adapter_model.safetensors"  # PEFT's name
TIED_ONCE_FILE = "adapter_model.tied-once.safetensors"  # crossin's compact form
TIED_KEY = "crossin_tied"
ADAPTER_FORMATS = ("peft", "tied-once")


def save_adapter_weights(peft_model, folder: Path, adapter_name: str = "default", *, form: str = "peft") -> None:
    """adapter_config.json + the weights: PEFT's file (`peft`) or each shared tensor once (`tied-once`)."""
    from peft import get_peft_model_state_dict
    from safetensors.torch import save_file

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    # PEFT's own choice of tensors. crossin never resizes the vocabulary, so PEFT's "auto" check for a changed one is
    # skipped: for a base named as the user named it (`gemma-3-270m`) it asks the Hub for that name's config.json
    # and warns twice on every save when it is not found (trained embeddings are saved as modules_to_save anyway).
    state = get_peft_model_state_dict(peft_model, adapter_name=adapter_name, save_embedding_layers=False)
    kept: dict[tuple, str] = {}
    copies: dict[str, str] = {}
    for name, tensor in state.items():
        where = (tensor.untyped_storage().data_ptr(), tensor.storage_offset(), tuple(tensor.shape))
        if where in kept:
            copies[name] = kept[where]
        else:
            kept[where] = name
    if form == "tied-once":
        weights = {k: v.contiguous() for k, v in state.items() if k not in copies}
        metadata = {"format": "pt", TIED_KEY: json.dumps(copies, sort_keys=True)}
        path, stale = folder / TIED_ONCE_FILE, folder / WEIGHTS_FILE
    else:  # safetensors refuses tensors sharing memory: each tied name gets its own copy, as PEFT saves them
        weights = {k: v.detach().clone().contiguous() if k in copies else v.contiguous() for k, v in state.items()}
        metadata = {"format": "pt"}
        path, stale = folder / WEIGHTS_FILE, folder / TIED_ONCE_FILE
    stale.unlink(missing_ok=True)  # a folder holds one form (a checkpoint folder saved again)
    save_file(weights, str(path), metadata=metadata)
    canonical_header(path)
    path.chmod(normal_mode())  # safetensors creates it private (0600)
    config = copy.deepcopy(peft_model.peft_config[adapter_name])
    config.inference_mode = True
    config.save_pretrained(str(folder))
    path = folder / "adapter_config.json"  # PEFT keeps module names as sets, written in hash order: sort them
    record = json.loads(path.read_text(encoding="utf-8"))
    for name in ("target_modules", "modules_to_save"):
        if isinstance(record.get(name), list):
            record[name] = sorted(record[name])
    atomic_write_text(path, json.dumps(record, indent=2, sort_keys=True) + "\n")


def canonical_header(path: Path) -> None:
    """Rewrite a safetensors file's JSON header with sorted keys, in place. safetensors (Rust) writes the metadata
    map in hash order, which changes from run to run; the same keys sorted have the same length, so the tensor
    data (addressed by offsets after the header) is untouched and identical weights give identical bytes."""
    with open(path, "r+b") as f:
        size = int.from_bytes(f.read(8), "little")
        header = json.loads(f.read(size))
        text = json.dumps(header, sort_keys=True, separators=(",", ":")).encode("utf-8")
        if len(text) > size:  # not what safetensors writes; leave the file as it is
            return
        f.seek(8)
        f.write(text + b" " * (size - len(text)))  # safetensors pads its header with spaces too


def weights_file(folder: Path) -> Path:
    """The folder's weights file: the tied-once one if present, else PEFT's."""
    compact = Path(folder) / TIED_ONCE_FILE
    return compact if compact.exists() else Path(folder) / WEIGHTS_FILE


def is_tied_once(folder: Path) -> bool:
    """Whether only crossin can read the folder's weights (the tied-once form, either file name)."""
    return (Path(folder) / TIED_ONCE_FILE).exists() or bool(tied_copies(folder))


def tied_copies(folder: Path) -> dict[str, str]:
    """{dropped name: kept name} recorded by `save_adapter_weights`; {} for any other adapter."""
    from safetensors import safe_open

    path = weights_file(folder)
    if not path.exists():
        return {}
    with safe_open(str(path), framework="pt") as f:
        return json.loads((f.metadata() or {}).get(TIED_KEY) or "{}")


def read_adapter_weights(folder: Path) -> dict:
    """The adapter's tensors under every name PEFT expects (tied names share one tensor)."""
    from safetensors.torch import load_file

    weights = load_file(str(weights_file(folder)))
    for name, source in tied_copies(folder).items():
        weights[name] = weights[source]
    return weights


def set_adapter_weights(peft_model, folder: Path, adapter_name: str = "default") -> None:
    """Load the folder's weights into an existing PEFT model (resume from a checkpoint)."""
    from peft import set_peft_model_state_dict

    result = set_peft_model_state_dict(peft_model, read_adapter_weights(folder), adapter_name=adapter_name)
    missing = [k for k in result.missing_keys if adapter_name in k.split(".")]
    if result.unexpected_keys or missing:
        from ..errors import CrossinError

        raise CrossinError(f"adapter weights do not fit the model: missing {missing[:3]}, "
                           f"unexpected {result.unexpected_keys[:3]}", path=str(weights_file(folder)))


@contextlib.contextmanager
def quiet_checkpointing_deprecation():
    """PEFT and TRL read `model.is_gradient_checkpointing`, which transformers >= 5.2x deprecates with a
    FutureWarning on every training run and adapter load; the attribute still works, and the warning is not the
    user's to act on. Also PEFT's note that an adapter's base `gemma-3-270m` is now the converted folder's path:
    crossin names the embedded model so in adapters and resolves it to that folder itself."""
    from .embedded import EMBEDDED_NAMES

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="`is_gradient_checkpointing` is deprecated", category=FutureWarning)
        embedded = "|".join(map(re.escape, EMBEDDED_NAMES))
        warnings.filterwarnings("ignore", message=f"The PEFT config's `base_model_name_or_path` was renamed from "
                                                  f"'({embedded})' to ", category=UserWarning)
        yield


def load_adapter(model, folder: Path, *, trainable: bool = False, adapter_name: str = "default"):
    """`PeftModel.from_pretrained`, also for tied-once adapters. `model` may already be a PeftModel: the adapter is
    then added to it under `adapter_name` (`crossin serve --lora-modules`)."""
    from peft import PeftConfig, PeftModel, get_peft_model

    onto = isinstance(model, PeftModel)
    with quiet_checkpointing_deprecation():
        if not is_tied_once(folder):
            if onto:
                model.load_adapter(str(folder), adapter_name=adapter_name, is_trainable=trainable)
                return model
            return PeftModel.from_pretrained(model, str(folder), adapter_name=adapter_name, is_trainable=trainable)
        config = PeftConfig.from_pretrained(str(folder))
        config.inference_mode = not trainable
        if onto:
            model.add_adapter(adapter_name, config)
            peft_model = model
        else:
            peft_model = get_peft_model(model, config, adapter_name=adapter_name)
    set_adapter_weights(peft_model, folder, adapter_name=adapter_name)
    return peft_model
