"""`crossin serve`: an OpenAI-compatible HTTP server for a local model (and adapters)."""

from __future__ import annotations

from ..errors import CrossinError
from ..serve.config import ServeConfig
from .app import app, console, user_errors
from .options import config_options

@app.command(context_settings={"allow_extra_args": True})
@user_errors
@config_options(ServeConfig, names={"model": ("-m",)}, convert={"lora_modules": list})
def serve(cfg: ServeConfig, extra_args: list[str] = ()):
    """Serve /v1/completions (echo + logprobs too), /v1/chat/completions, /v1/models, /tokenize and /detokenize,
    e.g. for `crossin eval --model openai:NAME --base-url http://HOST:PORT/v1` in any mode."""
    import socket

    cfg.add_lora_items(extra_args)
    cfg.validate()
    loras = cfg.lora_adapters()
    host, port, served = cfg.host, cfg.port, cfg.served_name
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

    loaded, tokenizer = load_served_model(cfg.model, cfg.adapter, loras, device=cfg.device, dtype=cfg.dtype)
    engine = Engine(loaded, tokenizer, adapters=list(loras))
    application = create_app(engine, served, adapters=loras, max_tokens_cap=cfg.max_tokens_cap,
                             max_prompt_tokens=cfg.max_prompt_tokens, max_model_len=context_length(loaded, tokenizer))
    bound_port = sock.getsockname()[1]
    console.print(f"serving {served} at http://{host}:{bound_port}/v1", highlight=False)
    config = uvicorn.Config(application, log_level=cfg.log_level, timeout_graceful_shutdown=2)
    try:
        uvicorn.Server(config).run(sockets=[sock])
    except KeyboardInterrupt:
        pass
