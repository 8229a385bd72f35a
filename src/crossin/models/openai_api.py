"""Client for OpenAI-compatible servers (vLLM, SGLang, llama.cpp's server, `crossin serve`, hosted APIs).

One pooled httpx client; transient failures (connection errors, timeouts, HTTP 429 and 5xx) are retried with
exponential backoff and jitter; any other HTTP error is one line naming the server's message.
"""

from __future__ import annotations

import os
import random
import threading
import time
from urllib.parse import urlsplit, urlunsplit

from ..errors import CrossinError

_client = None
_client_lock = threading.Lock()


class RequestRejected(CrossinError):
    """The server refused this request (HTTP 4xx other than 429): retrying it cannot help."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


def redact_url(url: str) -> str:
    """The URL without user:password (it goes into results files and error messages)."""
    parts = urlsplit(url)
    if parts.username or parts.password:
        host = parts.hostname or ""
        netloc = f"***@{host}" + (f":{parts.port}" if parts.port else "")
        return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    return url


def _http():
    global _client
    with _client_lock:
        if _client is None:
            import httpx

            _client = httpx.Client(limits=httpx.Limits(max_connections=256, max_keepalive_connections=64))
        return _client


def post_json(url: str, body: dict, *, api_key: str | None = None, timeout: float = 300.0, retries: int = 5) -> dict:
    import httpx

    headers = {"Content-Type": "application/json"}
    key = api_key or os.environ.get("OPENAI_API_KEY")
    if key:
        headers["Authorization"] = f"Bearer {key}"
    shown = redact_url(url)
    last = ""
    for attempt in range(retries):
        try:
            response = _http().post(url, json=body, headers=headers, timeout=timeout)
        except httpx.HTTPError as e:  # connection refused, reset, timeout
            last = f"{type(e).__name__}: {e}"
        else:
            if response.status_code == 200:
                try:
                    return response.json()
                except ValueError:
                    raise CrossinError(f"{shown} returned a body that is not JSON") from None
            detail = " ".join(response.text[:300].split())
            if response.status_code != 429 and response.status_code < 500:
                raise RequestRejected(f"{shown} answered HTTP {response.status_code}: {detail}", response.status_code)
            last = f"HTTP {response.status_code}: {detail}"
        if attempt + 1 < retries:
            time.sleep(min(2 ** attempt, 30) * (0.5 + random.random()))  # noqa: S311 - jitter, not crypto
    raise CrossinError(f"could not get an answer from {shown} after {retries} tries ({last})")


def chat_completion(base_url: str, model: str, messages: list[dict], *, temperature: float = 0.0, max_tokens: int = 256,
                    seed: int | None = None, api_key: str | None = None, timeout: float = 300.0, retries: int = 5) -> str:
    """POST {base_url}/chat/completions and return the first choice's message text."""
    body = {"model": model, "messages": messages, "temperature": temperature, "max_tokens": max_tokens}
    if seed is not None:
        body["seed"] = seed
    url = base_url.rstrip("/") + "/chat/completions"
    payload = post_json(url, body, api_key=api_key, timeout=timeout, retries=retries)
    try:
        return payload["choices"][0]["message"]["content"] or ""
    except (KeyError, IndexError, TypeError) as e:
        raise CrossinError(f"{redact_url(url)} returned an unexpected response ({type(e).__name__}: {e})") from None


def prompt_logprobs(base_url: str, model: str, texts: list[str], *, api_key: str | None = None, timeout: float = 300.0,
                    retries: int = 5) -> list[tuple[list[float | None], list[int]]]:
    """Per text: (log-probability of each of its tokens, character offset of each token), from /v1/completions with
    echo + logprobs (the convention of vLLM's server and lm-eval's local-completions). The first token has None."""
    url = base_url.rstrip("/") + "/completions"
    body = {"model": model, "prompt": texts, "echo": True, "logprobs": 1, "max_tokens": 1, "temperature": 0.0}
    payload = post_json(url, body, api_key=api_key, timeout=timeout, retries=retries)
    try:
        choices = sorted(payload["choices"], key=lambda c: c.get("index", 0))
        out = []
        for text, choice in zip(texts, choices, strict=True):
            lp = choice.get("logprobs") or {}
            values, offsets = lp.get("token_logprobs"), lp.get("text_offset")
            if not values or not offsets or len(values) != len(offsets):
                raise KeyError("logprobs.token_logprobs / text_offset")
            # max_tokens=1: the generated token comes after the text; drop it.
            keep = [i for i, off in enumerate(offsets) if off < len(text)]
            out.append(([values[i] for i in keep], [offsets[i] for i in keep]))
        return out
    except (KeyError, TypeError, ValueError, AttributeError):
        raise CrossinError(f"{redact_url(url)} does not return prompt log-probabilities (loglik and cloze need "
                           "/v1/completions with echo + logprobs, as vLLM's server and `crossin serve` provide); "
                           "use --mode generate with this server") from None
