"""Hugging Face transformers backend: resolve a model name, load it (plus a PEFT adapter) on CPU or CUDA."""

from __future__ import annotations

import os
from pathlib import Path

from ..dtypes import DTYPES
from ..errors import CrossinError
from ..io import sha256_file
from .embedded import EMBEDDED_NAMES, embedded_model_dir, is_embedded




def resolve_model_path(name: str) -> str:
    """`gemma-3-270m` -> the converted embedded model; a local folder -> itself; else a Hub id."""
    if is_embedded(name):
        return str(embedded_model_dir())
    if os.path.isdir(name):
        if not os.path.exists(os.path.join(name, "config.json")):
            raise CrossinError("not a model folder (no config.json)", path=name)
        return name
    if name.startswith((".", "/", "~")):
        raise CrossinError("model folder not found", path=name)
    _check_hub_model(name)
    return name  # a Hugging Face Hub id


_HUB_MODELS_SEEN: set[tuple[str, str]] = set()


def _check_hub_model(name: str) -> None:
    """A Hub id must be in the local Hub cache or answer on the Hub, checked with one request (5 s timeout):
    a typo or no network is then one line within seconds, not transformers' minute of retries."""
    from huggingface_hub import HfApi, constants, try_to_load_from_cache
    from huggingface_hub.errors import GatedRepoError, HfHubHTTPError, HFValidationError, RepositoryNotFoundError

    key = (name, constants.ENDPOINT)
    what = f"model {name!r} is not a local folder, not the embedded model ({EMBEDDED_NAMES[0]})"
    try:
        if key in _HUB_MODELS_SEEN or isinstance(try_to_load_from_cache(name, "config.json"), str):
            return
        if constants.is_offline_mode():
            raise CrossinError(f"{what}, and not in the local Hugging Face cache (HF_HUB_OFFLINE is set)")
        HfApi(endpoint=constants.ENDPOINT).model_info(name, timeout=5)
    except CrossinError:
        raise
    except HFValidationError:
        raise CrossinError(f"{what}, and not a valid Hugging Face Hub id") from None
    except GatedRepoError:
        pass  # it exists; loading says what access it needs
    except RepositoryNotFoundError:
        raise CrossinError(f"{what}, and not on the Hugging Face Hub (a typo? a private model needs HF_TOKEN)") from None
    except HfHubHTTPError:
        pass  # the Hub answered; loading reports its error
    except Exception as e:  # noqa: BLE001 - no connection (DNS, refused, timeout), whatever the HTTP client's class
        raise CrossinError(f"{what}, and the Hugging Face Hub is unreachable ({type(e).__name__}: {e}); "
                           "pass a local folder or connect") from None
    _HUB_MODELS_SEEN.add(key)


def default_device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def default_dtype(device: str):
    """bf16 on GPUs that have it, fp32 elsewhere (CPU bf16 is slow and changes results)."""
    import torch

    if device.startswith("cuda") and torch.cuda.is_bf16_supported():
        return torch.bfloat16
    return torch.float32


def attention_without_cudnn(device):
    """Scope for forward (and backward) passes: on CUDA, scaled-dot-product attention without cuDNN's kernel.

    torch picks cuDNN first for masked attention on Hopper, and cuDNN builds an execution plan for every new
    (rows, length) shape (~0.5 s each; modelscope/FunASR#3704 saw the same). Token-budget eval batches and
    padding-free training batches are nearly all new shapes: on an H200 an eval batch of a shape not seen before
    took 1.05 s where a 5x larger one took 0.48 s, and training steps of 6.5k tokens took 1-5 s. Flash,
    memory-efficient and math kernels compute the same attention without a per-shape plan.
    """
    import contextlib

    if str(getattr(device, "type", device)).split(":")[0] != "cuda":  # a torch.device, "cuda" or "cuda:1"
        return contextlib.nullcontext()
    from torch.nn.attention import SDPBackend, sdpa_kernel

    return sdpa_kernel([SDPBackend.FLASH_ATTENTION, SDPBackend.EFFICIENT_ATTENTION, SDPBackend.MATH])


def parse_dtype(name: str | None, device: str):
    """The torch dtype a name means (None, '' or 'auto': the device's default); torch's own names are taken too."""
    import torch

    if name in (None, "", "auto"):
        return default_dtype(device)
    table = {alias: torch_name for short, torch_name in DTYPES.items() for alias in (short, torch_name)}
    if name not in table:
        raise CrossinError(f"unknown dtype {name!r}; choose from {', '.join(table)}")
    return getattr(torch, table[name])


def load_tokenizer(name: str):
    from transformers import AutoTokenizer

    path = resolve_model_path(name)
    try:
        tok = AutoTokenizer.from_pretrained(path)
    except OSError as e:
        raise CrossinError(f"could not load tokenizer for {name!r}: {e}") from None
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    return tok


