"""The HTTP side of `crossin serve` (FastAPI): OpenAI's /v1/models, /v1/completions (echo + logprobs too) and
/v1/chat/completions, and vLLM's /tokenize and /detokenize. Errors have vLLM's shape
`{"error": {"message", "type", "param", "code"}}`: 400 for a malformed or over-limit request, 404 for a model this
server does not serve."""

import asyncio
import time
import uuid

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


def create_app(engine, name: str, *, adapters: dict[str, str] | None = None,
               max_tokens_cap: int = DEFAULT_MAX_TOKENS_CAP, max_prompt_tokens: int | None = None,
               max_model_len: int = 8192):
    """`engine`: an Engine over the model; `adapters`: {served name: adapter folder} loaded in it (--lora-modules)."""
    from fastapi import FastAPI, Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse

    tokenizer = engine.tokenizer
    vocab = len(tokenizer)  # len() of a fast tokenizer rebuilds its vocabulary: once, not per token
    adapters = adapters or {}
    max_prompt_tokens = min(max_prompt_tokens or max_model_len, max_model_len)
    app = FastAPI(title=f"crossin serve: {name}")

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

    def adapter_of(model: str | None) -> str | None:
        if model is None or model == name:
            return None
        if model in adapters:
            return model
        raise HTTPError(404, f"The model `{model}` does not exist. Valid aliases: {', '.join([name, *adapters])}.",
                        "model")

    def check_length(ids: list[int], max_tokens: int) -> None:
        if ids and not 0 <= min(ids) <= max(ids) < vocab:
            raise HTTPError(400, "prompt token id out of the vocabulary", "prompt")
        if len(ids) > max_prompt_tokens:
            raise HTTPError(400, f"the prompt has {len(ids)} tokens; this server takes at most {max_prompt_tokens} "
                                 "(--max-prompt-tokens)", "prompt")
        if len(ids) + max_tokens > max_model_len:
            raise HTTPError(400, f"This model's maximum context length is {max_model_len} tokens. However, you "
                                 f"requested {len(ids) + max_tokens} tokens ({len(ids)} in the prompt, {max_tokens} "
                                 "in the completion).", "max_tokens")

    def check_cap(max_tokens: int) -> None:
        if max_tokens > max_tokens_cap:
            raise HTTPError(400, f"max_tokens {max_tokens} is above this server's cap of {max_tokens_cap} "
                                 "(--max-tokens-cap)", "max_tokens")

    async def run(job: Job) -> Job:
        try:
            return await asyncio.wrap_future(engine.submit(job))
        except Exception as e:  # noqa: BLE001 - this request failed; the server and the others go on
            raise HTTPError(500, f"the model failed on this request ({type(e).__name__}: {e})"[:500]) from None

    def cut(text: str, stop: tuple[str, ...]) -> tuple[str, bool]:
        found = [i for i in (text.find(s) for s in stop) if i >= 0]
        return (text[:min(found)], True) if found else (text, False)

    @app.get("/v1/models")
    async def models():
        now = int(time.time())
        card = {"object": "model", "created": now, "owned_by": "crossin", "max_model_len": max_model_len,
                "max_tokens_cap": max_tokens_cap, "logprob_start_len": True}  # the extension, for clients to see
        data = [{"id": name, "root": name, "parent": None, **card}]
        data += [{"id": lora, "root": path, "parent": name, **card} for lora, path in adapters.items()]
        return {"object": "list", "data": data}

    @app.post("/v1/completions")
    async def completions(body: CompletionRequest):
        adapter = adapter_of(body.model)
        max_tokens = 16 if body.max_tokens is None else body.max_tokens
        check_cap(max_tokens)
        score = body.echo or body.logprobs is not None
        jobs, texts, offsets = [], [], []
        for p in body.prompts():
            if isinstance(p, str):
                ids, offs = encode_with_offsets(tokenizer, p, body.add_special_tokens)
                text = p
            else:
                ids = list(p)
                check_length(ids, max_tokens)
                text = tokenizer.decode(ids, skip_special_tokens=True)
                offs = token_offsets(tokenizer, ids, text) if score else []
            check_length(ids, max_tokens)
            texts.append(text)
            offsets.append(offs)
            jobs.append(Job(ids, max_tokens, body.temperature, body.seed, score=score, top_k=body.logprobs or 0,
                            ignore_eos=body.ignore_eos, stop=body.stops(), adapter=adapter, top_p=body.top_p,
                            sample_top_k=max(body.top_k, 0), logprob_start=max(1, body.logprob_start_len)))
        done = await asyncio.gather(*(run(j) for j in jobs))
        choices = []
        for index, (text, offs, job) in enumerate(zip(texts, offsets, done)):
            completion, stopped = cut(tokenizer.decode(job.generated, skip_special_tokens=True), job.stop)
            choice = {"index": index, "text": (text if body.echo else "") + completion,
                      "finish_reason": "stop" if stopped else job.finish, "logprobs": None}
            if score:  # echo: every prompt token too (the tokenizer's BOS first, with offset 0)
                choice["logprobs"] = completion_logprobs(tokenizer, job, text, offs, body.echo, body.logprobs or 0)
            choices.append(choice)
        n_prompt, n_new = sum(len(j.ids) for j in done), sum(len(j.generated) for j in done)
        return {"id": f"cmpl-{uuid.uuid4().hex[:12]}", "object": "text_completion", "created": int(time.time()),
                "model": body.model or name, "choices": choices,
                "usage": {"prompt_tokens": n_prompt, "completion_tokens": n_new, "total_tokens": n_prompt + n_new}}

    @app.post("/v1/chat/completions")
    async def chat(body: ChatRequest):
        adapter = adapter_of(body.model)
        prompt = messages_to_prompt([{"role": m.role, "content": m.text()} for m in body.messages], tokenizer)
        max_tokens = body.max_completion_tokens or body.max_tokens or min(256, max_tokens_cap)
        check_cap(max_tokens)
        ids = tokenize_prompt(tokenizer, prompt)
        check_length(ids, max_tokens)
        top = body.top_logprobs or 0
        job = await run(Job(ids, max_tokens, body.temperature, body.seed, score=body.logprobs, top_k=top,
                            ignore_eos=body.ignore_eos, stop=body.stops(), adapter=adapter, top_p=body.top_p,
                            sample_top_k=max(body.top_k, 0)))
        text, stopped = cut(tokenizer.decode(job.generated, skip_special_tokens=True), job.stop)
        n_prompt, n_new = len(job.ids), len(job.generated)
        choice = {"index": 0, "message": {"role": "assistant", "content": text},
                  "finish_reason": "stop" if stopped else job.finish,
                  "logprobs": chat_logprobs(tokenizer, job, top) if body.logprobs else None}
        return {"id": f"chatcmpl-{uuid.uuid4().hex[:12]}", "object": "chat.completion", "created": int(time.time()),
                "model": body.model or name, "choices": [choice],
                "usage": {"prompt_tokens": n_prompt, "completion_tokens": n_new, "total_tokens": n_prompt + n_new}}

    @app.post("/tokenize")
    async def tokenize(body: TokenizeRequest):
        adapter_of(body.model)
        if body.prompt is not None:
            ids = encode_with_offsets(tokenizer, body.prompt, body.add_special_tokens is not False)[0]
        else:
            text = messages_to_prompt([{"role": m.role, "content": m.text()} for m in body.messages], tokenizer,
                                      body.add_generation_prompt)
            ids = tokenize_prompt(tokenizer, text) if body.add_special_tokens else \
                tokenizer(text, add_special_tokens=False).input_ids
        return {"count": len(ids), "max_model_len": max_model_len, "tokens": ids,
                "token_strs": piece_texts(tokenizer, ids) if body.return_token_strs else None}

    @app.post("/detokenize")
    async def detokenize(body: DetokenizeRequest):
        adapter_of(body.model)
        if body.tokens and max(body.tokens) >= vocab:
            raise HTTPError(400, "token id out of the vocabulary", "tokens")
        return {"prompt": tokenizer.decode(body.tokens)}

    return app
