"""`crossin serve`: an OpenAI-compatible HTTP server for a local model (and adapter)."""

from __future__ import annotations

import typer

from .app import app, console, user_errors


@app.command()
@user_errors
def serve(
    model: str = typer.Option("gemma-3-270m", "--model", "-m", help="Local folder, Hub id, or gemma-3-270m (embedded)."),
    adapter: str | None = typer.Option(None, "--adapter", help="PEFT LoRA adapter folder to apply."),
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on."),
    port: int = typer.Option(8000, "--port", help="Port (0 = any free port)."),
    name: str | None = typer.Option(None, "--name", help="Model name reported by /v1/models (default: --model)."),
    device: str | None = typer.Option(None, "--device", help="cpu, cuda, ... (default: cuda when present)."),
    dtype: str | None = typer.Option(None, "--dtype", help="fp32, bf16, fp16 (default: bf16 on CUDA, fp32 on CPU)."),
):
    """Serve /v1/chat/completions, /v1/completions and /v1/models (for `crossin eval --model openai:NAME`)."""
    from ..models.hf import load_model_and_tokenizer
    from ..models.server import make_server

    loaded, tokenizer = load_model_and_tokenizer(model, adapter, device=device, dtype=dtype)
    server = make_server(loaded, tokenizer, name or model, host, port)
    bound_host, bound_port = server.server_address[:2]
    console.print(f"serving {name or model} at http://{bound_host}:{bound_port}/v1", highlight=False)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
