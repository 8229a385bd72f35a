"""OpenAI-compatible servers (vLLM, SGLang, TGI, llama.cpp, `crossin serve`, hosted APIs) as an eval backend.

loglikelihood: /v1/completions with echo + logprobs, one request per context with all its continuations. The
continuation's log-probabilities are read by token count, never by character offsets alone:
- `tokens` (when the server has vLLM's `/tokenize`): the context (with the server's BOS) and each continuation (no
  special tokens) are tokenized by the server and sent as token ids (lm-eval's `tokenized_requests`), so the
  continuation is exactly the last tokens and no token straddles the boundary; this is also how the in-process
  backend tokenizes, so both give the same numbers;
- `offsets` (servers without /tokenize): the text is sent and the continuation is every echoed token that ends after
  the context's last character, a token straddling the boundary included; a leading special token whose text the
  server counts in `text_offset` but not in the echoed text (vLLM's `<bos>`) is taken out of the offsets.
`top_logprobs` may be null: is_greedy is then False. A server whose /v1/models card lists `logprob_start_len`
(`crossin serve`) is asked for log-probabilities from the continuation on only, so that it runs the LM head only
there, as the in-process backend does.
generate_until: `chat=True` posts the context as a user message to /v1/chat/completions (the server applies the
model's template); otherwise the formatted text goes to /v1/completions.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from ..errors import CrossinError
from ..threads import map_concurrent
from ..prompts import decode_messages
from ..models.openai_api import (RequestRejected, chat_completion, completion, echo_logprobs, get_json, redact_url,
                                 tokenize)
from .backend import GenerationKwargs, Loglik, OnBatch, cut_at_stop
from .servers import ServerPool, parse_base_urls

DEFAULT_CONCURRENCY = 8
TOKENIZATIONS = ("auto", "tokens", "offsets")


def _greedy(block: dict, positions) -> bool:
    tops = block.get("top_logprobs") or []
    lps = block["token_logprobs"]
    for i in positions:
        top = tops[i] if i < len(tops) else None
        if not top or lps[i] is None or lps[i] < max(top.values()) - 1e-6:
            return False
    return True


def continuation_by_tokens(block: dict, n_context: int, n_continuation: int) -> Loglik:
    """The continuation = tokens n_context .. n_context + n_continuation - 1 of the echo (the prompt's token ids)."""
    positions = range(n_context, n_context + n_continuation)
    lps = block["token_logprobs"]
    if len(lps) < n_context + n_continuation or any(lps[i] is None for i in positions):
        raise CrossinError("the server returned no log-probability for a continuation token")
    return float(sum(lps[i] for i in positions)), n_continuation, _greedy(block, positions)


def continuation_by_offsets(text: str, n_context_chars: int, block: dict) -> Loglik:
    """The echoed tokens of `text` that end after its first n_context_chars characters (see the module doc)."""
    tokens, lps, offsets = block.get("tokens") or [], block["token_logprobs"], block.get("text_offset")
    if not offsets or len(offsets) != len(lps):
        raise CrossinError("the server returned no text offsets; it needs /tokenize for loglik and cloze")
    shift = 0
    if tokens and tokens[0] and not text.startswith(tokens[0]) and len(offsets) > 1 \
            and offsets[1] - offsets[0] == len(tokens[0]):
        shift = len(tokens[0])  # vLLM: "<bos>" counted in the offsets, absent from the text
    starts = [offsets[0]] + [o - shift for o in offsets[1:]]
    n_prompt = sum(1 for s in starts if s < len(text))  # the generated token starts at the text's end
    ends = starts[1:n_prompt] + [len(text)]
    positions = [i for i in range(1, n_prompt) if ends[i] > n_context_chars]
    if not positions or any(lps[i] is None for i in positions):
        raise CrossinError("the server returned no log-probability for a continuation token")
    return float(sum(lps[i] for i in positions)), len(positions), _greedy(block, positions)


@dataclass
class OpenAIBackend:
    base_url: str  # one URL, several comma-separated, or a file of URLs
    model_name: str
    concurrency: int | None = None  # requests in flight per server
    seed: int | None = None
    chat: bool = False  # generate through /v1/chat/completions (the server's chat template)
    tokenization: str = "auto"  # auto: `tokens` when the server has /tokenize, else `offsets`
    cacheable = True  # identity is resolved from the server on first use
    pool: ServerPool = field(init=False)

    def __post_init__(self):
        if self.tokenization not in TOKENIZATIONS:
            raise ValueError(f"tokenization must be one of {TOKENIZATIONS}")
        self.pool = ServerPool(parse_base_urls(self.base_url))
        self._identity: dict | None = None
        self._lock = threading.Lock()
        self._token_memo: dict[str, list[int]] = {}
        self._start_len: dict[str, bool] = {}  # per URL: the server takes `logprob_start_len`

    # --- what the cache keys on: the model the server says it serves, how scores are read, the generate endpoint ---

    @property
    def identity(self) -> dict:
        with self._lock:
            if self._identity is None:
                self._identity = self.pool.call(self._probe)
            return self._identity

    def _probe(self, url: str) -> dict:
        served = None
        try:
            listing = get_json(url + "/models")
            entries = {m.get("id"): m for m in listing.get("data", []) if isinstance(m, dict)}
            if entries and self.model_name not in entries:
                raise CrossinError(f"{redact_url(url)} serves {', '.join(map(str, entries))}, not {self.model_name!r} "
                                   f"(--model openai:NAME takes the server's model name)")
            served = entries.get(self.model_name, {}).get("root")
            self._start_len[url] = entries.get(self.model_name, {}).get("logprob_start_len") is True
        except RequestRejected:
            pass  # no /v1/models: the URLs identify the model instead
        how = self.tokenization
        if how == "auto":
            try:
                tokenize(url, self.model_name, "A", add_special_tokens=False, retries=1)
                how = "tokens"
            except CrossinError:
                how = "offsets"
        return {"backend": "openai", "model": self.model_name,
                "served": served or sorted(redact_url(u) for u in self.pool.urls), "loglikelihood": how,
                "generate": "chat/completions" if self.chat else "completions"}

    def _takes_start(self, url: str) -> bool:
        if url not in self._start_len:
            try:
                listing = get_json(url + "/models").get("data", [])
                card = next((m for m in listing if isinstance(m, dict) and m.get("id") == self.model_name), {})
                self._start_len[url] = card.get("logprob_start_len") is True
            except (CrossinError, AttributeError):
                self._start_len[url] = False
        return self._start_len[url]

    def server_report(self) -> list[dict]:
        return self.pool.report()

    # --- requests ---------------------------------------------------------------------------------------------------

    def _map(self, fn, items: list, on_result) -> list:
        workers = (self.concurrency or DEFAULT_CONCURRENCY) * len(self.pool.urls)
        return map_concurrent(fn, items, workers=workers, on_result=on_result)

    def _tokens(self, url: str, text: str, special: bool) -> list[int]:
        if special:  # a context: asked once
            return tokenize(url, self.model_name, text, add_special_tokens=True, retries=self.pool.retries)
        if text not in self._token_memo:  # continuations repeat (option letters)
            self._token_memo[text] = tokenize(url, self.model_name, text, add_special_tokens=False,
                                              retries=self.pool.retries)
        return self._token_memo[text]

    def _score(self, url: str, context: str, conts: list[str]) -> list[Loglik]:
        retries = self.pool.retries
        if self.identity["loglikelihood"] == "offsets":
            blocks = echo_logprobs(url, self.model_name, [context + c for c in conts], retries=retries)
            return [continuation_by_offsets(context + c, len(context), b) for c, b in zip(conts, blocks)]
        ctx = self._tokens(url, context, True)
        if len(ctx) > 1 and ctx[0] == ctx[1]:
            ctx = ctx[1:]  # a context that writes its own BOS (a chat template) gets no second one, as in process
        ids = [self._tokens(url, c, False) for c in conts]
        if any(not c for c in ids):
            raise CrossinError("a continuation tokenizes to nothing; scoring needs a non-empty continuation")
        start = len(ctx) if self._takes_start(url) else None
        blocks = echo_logprobs(url, self.model_name, [ctx + c for c in ids], start=start, retries=retries)
        return [continuation_by_tokens(b, len(ctx), len(c)) for c, b in zip(ids, blocks)]

    def loglikelihood(self, requests: list[tuple[str, str]], *, on_batch: OnBatch | None = None) -> list[Loglik]:
        self.identity  # noqa: B018 - resolve before the threads start
        groups: dict[str, list[int]] = {}
        for r, (context, _) in enumerate(requests):
            groups.setdefault(context, []).append(r)
        items = list(groups.items())

        def one(item) -> list[Loglik]:
            context, members = item
            return self.pool.call(lambda url: self._score(url, context, [requests[r][1] for r in members]))

        def report(i, values):
            if on_batch is not None:
                on_batch(items[i][1], values)

        out: list = [None] * len(requests)
        for (_, members), values in zip(items, self._map(one, items, report)):
            for r, v in zip(members, values):
                out[r] = v
        return out

    def _generate(self, url: str, context: str, kw: GenerationKwargs) -> str:
        common = dict(temperature=kw.temperature, max_tokens=kw.max_gen_toks, seed=kw.seed if kw.seed is not None
                      else self.seed, stop=list(kw.until) or None, retries=self.pool.retries)
        if not self.chat:
            return cut_at_stop(completion(url, self.model_name, context, **common), kw.until)
        try:
            messages = decode_messages(context) or [{"role": "user", "content": context}]
            text = chat_completion(url, self.model_name, messages, **common)
        except RequestRejected as e:
            if "chat template" in str(e).lower():
                raise CrossinError(f"{redact_url(url)} has no chat template for {self.model_name} (a base model?): "
                                   "--prompt-format chat needs one; use --prompt-format alpaca or plain, which post "
                                   "the formatted prompt to /v1/completions") from None
            raise
        return cut_at_stop(text, kw.until)

    def generate_until(self, requests: list[tuple[str, GenerationKwargs]], *,
                       on_batch: OnBatch | None = None) -> list[str]:
        self.identity  # noqa: B018

        def one(item) -> str:
            context, kw = item
            return self.pool.call(lambda url: self._generate(url, context, kw))

        def report(i, value):
            if on_batch is not None:
                on_batch([i], [value])

        return self._map(one, requests, report)
