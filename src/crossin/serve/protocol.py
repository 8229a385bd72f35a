"""Request bodies of `crossin serve`, checked strictly: a wrong type, an out-of-range value, an unknown field, a lone
surrogate or a feature this server does not implement is HTTP 400 with a message, never a 500 or a silent default.
Field names and ranges follow OpenAI's API and vLLM's extensions (`ignore_eos`, `top_k`, `add_special_tokens`,
/tokenize)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

MAX_TOP_LOGPROBS = 20
# OpenAI takes 4 stop strings; lm-eval tasks send up to about 6. Each is matched by a linear search of the text.
MAX_STOP = 16
MAX_STOP_CHARS = 256
MAX_PROMPTS = 1024  # prompts in one completions request
SEED_RANGE = (-(1 << 63), (1 << 63) - 1)  # vLLM's: a torch long

Seed = Annotated[int, Field(ge=SEED_RANGE[0], le=SEED_RANGE[1])]
StopText = Annotated[str, Field(max_length=MAX_STOP_CHARS)]


def _has_surrogate(value) -> bool:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, dict):
        return any(_has_surrogate(k) or _has_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_surrogate(v) for v in value)
    return False


class Body(BaseModel):
    # strict: "5" is not 5 and true is not 1; a float field still takes an int (JSON has one number type).
    model_config = ConfigDict(extra="forbid", strict=True)

    @model_validator(mode="before")
    @classmethod
    def _utf8_only(cls, data):
        if _has_surrogate(data):
            raise ValueError("a string holds a lone UTF-16 surrogate (not valid Unicode text)")
        return data


class Sampling(Body):
    """What completions and chat share."""

    model: str | None = None
    max_tokens: int | None = Field(None, ge=0)
    temperature: float = Field(0.0, ge=0.0, le=2.0)
    top_p: float = Field(1.0, gt=0.0, le=1.0)
    top_k: int = Field(-1, ge=-1)  # vLLM: -1 (or 0) = all tokens
    n: int = Field(1, ge=1, le=1)
    seed: Seed | None = None
    stop: StopText | list[StopText] | None = None
    ignore_eos: bool = False
    stream: Literal[False] = False
    user: str | None = None
    presence_penalty: Literal[0, 0.0] = 0.0
    frequency_penalty: Literal[0, 0.0] = 0.0
    logit_bias: dict[str, float] | None = None

    @model_validator(mode="after")
    def _check_sampling(self):
        if isinstance(self.stop, list) and len(self.stop) > MAX_STOP:
            raise ValueError(f"stop: at most {MAX_STOP} strings")
        if self.logit_bias:
            raise ValueError("logit_bias is not supported by crossin serve")
        return self

    def stops(self) -> tuple[str, ...]:
        return tuple(s for s in ([self.stop] if isinstance(self.stop, str) else self.stop or []) if s)


TokenIds = list[Annotated[int, Field(ge=0)]]


class CompletionRequest(Sampling):
    prompt: str | list[str] | TokenIds | list[TokenIds]
    echo: bool = False
    logprobs: int | None = Field(None, ge=0, le=MAX_TOP_LOGPROBS)
    add_special_tokens: bool = True  # vLLM: the tokenizer's BOS before a text prompt
    # SGLang's field: echo log-probabilities only from this prompt token on (earlier ones are null), so the LM head
    # runs only where they are read; crossin's client sends the context's length when the server lists it.
    logprob_start_len: int = Field(0, ge=0)
    best_of: Literal[1] | None = None
    suffix: None = None

    @model_validator(mode="after")
    def _check(self):
        if self.prompt in ([], "") or (isinstance(self.prompt, list) and any(p in ([], "") for p in self.prompt)):
            raise ValueError("prompt must not be empty")
        if isinstance(self.prompt, list) and len(self.prompt) > MAX_PROMPTS and not isinstance(self.prompt[0], int):
            raise ValueError(f"at most {MAX_PROMPTS} prompts per request")
        if self.max_tokens == 0 and not self.echo:
            raise ValueError("max_tokens 0 needs echo (scoring the prompt only)")
        return self

    def prompts(self) -> list:
        """One entry per prompt: a string or a list of token ids."""
        p = self.prompt
        return [p] if isinstance(p, str) or (p and isinstance(p[0], int)) else list(p)


class TextPart(Body):
    type: Literal["text"]
    text: str


class Message(Body):
    role: Literal["system", "developer", "user", "assistant"]
    content: str | list[TextPart] | None = None
    name: str | None = None

    def text(self) -> str:
        return self.content if isinstance(self.content, str) else "".join(p.text for p in self.content or [])


class ChatRequest(Sampling):
    messages: list[Message] = Field(min_length=1)
    max_completion_tokens: int | None = Field(None, ge=1)
    logprobs: bool = False
    top_logprobs: int | None = Field(None, ge=0, le=MAX_TOP_LOGPROBS)

    @model_validator(mode="after")
    def _check(self):
        if self.max_tokens == 0:
            raise ValueError("max_tokens must be at least 1")
        if self.top_logprobs is not None and not self.logprobs:
            raise ValueError("top_logprobs needs logprobs: true")
        return self


class TokenizeRequest(Body):
    """vLLM's /tokenize: a prompt, or chat messages rendered with the model's chat template."""

    model: str | None = None
    prompt: str | None = None
    messages: list[Message] | None = None
    add_special_tokens: bool | None = None  # default: True for a prompt, False for messages (vLLM's)
    add_generation_prompt: bool = True
    return_token_strs: bool = False

    @model_validator(mode="after")
    def _one_input(self):
        if (self.prompt is None) == (self.messages is None):
            raise ValueError("give exactly one of prompt and messages")
        return self


class DetokenizeRequest(Body):
    model: str | None = None
    tokens: TokenIds
