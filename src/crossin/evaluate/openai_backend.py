"""An OpenAI-compatible server as an eval backend: every mode.

- generate: one chat request per prompt (the server applies its chat template);
- loglik, cloze: /v1/completions with echo + logprobs on prompt + continuation; the continuation's tokens are those
  at or after the prompt's last character (`text_offset`), as lm-eval's local-completions model reads them.
`concurrency` requests are in flight at once; each answered question is reported (and cached) at once.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field

from ..benchmarks import LETTERS
from ..errors import CrossinError
from ..models.openai_api import chat_completion, prompt_logprobs, redact_url
from .backend import OnBatch
from .hf_backend import LETTER_VARIANTS, cloze_continuation

DEFAULT_CONCURRENCY = 8


def _continuation_logprob(prompt: str, logprobs: list, offsets: list[int]) -> tuple[float, int]:
    """Sum of the log-probabilities of the tokens after the prompt, and how many there are."""
    picked = [lp for lp, off in zip(logprobs, offsets) if off >= len(prompt)]
    if any(lp is None for lp in picked) or not picked:
        raise CrossinError("the server returned no log-probability for a continuation token")
    return float(sum(picked)), len(picked)


@dataclass
class OpenAIBackend:
    base_url: str
    model_name: str
    concurrency: int | None = None
    seed: int | None = None
    identity: dict = field(init=False)

    def __post_init__(self):
        self.identity = {"backend": "openai", "base_url": redact_url(self.base_url.rstrip("/")), "model": self.model_name}

    def _map(self, fn, items: list, on_batch: OnBatch | None) -> list:
        out: list = [None] * len(items)
        with ThreadPoolExecutor(max_workers=max(1, min(self.concurrency or DEFAULT_CONCURRENCY, len(items)))) as pool:
            futures = {pool.submit(fn, item): i for i, item in enumerate(items)}
            try:
                for future in as_completed(futures):
                    i = futures[future]
                    out[i] = future.result()
                    if on_batch is not None:
                        on_batch([i], [out[i]])
            except BaseException:
                for f in futures:
                    f.cancel()
                raise
        return out

    def generate(self, prompts: list[str], max_new_tokens: int, *, on_batch: OnBatch | None = None) -> list[str]:
        def one(prompt: str) -> str:
            return chat_completion(self.base_url, self.model_name, [{"role": "user", "content": prompt}],
                                   temperature=0.0, max_tokens=max_new_tokens, seed=self.seed)

        return self._map(one, prompts, on_batch)

    def loglik(self, prompts: list[str], n_choices: list[int], *, on_batch: OnBatch | None = None) -> list[list[float]]:
        def one(item) -> list[float]:
            prompt, n = item
            texts = [prompt + v.format(letter) for letter in LETTERS[:n] for v in LETTER_VARIANTS]
            answers = prompt_logprobs(self.base_url, self.model_name, texts)
            scores = []
            for k in range(n):
                # Only spellings that are one token count, as in the local backend.
                found = [lp for (lps, offs) in answers[k * len(LETTER_VARIANTS):(k + 1) * len(LETTER_VARIANTS)]
                         for lp, count in [_continuation_logprob(prompt, lps, offs)] if count == 1]
                if not found:
                    raise CrossinError(f"the server's tokenizer has no single token for the option letter {LETTERS[k]!r}; "
                                       "use --mode cloze or generate")
                top = max(found)
                scores.append(top + math.log(sum(math.exp(x - top) for x in found)))
            return scores

        return self._map(one, list(zip(prompts, n_choices)), on_batch)

    def cloze(self, prompts: list[str], options: list[list[str]], *, on_batch: OnBatch | None = None) -> list[list[float]]:
        def one(item) -> list[float]:
            prompt, opts = item
            conts = [cloze_continuation(prompt, o) for o in opts]
            answers = prompt_logprobs(self.base_url, self.model_name, [prompt + c for c in conts])
            return [_continuation_logprob(prompt, lps, offs)[0] / max(len(c), 1) for c, (lps, offs) in zip(conts, answers)]

        return self._map(one, list(zip(prompts, options)), on_batch)
