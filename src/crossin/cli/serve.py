"""`crossin serve`: an OpenAI-compatible HTTP server for a local model (and adapters)."""

from __future__ import annotations

import re

import typer

from ..dtypes import DTYPES
from ..errors import CrossinError
from .app import app, console, user_errors

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
    if not DEVICE.fullmatch(device):
        raise CrossinError(f"--device {device!r}: use cpu, cuda, cuda:N or mps")
    if device.startswith("cuda"):
        import torch

        index = int(device.partition(":")[2] or 0)
        if not torch.cuda.is_available() or index >= torch.cuda.device_count():
            raise CrossinError(f"--device {device}: no such CUDA device here")


@app.command(context_settings={"allow_extra_args": True})
@user_errors
def serve(
    ctx: typer.Context,
    model: str = typer.Option("gemma-3-270m", "--model", "-m", help="Local folder, Hub id, or gemma-3-270m (embedded)."),
    adapter: str | None = typer.Option(None, "--adapter", help="PEFT LoRA adapter folder applied to the base model "
                                       "(merged into it when --lora-modules is given too)."),
    lora_modules: list[str] = typer.Option([], "--lora-modules", help="vLLM's flag: name=PATH [name2=PATH2 ...]; "
                                           "each adapter is served as one more model name, chosen by `model` in a "
                                           "request (the base stays available under --name)."),
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on."),
    port: int = typer.Option(8000, "--port", min=0, max=65535, help="Port (0 = any free port; the URL is printed)."),
    name: str | None = typer.Option(None, "--name", help="Model name reported by /v1/models (default: --model)."),
    device: str | None = typer.Option(None, "--device", help="cpu, cuda, cuda:N, mps (default: cuda when present)."),
    dtype: str | None = typer.Option(None, "--dtype", help=f"{', '.join(DTYPES)} (default: bf16 on CUDA, fp32 on CPU)."),
    max_tokens_cap: int = typer.Option(2048, "--max-tokens-cap", min=1, help="Largest max_tokens a request may ask for; larger is HTTP 400."),
    max_prompt_tokens: int | None = typer.Option(None, "--max-prompt-tokens", min=1, help="Longest prompt in "
                                                 "tokens; longer is HTTP 400 (default: the model's context length)."),
    log_level: str = typer.Option("info", "--log-level", help=f"uvicorn log level ({', '.join(LOG_LEVELS)}): info "
                                  "prints one access line per request; warning is quiet."),
):
    """Serve /v1/completions (echo + logprobs too), /v1/chat/completions, /v1/models, /tokenize and /detokenize,
    e.g. for `crossin eval --model openai:NAME --base-url http://HOST:PORT/v1` in any mode."""
    import socket

    from ..models.hf import parse_dtype, resolve_model_path

    # Everything a user typed is checked before the model loads (which takes a while).
    stray = [a for a in ctx.args if "=" not in a or a.startswith("-")]
    if stray or (ctx.args and not lora_modules):  # name=PATH items after --lora-modules's first, as vLLM takes them
        raise CrossinError(f"unexpected argument {(stray or ctx.args)[0]!r} (see crossin serve --help)")
    extra = list(ctx.args)
    if log_level.lower() not in LOG_LEVELS:
        raise CrossinError(f"--log-level {log_level!r}: choose from {', '.join(LOG_LEVELS)}")
    if name is not None and not name.strip():
        raise CrossinError("--name must not be empty")
    served = name or model
    loras = parse_lora_modules([*lora_modules, *extra], served)
    check_device(device)
    parse_dtype(dtype, device or "cpu")
    resolve_model_path(model)
    if adapter is not None:
        from ..models.hf import _require_adapter

        _require_adapter(adapter)
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except (OSError, OverflowError) as e:
        raise CrossinError(f"cannot listen on {host}:{port} ({getattr(e, 'strerror', None) or e})") from None

    import uvicorn

    from ..serve.app import create_app
    from ..serve.engine import Engine
    from ..serve.loading import context_length, load_served_model

    loaded, tokenizer = load_served_model(model, adapter, loras, device=device, dtype=dtype)
    engine = Engine(loaded, tokenizer, adapters=list(loras))
    application = create_app(engine, served, adapters=loras, max_tokens_cap=max_tokens_cap,
                             max_prompt_tokens=max_prompt_tokens, max_model_len=context_length(loaded, tokenizer))
    bound_port = sock.getsockname()[1]
    console.print(f"serving {served} at http://{host}:{bound_port}/v1", highlight=False)
    config = uvicorn.Config(application, log_level=log_level.lower(), timeout_graceful_shutdown=2)
    try:
        uvicorn.Server(config).run(sockets=[sock])
    except KeyboardInterrupt:
        pass
