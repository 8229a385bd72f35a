"""Client for OpenAI-compatible servers (vLLM, SGLang, llama.cpp's server, `crossin serve`, hosted APIs).

One pooled httpx client; transient failures (connection errors, timeouts, HTTP 429 and 5xx) are retried with
exponential backoff and jitter; any other HTTP error is one line naming the server's message.
"""

from __future__ import annotations

import json
import os
import random
import threading
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from ..errors import CrossinError
from ..io import sha256_text

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


def get_json(url: str, *, api_key: str | None = None, timeout: float = 30.0) -> dict:
    """GET a JSON document (e.g. /v1/models); one try: callers decide what a failure means."""
    import httpx

    key = api_key or os.environ.get("OPENAI_API_KEY")
    try:
        response = _http().get(url, headers={"Authorization": f"Bearer {key}"} if key else {}, timeout=timeout)
    except httpx.HTTPError as e:
        raise CrossinError(f"could not reach {redact_url(url)} ({type(e).__name__}: {e})") from None
    if response.status_code != 200:
        raise RequestRejected(f"{redact_url(url)} answered HTTP {response.status_code}", response.status_code)
    try:
        return response.json()
    except ValueError:
        raise CrossinError(f"{redact_url(url)} returned a body that is not JSON") from None


def server_root(base_url: str) -> str:
    """The server's root URL: vLLM serves /tokenize there, next to /v1."""
    url = base_url.rstrip("/")
    return url[:-3] if url.endswith("/v1") else url


def _generate(url: str, body: dict, pick, *, seed: int | None, stop: list[str] | None, api_key: str | None = None,
              timeout: float, retries: int) -> str:
    """POST a generation request (seed and stop added when given) and return `pick(first choice)` or ""."""
    if seed is not None:
        body["seed"] = seed
    if stop:
        body["stop"] = list(stop)
    payload = post_json(url, body, api_key=api_key, timeout=timeout, retries=retries)
    try:
        return pick(payload["choices"][0]) or ""
    except (KeyError, IndexError, TypeError) as e:
        raise CrossinError(f"{redact_url(url)} returned an unexpected response ({type(e).__name__}: {e})") from None


def chat_completion(base_url: str, model: str, messages: list[dict], *, temperature: float = 0.0, max_tokens: int = 256,
                    seed: int | None = None, api_key: str | None = None, timeout: float = 300.0, retries: int = 5,
                    stop: list[str] | None = None) -> str:
    """POST {base_url}/chat/completions and return the first choice's message text."""
    body = {"model": model, "messages": messages, "temperature": temperature, "max_tokens": max_tokens}
    return _generate(base_url.rstrip("/") + "/chat/completions", body, lambda c: c["message"]["content"], seed=seed,
                     stop=stop, api_key=api_key, timeout=timeout, retries=retries)


def completion(base_url: str, model: str, prompt: str, *, temperature: float = 0.0, max_tokens: int = 256,
               seed: int | None = None, stop: list[str] | None = None, timeout: float = 300.0, retries: int = 5) -> str:
    """POST {base_url}/completions with a text prompt and return the first choice's text."""
    body = {"model": model, "prompt": prompt, "temperature": temperature, "max_tokens": max_tokens}
    return _generate(base_url.rstrip("/") + "/completions", body, lambda c: c["text"], seed=seed, stop=stop,
                     timeout=timeout, retries=retries)


def tokenize(base_url: str, model: str, text: str, *, add_special_tokens: bool, retries: int = 5) -> list[int]:
    """Token ids from the server's own tokenizer (vLLM's POST /tokenize at the server root)."""
    url = server_root(base_url) + "/tokenize"
    payload = post_json(url, {"model": model, "prompt": text, "add_special_tokens": add_special_tokens},
                        retries=retries)
    tokens = payload.get("tokens") if isinstance(payload, dict) else None
    if not isinstance(tokens, list) or not all(isinstance(t, int) for t in tokens):
        raise CrossinError(f"{redact_url(url)} did not return token ids")
    return tokens


def echo_logprobs(base_url: str, model: str, prompts: list, *, start: int | None = None, timeout: float = 300.0,
                  retries: int = 5) -> list[dict]:
    """Per prompt (text or token ids): the `logprobs` block of /v1/completions with echo (tokens, token_logprobs,
    top_logprobs, text_offset), prompt tokens first, then the one generated token (max_tokens=1, as lm-eval's
    local-completions asks). `start`: only for servers that list SGLang's `logprob_start_len` (`crossin serve`):
    log-probabilities from that token on and no generated token, so the server skips the head before it."""
    url = base_url.rstrip("/") + "/completions"
    body = {"model": model, "prompt": prompts, "echo": True, "logprobs": 1, "max_tokens": 1, "temperature": 0.0}
    if start is not None:
        body.update(logprob_start_len=start, max_tokens=0)
    payload = post_json(url, body, timeout=timeout, retries=retries)
    try:
        choices = sorted(payload["choices"], key=lambda c: c.get("index", 0))
        blocks = [c["logprobs"] for c in choices]
        if len(blocks) != len(prompts) or not all(b and b.get("token_logprobs") for b in blocks):
            raise KeyError("logprobs.token_logprobs")
        return blocks
    except (KeyError, TypeError, ValueError, AttributeError):
        raise CrossinError(f"{redact_url(url)} does not return prompt log-probabilities (loglik and cloze need "
                           "/v1/completions with echo + logprobs, as vLLM's server and `crossin serve` provide); "
                           "use --mode generate with this server") from None


def openai_generator(base_url: str, model: str, *, seed: int = 0, api_key: str | None = None,
                     cache: str | os.PathLike | None = None, timeout: float = 120.0) -> Callable[[str, list[dict]], str]:
    """(key, chat messages) -> reply, from any OpenAI-compatible server; replies are appended to `cache` (JSONL) so
    a rerun resumes. Cross-XQuAD's LLM distractor generator (`crossin bench build-xquad --generator openai`)."""
    done: dict[tuple[str, str], str] = {}
    cache_path = Path(cache) if cache else None
    if cache_path and cache_path.exists():
        for raw in cache_path.read_text(encoding="utf-8").splitlines():
            try:
                obj = json.loads(raw)
                done[(obj["id"], obj["prompt_sha256"])] = obj["reply"]
            except (json.JSONDecodeError, RecursionError, KeyError, TypeError):
                continue  # a line cut short by an interrupted run: that call is simply made again
    lock = threading.Lock()

    def generate(set_id: str, messages: list[dict]) -> str:
        digest = sha256_text(json.dumps([model, messages], ensure_ascii=False))
        if (set_id, digest) in done:
            return done[(set_id, digest)]
        reply = chat_completion(base_url, model, messages, temperature=0.0, max_tokens=512, seed=seed,
                                api_key=api_key, timeout=timeout)
        if cache_path:
            with lock:
                cache_path.parent.mkdir(parents=True, exist_ok=True)
                with open(cache_path, "a", encoding="utf-8") as f:
                    f.write(json.dumps({"id": set_id, "prompt_sha256": digest, "reply": reply}, ensure_ascii=False) + "\n")
        return reply

    return generate
