"""A small OpenAI-compatible server for a local HF model (`crossin serve`): /v1/models, /v1/chat/completions,
/v1/completions. Standard library HTTP, one request computed at a time (CPU-sized; use vLLM for throughput).

It exists so the OpenAI backend of `crossin eval` can be tested against a real server offline, and so a
tuned adapter can be served to any OpenAI-compatible client.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from ..prompts import tokenize_prompt


def messages_to_prompt(messages: list[dict], tokenizer) -> str:
    """The tokenizer's chat template when it has one; a base model gets the message texts as they are."""
    if getattr(tokenizer, "chat_template", None):
        return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    return "\n\n".join(str(m.get("content") or "") for m in messages)


class ModelServer:
    def __init__(self, model, tokenizer, name: str):
        self.model, self.tokenizer, self.name = model, tokenizer, name
        self._lock = threading.Lock()

    def complete(self, prompt: str, *, max_tokens: int = 256, temperature: float = 0.0, seed: int | None = None) -> tuple[str, int, int]:
        import torch
        from transformers import GenerationConfig

        tok = self.tokenizer
        input_ids = torch.tensor([tokenize_prompt(tok, prompt)])
        device = next(self.model.parameters()).device
        sample = temperature > 0
        config = GenerationConfig(max_new_tokens=max_tokens, do_sample=sample, temperature=temperature if sample else None,
                                  top_p=None, top_k=None, pad_token_id=tok.pad_token_id, eos_token_id=tok.eos_token_id)
        with self._lock, torch.inference_mode():
            if seed is not None:
                torch.manual_seed(seed)
            out = self.model.generate(input_ids=input_ids.to(device), attention_mask=torch.ones_like(input_ids).to(device),
                                      generation_config=config)
        new = out[0, input_ids.shape[1]:]
        return tok.decode(new, skip_special_tokens=True), input_ids.shape[1], int(new.shape[0])


def make_handler(server: ModelServer):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format, *args):  # noqa: A002 - quiet by default
            pass

        def _send(self, code: int, payload: dict) -> None:
            body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _error(self, code: int, message: str) -> None:
            self._send(code, {"error": {"message": message, "type": "invalid_request_error"}})

        def do_GET(self):
            if self.path.rstrip("/") in ("/v1/models", "/models"):
                self._send(200, {"object": "list", "data": [{"id": server.name, "object": "model", "owned_by": "crossin"}]})
            else:
                self._error(404, f"no route {self.path}")

        def do_POST(self):
            try:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                if not isinstance(body, dict):
                    raise ValueError("body must be a JSON object")
            except (ValueError, json.JSONDecodeError) as e:
                return self._error(400, f"invalid JSON body: {e}")
            route = self.path.rstrip("/")
            if route.endswith("/chat/completions"):
                messages = body.get("messages")
                if not isinstance(messages, list) or not messages:
                    return self._error(400, "'messages' must be a non-empty list")
                prompt = messages_to_prompt(messages, server.tokenizer)
            elif route.endswith("/completions"):
                prompt = body.get("prompt")
                if not isinstance(prompt, str):
                    return self._error(400, "'prompt' must be a string")
            else:
                return self._error(404, f"no route {self.path}")
            try:
                max_tokens = int(body.get("max_tokens") or body.get("max_completion_tokens") or 256)
                temperature = float(body.get("temperature") or 0.0)
                seed = body.get("seed")
                seed = int(seed) if seed is not None else None
            except (TypeError, ValueError) as e:
                return self._error(400, f"bad parameter: {e}")
            text, n_prompt, n_new = server.complete(prompt, max_tokens=max_tokens, temperature=temperature, seed=seed)
            finish = "length" if n_new >= max_tokens else "stop"
            usage = {"prompt_tokens": n_prompt, "completion_tokens": n_new, "total_tokens": n_prompt + n_new}
            common = {"id": f"cmpl-{uuid.uuid4().hex[:12]}", "created": int(time.time()), "model": server.name, "usage": usage}
            if route.endswith("/chat/completions"):
                choice = {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": finish}
                self._send(200, {**common, "object": "chat.completion", "choices": [choice]})
            else:
                self._send(200, {**common, "object": "text_completion",
                                 "choices": [{"index": 0, "text": text, "finish_reason": finish}]})

    return Handler


def make_server(model, tokenizer, name: str, host: str = "127.0.0.1", port: int = 8000) -> ThreadingHTTPServer:
    """A bound server (port 0 = any free port: read it from `.server_address`); call serve_forever() to run it."""
    return ThreadingHTTPServer((host, port), make_handler(ModelServer(model, tokenizer, name)))
