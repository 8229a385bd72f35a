"""Minimal client for OpenAI-compatible chat/completions servers (vLLM, llama.cpp, `transformers serve`, APIs).

Plain urllib on purpose: one POST is all we need, and it keeps the dependency list short.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request

from ..errors import CrossinError


def chat_completion(
    base_url: str,
    model: str,
    messages: list[dict],
    *,
    temperature: float = 0.0,
    max_tokens: int = 256,
    seed: int | None = None,
    api_key: str | None = None,
    timeout: float = 120.0,
    retries: int = 3,
) -> str:
    """POST {base_url}/chat/completions and return the first choice's message text."""
    body = {"model": model, "messages": messages, "temperature": temperature, "max_tokens": max_tokens}
    if seed is not None:
        body["seed"] = seed
    url = base_url.rstrip("/") + "/chat/completions"
    headers = {"Content-Type": "application/json"}
    key = api_key or os.environ.get("OPENAI_API_KEY")
    if key:
        headers["Authorization"] = f"Bearer {key}"
    request = urllib.request.Request(url, data=json.dumps(body).encode("utf-8"), headers=headers, method="POST")
    last_error: Exception | None = None
    for attempt in range(retries):
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                payload = json.loads(response.read().decode("utf-8"))
            return payload["choices"][0]["message"]["content"] or ""
        except urllib.error.HTTPError as e:
            if e.code < 500 and e.code != 429:
                detail = e.read().decode("utf-8", "replace")[:300]
                raise CrossinError(f"{url} answered HTTP {e.code}: {detail}") from None
            last_error = e
        except (urllib.error.URLError, TimeoutError, ConnectionError) as e:
            last_error = e
        except (KeyError, IndexError, json.JSONDecodeError) as e:
            raise CrossinError(f"{url} returned an unexpected response ({type(e).__name__}: {e})") from None
        time.sleep(min(2**attempt, 8))
    raise CrossinError(f"could not reach {url} after {retries} tries ({last_error})")