def load_pretrained(name: str, *, dtype: str | None = None, device: str | None = None, **kwargs):
    """(model, tokenizer) of a causal LM as from_pretrained gives them (on the CPU, in train mode): what training
    tunes and evaluation runs. `dtype` as parse_dtype reads it; `kwargs` go to from_pretrained (attn_implementation)."""
    from transformers import AutoModelForCausalLM

    torch_dtype = parse_dtype(dtype, device or default_device())
    path = resolve_model_path(name)
    tokenizer = load_tokenizer(name)
    from transformers.utils import logging as hf_logging

    # transformers' "Loading weights" bar would nest inside crossin's own progress bar (the model loads on the
    # first batch); a load takes seconds, so it goes without one.
    bars = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        model = AutoModelForCausalLM.from_pretrained(path, dtype=torch_dtype, **kwargs)
    except OSError as e:
        raise CrossinError(f"could not load model {name!r}: {e}") from None
    finally:
        if bars:
            hf_logging.enable_progress_bar()
    return model, tokenizer


def load_model_and_tokenizer(
    name: str,
    adapter: str | os.PathLike | None = None,
    *,
    device: str | None = None,
    dtype: str | None = None,
    merge: bool = False,
):
    """Load a causal LM in eval mode on `device`, with an optional PEFT adapter (merged on request)."""
    device = device or default_device()
    if adapter is not None:
        _require_adapter(adapter, resolve_model_path(name))  # before the base model's weights load
    model, tokenizer = load_pretrained(name, dtype=dtype, device=device)
    if adapter is not None:
        from .adapter import load_adapter

        model = load_adapter(model, Path(adapter))
        if merge:
            model = model.merge_and_unload()
    model.to(device)
    model.eval()
    return model, tokenizer


# The model this process evaluated last, by identity: a Python session (or a test) that evaluates one model many
# times loads it once. One entry, so a process keeps at most one extra model in memory.
_LOADED: dict[str, tuple] = {}


def load_for_eval(name: str, adapter: str | os.PathLike | None, identity: dict, *, device: str | None = None,
                  dtype: str | None = None) -> tuple:
    """load_model_and_tokenizer, reusing the model loaded last in this process when its identity (model_identity:
    weights, adapter content, dtype) and device are the same. Evaluation does not change the model."""
    import json

    key = json.dumps([identity, device], sort_keys=True)
    if key not in _LOADED:
        _LOADED.clear()  # release the previous model before the next one loads
        _LOADED[key] = load_model_and_tokenizer(name, adapter, device=device, dtype=dtype)
    return _LOADED[key]


def _require_adapter(adapter: str | os.PathLike, base: str | None = None) -> None:
    """The adapter folder as `check_adapter_folder` checks it (against `base` when it is a local folder)."""
    from .adapter_check import check_adapter_folder

    check_adapter_folder(adapter, base if base and os.path.isdir(base) else None)


_WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".gguf")


def _folder_fingerprint(folder: str | os.PathLike, *, hash_weights: bool) -> dict:
    """Config files by content; weight files by size + mtime (hashing a GB file would cost more than a small eval),
    or by content when `hash_weights` (adapters are small and are often rewritten in place by training)."""
    files = {}
    for entry in sorted(Path(folder).iterdir()):
        if not entry.is_file() or entry.name.startswith("."):
            continue
        if entry.suffix in (".json", ".model", ".txt", ".jinja") or (hash_weights and entry.suffix in _WEIGHT_SUFFIXES):
            files[entry.name] = sha256_file(entry)
        elif entry.suffix in _WEIGHT_SUFFIXES:
            stat = entry.stat()
            files[entry.name] = f"{stat.st_size}:{stat.st_mtime_ns}"
    return files


def hub_revision(repo_id: str) -> str:
    """The commit a Hub model id resolves to now (what from_pretrained loads): the snapshot folder of its
    config.json, fetched or found in the local Hub cache (offline with HF_HUB_OFFLINE=1)."""
    from huggingface_hub import hf_hub_download

    try:
        return Path(hf_hub_download(repo_id, "config.json")).parent.name
    except Exception as e:  # network, auth, a missing repo: all are the user's environment
        raise CrossinError(f"could not resolve the Hub revision of {repo_id!r} ({type(e).__name__}: "
                           f"{' '.join(str(e).split())[:200]}); use a local model folder, or HF_HUB_OFFLINE=1 with "
                           "the model in the Hub cache") from None


def model_identity(name: str, adapter: str | os.PathLike | None = None, *, device: str | None = None,
                   dtype: str | None = None) -> dict:
    """What identifies a model's outputs, for caching: weights, config, tokenizer, adapter, dtype, device type."""
    device = device or default_device()
    path = resolve_model_path(name)
    identity: dict = {"backend": "hf", "dtype": str(parse_dtype(dtype, device)), "device_type": device.split(":")[0]}
    if os.path.isdir(path):
        identity["path"] = str(Path(path).resolve())
        identity["files"] = _folder_fingerprint(path, hash_weights=False)
    else:
        identity["hub_id"] = path
        identity["revision"] = hub_revision(path)  # an updated Hub model must not hit the old model's entries
    if adapter is not None:
        _require_adapter(adapter, path)
        # By content only: the same adapter copied elsewhere is the same model.
        identity["adapter"] = _folder_fingerprint(adapter, hash_weights=True)
    return identity
