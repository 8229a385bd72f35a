"""The one backend interface of `crossin eval` (lm-eval's `LM`), and the one place that picks a backend.

A backend answers two kinds of primitive requests, each given as a list and answered as a list in the same order:
- `loglikelihood([(context, continuation)]) -> [(logprob, n_tokens, is_greedy)]`: log P(continuation | context)
  summed over the continuation's tokens, how many tokens that is, and whether greedy decoding would write it;
- `generate_until([(context, GenerationKwargs)]) -> [text]`.
Multiple-choice policy (letter spellings, cloze continuations, normalisation, rotations) is not a backend's business:
it lives in `scoring.py`, above every backend. `on_batch(indices, values)` is called as soon as a part of the
answers is known (lm-eval's cache hook), so the request cache can commit it before the next batch runs.
`identity` is what the request cache keys on (weights, adapter, dtype, server and model name); None = not cached.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Protocol, runtime_checkable

from ..registry import Registry

OnBatch = Callable[[list[int], list], None]
Loglik = tuple[float, int, bool]  # (summed log-probability, continuation tokens, is_greedy)
OPENAI_PREFIX = "openai:"
# Implementations as "module:class", imported on first use (lm-eval's registry style): this interface module never
# imports an implementation, implementations import only the interface, and torch loads only for "hf".
BACKENDS = Registry("backend", {"hf": "crossin.evaluate.hf_backend:HFBackend",
                                 "openai": "crossin.evaluate.openai_backend:OpenAIBackend"})


@dataclass(frozen=True)
class GenerationKwargs:
    """lm-eval's generation kwargs (`max_gen_toks`, `until`); decoding is greedy unless temperature > 0."""

    max_gen_toks: int = 256
    until: tuple[str, ...] = ()
    temperature: float = 0.0
    seed: int | None = None

    @classmethod
    def from_dict(cls, d: dict) -> GenerationKwargs:
        """Also OpenAI's spellings: max_tokens, stop (a string or a list)."""
        until = d.get("until", d.get("stop", ()))
        return cls(max_gen_toks=int(d.get("max_gen_toks", d.get("max_tokens", 256))),
                   until=(until,) if isinstance(until, str) else tuple(until or ()),
                   temperature=float(d.get("temperature", 0.0)), seed=d.get("seed"))

    def as_dict(self) -> dict:
        return {**asdict(self), "until": list(self.until)}


def cut_at_stop(text: str, until) -> str:
    """The text before the first stop string (for servers and decoders that do not stop on strings themselves)."""
    cut = min((text.index(s) for s in until if s and s in text), default=len(text))
    return text[:cut]


@runtime_checkable
class Backend(Protocol):
    identity: dict | None

    def loglikelihood(self, requests: list[tuple[str, str]], *, on_batch: OnBatch | None = None) -> list[Loglik]:
        """Per (context, continuation): (log P(continuation | context), continuation tokens, is_greedy)."""

    def generate_until(self, requests: list[tuple[str, GenerationKwargs]], *,
                       on_batch: OnBatch | None = None) -> list[str]:
        """Per (context, kwargs): the continuation, cut at the first stop string."""

    def continuation_ids(self, texts: list[str]) -> list[list[int]]:
        """Per continuation: its token ids, tokenized on its own as `loglikelihood` tokenizes it."""


def make_backend(config, *, model=None, tokenizer=None, model_id: dict | None = None) -> Backend:
    """The backend for an EvalConfig: OpenAI-compatible servers, an in-memory model, or a model to load."""
    if config.model.startswith(OPENAI_PREFIX):
        return BACKENDS.get("openai")(config.base_url, config.model[len(OPENAI_PREFIX):],
                                      concurrency=None if config.batch_size == "auto" else int(config.batch_size),
                                      seed=config.seed, chat=config.prompt_format == "chat")
    HFBackend = BACKENDS.get("hf")
    if model is not None:
        return HFBackend(model=model, tokenizer=tokenizer, batch_size=config.batch_size, identity=model_id)
    from ..models.hf import load_for_eval, model_identity

    identity = model_identity(config.model, config.adapter, device=config.device, dtype=config.dtype)
    return HFBackend(loader=lambda: load_for_eval(config.model, config.adapter, identity, device=config.device,
                                                  dtype=config.dtype),
                     batch_size=config.batch_size, identity=identity)


def is_cacheable(backend) -> bool:
    """Whether the cache applies, without contacting a server (a server backend's identity is resolved later)."""
    flag = getattr(backend, "cacheable", None)
    return flag if flag is not None else backend.identity is not None
