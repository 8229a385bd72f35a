"""The config of `crossin serve` (crossin.cli.serve reads it from flags and YAML), checked before the model loads."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from ..config import arg, check_fields
from ..dtypes import DTYPES
from ..errors import CrossinError

LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")
DEVICE = re.compile(r"cpu|cuda(:\d+)?|mps")
ADAPTER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}")


def parse_lora_modules(items: list[str], served: str) -> dict[str, str]:
    """vLLM's `name=PATH` items -> {name: PATH}, each a PEFT adapter folder, names unique and not the base's."""
    from pathlib import Path

    out: dict[str, str] = {}
    for item in items:
        name, eq, path = item.partition("=")
        if not eq or not ADAPTER_NAME.fullmatch(name) or not path:
            raise CrossinError(f"--lora-modules takes name=PATH items (name: letters, digits, ._:/-), got {item!r}")
        if name in out or name == served:
            raise CrossinError(f"--lora-modules: the name {name!r} is used twice (the base model is served as "
                               f"{served!r})")
        if not Path(path, "adapter_config.json").is_file():
            raise CrossinError("not a PEFT adapter folder (no adapter_config.json)", path=path)
        out[name] = path
    return out


def check_device(device: str | None) -> None:
    if device is None:
        return
    if device.startswith("cuda"):
        import torch

        index = int(device.partition(":")[2] or 0)
        if not torch.cuda.is_available() or index >= torch.cuda.device_count():
            raise CrossinError(f"--device {device}: no such CUDA device here")


@dataclass
class ServeConfig:
    model: str = arg("gemma-3-270m", help="Local folder, Hub id, or gemma-3-270m (embedded).")
    adapter: str | None = arg(None, help="PEFT LoRA adapter folder applied to the base model (merged into it when "
                                         "--lora-modules is given too).")
    lora_modules: list[str] = arg([], help="vLLM's flag: adapters as name=<folder> items, several after one "
                                           "--lora-modules as vLLM takes them; each is served as one more model "
                                           "name, chosen by `model` in a request (the base stays available under "
                                           "--name).")
    host: str = arg("127.0.0.1", help="Interface to listen on.")
    port: int = arg(8000, min=0, max=65535, help="Port (0 = any free port; the URL is printed).")
    name: str | None = arg(None, help="Model name reported by /v1/models (default: --model).")
    device: str | None = arg(None, pattern=DEVICE.pattern, help="cpu, cuda, cuda:N, mps (default: cuda when present).")
    dtype: str | None = arg(None, choices=tuple(DTYPES), help=f"{', '.join(DTYPES)} (default: bf16 on CUDA, fp32 on CPU).")
    max_tokens_cap: int = arg(2048, min=1, help="Largest max_tokens a request may ask for; larger is HTTP 400.")
    max_prompt_tokens: int | None = arg(None, min=1, help="Longest prompt in tokens; longer is HTTP 400 (default: "
                                                          "the model's context length).")
    log_level: str = arg("info", choices=LOG_LEVELS, help="uvicorn log level: info prints one access line per "
                                                          "request; warning is quiet.")

    @property
    def served_name(self) -> str:
        """The name /v1/models reports for the base model."""
        return self.name or self.model

    def add_lora_items(self, extra: list[str]) -> None:
        """vLLM's form: the name=PATH items after --lora-modules's first arrive as extra arguments; they join
        lora_modules (anything else is refused)."""
        stray = [a for a in extra if "=" not in a or a.startswith("-")]
        if stray or (extra and not self.lora_modules):
            raise CrossinError(f"unexpected argument {(stray or extra)[0]!r} (see crossin serve --help)")
        self.lora_modules = [*self.lora_modules, *extra]

    def lora_adapters(self) -> dict[str, str]:
        """The adapters of --lora-modules as {name: PATH}."""
        return parse_lora_modules(self.lora_modules, self.served_name)

    def validate(self) -> None:
        """Everything a user asked for, checked before the model loads (which takes a while)."""
        from ..models.adapter_check import check_adapter_folder
        from ..models.hf import parse_dtype, resolve_model_path

        check_fields(self)
        if self.name is not None and not self.name.strip():
            raise CrossinError("--name must not be empty")
        loras = self.lora_adapters()
        check_device(self.device)
        parse_dtype(self.dtype, self.device or "cpu")
        base_dir = resolve_model_path(self.model)
        base_dir = base_dir if os.path.isdir(base_dir) else None
        if self.adapter is not None:
            check_adapter_folder(self.adapter, base_dir, flag="--adapter")
        for name, path in loras.items():
            check_adapter_folder(path, base_dir, flag=f"--lora-modules {name}")
