"""The HTTP side of `crossin serve` (FastAPI): OpenAI's /v1/models, /v1/completions (echo + logprobs too) and
/v1/chat/completions, and vLLM's /tokenize and /detokenize. Errors have vLLM's shape
`{"error": {"message", "type", "param", "code"}}`: 400 for a malformed or over-limit request, 404 for a model this
server does not serve."""

import asyncio
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from ..prompts import tokenize_prompt
from .engine import Job
from .protocol import ChatRequest, CompletionRequest, DetokenizeRequest, TokenizeRequest
from .render import (chat_logprobs, completion_logprobs, encode_with_offsets, messages_to_prompt, piece_texts,
                     token_offsets)

DEFAULT_MAX_TOKENS_CAP = 2048


class HTTPError(Exception):
    def __init__(self, code: int, message: str, param: str | None = None):
        super().__init__(message)
        self.code, self.message, self.param = code, message, param


@dataclass
class Served:
    """What every route shares: the engine and its tokenizer, the names served and the limits on a request."""

    engine: Any  # an Engine over the model
    name: str
    adapters: dict[str, str]  # {served name: adapter folder} loaded in the engine (--lora-modules)
    max_tokens_cap: int
    max_prompt_tokens: int
    max_model_len: int
    tokenizer: Any = field(init=False)
    vocab: int = field(init=False)

    def __post_init__(self):
        self.tokenizer = self.engine.tokenizer
        self.vocab = len(self.tokenizer)  # len() of a fast tokenizer rebuilds its vocabulary: once, not per token

    def adapter_of(self, model: str | None) -> str | None:
        if model is None or model == self.name:
            return None
        if model in self.adapters:
            return model
        raise HTTPError(404, f"The model `{model}` does not exist. Valid aliases: "
                             f"{', '.join([self.name, *self.adapters])}.", "model")

    def check_length(self, ids: list[int], max_tokens: int) -> None:
        if ids and not 0 <= min(ids) <= max(ids) < self.vocab:
            raise HTTPError(400, "prompt token id out of the vocabulary", "prompt")
        if len(ids) > self.max_prompt_tokens:
            raise HTTPError(400, f"the prompt has {len(ids)} tokens; this server takes at most "
                                 f"{self.max_prompt_tokens} (--max-prompt-tokens)", "prompt")
        if len(ids) + max_tokens > self.max_model_len:
            raise HTTPError(400, f"This model's maximum context length is {self.max_model_len} tokens. However, you "
                                 f"requested {len(ids) + max_tokens} tokens ({len(ids)} in the prompt, {max_tokens} "
                                 "in the completion).", "max_tokens")

    def check_cap(self, max_tokens: int) -> None:
        if max_tokens > self.max_tokens_cap:
            raise HTTPError(400, f"max_tokens {max_tokens} is above this server's cap of {self.max_tokens_cap} "
                                 "(--max-tokens-cap)", "max_tokens")

    async def run(self, job: Job) -> Job:
        try:
            return await asyncio.wrap_future(self.engine.submit(job))
        except Exception as e:  # noqa: BLE001 - this request failed; the server and the others go on
            raise HTTPError(500, f"the model failed on this request ({type(e).__name__}: {e})"[:500]) from None

    def decoded(self, job: Job) -> tuple[str, bool]:
        """The generated text, cut at the first stop string, and whether a stop string cut it."""
        text = self.tokenizer.decode(job.generated, skip_special_tokens=True)
        found = [i for i in (text.find(s) for s in job.stop) if i >= 0]
        return (text[:min(found)], True) if found else (text, False)


def create_app(engine, name: str, *, adapters: dict[str, str] | None = None,
               max_tokens_cap: int = DEFAULT_MAX_TOKENS_CAP, max_prompt_tokens: int | None = None,
               max_model_len: int = 8192):
    """`engine`: an Engine over the model; `adapters`: {served name: adapter folder} loaded in it (--lora-modules)."""
    from fastapi import FastAPI

    served = Served(engine, name, adapters or {}, max_tokens_cap,
                    min(max_prompt_tokens or max_model_len, max_model_len), max_model_len)
    app = FastAPI(title=f"crossin serve: {name}")
    _add_error_handlers(app)

    @app.get("/v1/models")
    async def models():
        return list_models(served)

    @app.post("/v1/completions")
    async def completions(body: CompletionRequest):
        return await complete(served, body)

    @app.post("/v1/chat/completions")
    async def chat(body: ChatRequest):
        return await chat_complete(served, body)

    @app.post("/tokenize")
    async def tokenize(body: TokenizeRequest):
        return tokenize_request(served, body)

    @app.post("/detokenize")
    async def detokenize(body: DetokenizeRequest):
        served.adapter_of(body.model)
        if body.tokens and max(body.tokens) >= served.vocab:
            raise HTTPError(400, "token id out of the vocabulary", "tokens")
        return {"prompt": served.tokenizer.decode(body.tokens)}

    return app


def _add_error_handlers(app) -> None:
    """Every refusal in vLLM's error shape: a body that does not validate and an HTTPError raised by a route."""
    from fastapi import Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse

    def error(code: int, message: str, param: str | None = None) -> JSONResponse:
        kind = {400: "BadRequestError", 404: "NotFoundError"}.get(code, "InternalServerError")
        return JSONResponse(status_code=code, content={"error": {"message": message, "type": kind, "param": param,
                                                                 "code": code}})

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError):
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(x) for x in first.get("loc", ())[1:]) or "body"
        message = first.get("msg", "invalid request")
        if first.get("type") == "extra_forbidden":
            message = "unknown field (not in this server's API)"
        elif first.get("type") == "json_invalid":
            message = "the body is not valid JSON"
        return error(400, f"{where}: {message}"[:500], where)

    @app.exception_handler(HTTPError)
    async def refused(request: Request, exc: HTTPError):
        return error(exc.code, exc.message, exc.param)


