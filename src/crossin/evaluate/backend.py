"""The one backend interface of `crossin eval`, and the one place that picks a backend.

In the spirit of lm-eval's `LM` (`loglikelihood`, `generate_until`): a backend answers three kinds of requests,
each given as a list and answered as a list in the same order. `on_batch(indices, values)` is called as soon as a
part of the answers is known (lm-eval's cache hook), so the request cache can commit it before the next batch runs.
`identity` is what the request cache keys on (weights, adapter, dtype, server and model name); None = not cached.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Protocol, runtime_checkable

OnBatch = Callable[[list[int], list], None]
OPENAI_PREFIX = "openai:"
# Implementations as "module:class", imported on first use (lm-eval's registry style): this interface module never
# imports an implementation, implementations import only the interface, and torch loads only for "hf".
BACKENDS = {"hf": "crossin.evaluate.hf_backend:HFBackend", "openai": "crossin.evaluate.openai_backend:OpenAIBackend"}


def backend_class(kind: str) -> type:
    module, name = BACKENDS[kind].split(":")
    return getattr(importlib.import_module(module), name)


@runtime_checkable
class Backend(Protocol):
    identity: dict | None

    def loglik(self, prompts: list[str], n_choices: list[int], *, on_batch: OnBatch | None = None) -> list[list[float]]:
        """Per prompt: log P(option letter | prompt) for each of its n_choices letters."""

    def cloze(self, prompts: list[str], options: list[list[str]], *, on_batch: OnBatch | None = None) -> list[list[float]]:
        """Per prompt: each option text's log-likelihood after the prompt, divided by its length in characters."""

    def generate(self, prompts: list[str], max_new_tokens: int, *, on_batch: OnBatch | None = None) -> list[str]:
        """Per prompt: the greedy continuation (raw text)."""


def make_backend(config, *, model=None, tokenizer=None, model_id: dict | None = None) -> Backend:
    """The backend for an EvalConfig: an OpenAI-compatible server, an in-memory model, or a model to load."""
    if config.model.startswith(OPENAI_PREFIX):
        return backend_class("openai")(config.base_url, config.model[len(OPENAI_PREFIX):],
                             concurrency=None if config.batch_size == "auto" else int(config.batch_size),
                             seed=config.seed)
    HFBackend = backend_class("hf")
    if model is not None:
        return HFBackend(model=model, tokenizer=tokenizer, batch_size=config.batch_size, identity=model_id)
    from ..models.hf import load_model_and_tokenizer, model_identity

    return HFBackend(loader=lambda: load_model_and_tokenizer(config.model, config.adapter, device=config.device,
                                                             dtype=config.dtype),
                     batch_size=config.batch_size,
                     identity=model_identity(config.model, config.adapter, device=config.device, dtype=config.dtype))
