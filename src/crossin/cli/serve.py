"""`crossin serve`: an OpenAI-compatible HTTP server for a local model (and adapter)."""

from __future__ import annotations

import typer

from ..models.hf import DTYPES
from .app import app, console, user_errors


@app.command()
@user_errors
def serve(
    model: str = typer.Option("gemma-3-270m", "--model", "-m", help="Local folder, Hub id, or gemma-3-270m (embedded)."),
    adapter: str | None = typer.Option(None, "--adapter", help="PEFT LoRA adapter folder to apply."),
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on."),
    port: int = typer.Option(8000, "--port", help="Port (0 = any free port; the URL is printed)."),
    name: str | None = typer.Option(None, "--name", help="Model name reported by /v1/models (default: --model)."),
    device: str | None = typer.Option(None, "--device", help="cpu, cuda, ... (default: cuda when present)."),
    dtype: str | None = typer.Option(None, "--dtype", help=f"{', '.join(DTYPES)} (default: bf16 on CUDA, fp32 on CPU)."),
    max_tokens_cap: int = typer.Option(2048, "--max-tokens-cap", min=1, help="Largest max_tokens a request may ask for; larger is HTTP 400."),
    log_level: str = typer.Option("info", "--log-level", help="uvicorn log level: info prints one access line per request; warning is quiet."),
):
    """Serve /v1/completions (echo + logprobs too), /v1/chat/completions and /v1/models, e.g. for
    `crossin eval --model openai:NAME --base-url http://HOST:PORT/v1` in any mode."""
    import socket

    import uvicorn

    from ..errors import CrossinError
    from ..models.hf import load_model_and_tokenizer
    from ..models.server import create_app

    loaded, tokenizer = load_model_and_tokenizer(model, adapter, device=device, dtype=dtype)
    application = create_app(loaded, tokenizer, name or model, max_tokens_cap=max_tokens_cap)
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as e:
        raise CrossinError(f"cannot listen on {host}:{port} ({e.strerror})") from None
    bound_port = sock.getsockname()[1]
    console.print(f"serving {name or model} at http://{host}:{bound_port}/v1", highlight=False)
    config = uvicorn.Config(application, log_level=log_level, timeout_graceful_shutdown=2)
    try:
        uvicorn.Server(config).run(sockets=[sock])
    except KeyboardInterrupt:
        pass