def list_models(s: Served) -> dict:
    now = int(time.time())
    card = {"object": "model", "created": now, "owned_by": "crossin", "max_model_len": s.max_model_len,
            "max_tokens_cap": s.max_tokens_cap, "logprob_start_len": True}  # the extension, for clients to see
    data = [{"id": s.name, "root": s.name, "parent": None, **card}]
    data += [{"id": lora, "root": path, "parent": s.name, **card} for lora, path in s.adapters.items()]
    return {"object": "list", "data": data}


def _usage(jobs: list[Job]) -> dict:
    n_prompt, n_new = sum(len(j.ids) for j in jobs), sum(len(j.generated) for j in jobs)
    return {"prompt_tokens": n_prompt, "completion_tokens": n_new, "total_tokens": n_prompt + n_new}


def _completion_jobs(s: Served, body: CompletionRequest, adapter: str | None, max_tokens: int, score: bool):
    """One Job per prompt, with the prompt's text and its tokens' character offsets (for echo and logprobs)."""
    jobs, texts, offsets = [], [], []
    for p in body.prompts():
        if isinstance(p, str):
            ids, offs = encode_with_offsets(s.tokenizer, p, body.add_special_tokens)
            text = p
        else:
            ids = list(p)
            s.check_length(ids, max_tokens)
            text = s.tokenizer.decode(ids, skip_special_tokens=True)
            offs = token_offsets(s.tokenizer, ids, text) if score else []
        s.check_length(ids, max_tokens)
        texts.append(text)
        offsets.append(offs)
        jobs.append(Job(ids, max_tokens, body.temperature, body.seed, score=score, top_k=body.logprobs or 0,
                        ignore_eos=body.ignore_eos, stop=body.stops(), adapter=adapter, top_p=body.top_p,
                        sample_top_k=max(body.top_k, 0), logprob_start=max(1, body.logprob_start_len)))
    return jobs, texts, offsets


async def complete(s: Served, body: CompletionRequest) -> dict:
    """/v1/completions: every prompt of the request generated (and scored, with echo or logprobs) at once."""
    adapter = s.adapter_of(body.model)
    max_tokens = 16 if body.max_tokens is None else body.max_tokens
    s.check_cap(max_tokens)
    score = body.echo or body.logprobs is not None
    jobs, texts, offsets = _completion_jobs(s, body, adapter, max_tokens, score)
    done = await asyncio.gather(*(s.run(j) for j in jobs))
    choices = []
    for index, (text, offs, job) in enumerate(zip(texts, offsets, done)):
        completion, stopped = s.decoded(job)
        choice = {"index": index, "text": (text if body.echo else "") + completion,
                  "finish_reason": "stop" if stopped else job.finish, "logprobs": None}
        if score:  # echo: every prompt token too (the tokenizer's BOS first, with offset 0)
            choice["logprobs"] = completion_logprobs(s.tokenizer, job, text, offs, body.echo, body.logprobs or 0)
        choices.append(choice)
    return {"id": f"cmpl-{uuid.uuid4().hex[:12]}", "object": "text_completion", "created": int(time.time()),
            "model": body.model or s.name, "choices": choices, "usage": _usage(done)}


async def chat_complete(s: Served, body: ChatRequest) -> dict:
    adapter = s.adapter_of(body.model)
    prompt = messages_to_prompt([{"role": m.role, "content": m.text()} for m in body.messages], s.tokenizer)
    max_tokens = body.max_completion_tokens or body.max_tokens or min(256, s.max_tokens_cap)
    s.check_cap(max_tokens)
    ids = tokenize_prompt(s.tokenizer, prompt)
    s.check_length(ids, max_tokens)
    top = body.top_logprobs or 0
    job = await s.run(Job(ids, max_tokens, body.temperature, body.seed, score=body.logprobs, top_k=top,
                          ignore_eos=body.ignore_eos, stop=body.stops(), adapter=adapter, top_p=body.top_p,
                          sample_top_k=max(body.top_k, 0)))
    text, stopped = s.decoded(job)
    choice = {"index": 0, "message": {"role": "assistant", "content": text},
              "finish_reason": "stop" if stopped else job.finish,
              "logprobs": chat_logprobs(s.tokenizer, job, top) if body.logprobs else None}
    return {"id": f"chatcmpl-{uuid.uuid4().hex[:12]}", "object": "chat.completion", "created": int(time.time()),
            "model": body.model or s.name, "choices": [choice], "usage": _usage([job])}


def tokenize_request(s: Served, body: TokenizeRequest) -> dict:
    s.adapter_of(body.model)
    if body.prompt is not None:
        ids = encode_with_offsets(s.tokenizer, body.prompt, body.add_special_tokens is not False)[0]
    else:
        text = messages_to_prompt([{"role": m.role, "content": m.text()} for m in body.messages], s.tokenizer,
                                  body.add_generation_prompt)
        ids = tokenize_prompt(s.tokenizer, text) if body.add_special_tokens else \
            s.tokenizer(text, add_special_tokens=False).input_ids
    return {"count": len(ids), "max_model_len": s.max_model_len, "tokens": ids,
            "token_strs": piece_texts(s.tokenizer, ids) if body.return_token_strs else None}
