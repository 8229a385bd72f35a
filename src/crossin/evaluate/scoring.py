"""Multiple-choice policy, above every backend: what is asked of `loglikelihood` for a question and how its answers
become option scores.

- loglik: the option letter after the prompt, both spellings ("A" and " A") summed in probability space; a
  spelling counts only when it is one token (a letter the tokenizer splits is not a letter prediction);
- cloze: each option's text after the prompt (lm-eval's convention: the separating space belongs to the option),
  normalised by `--cloze-norm`:
  `chars` log P / characters (lm-eval acc_norm), `bytes` / UTF-8 bytes (lm-eval acc_bytes), `tokens` / tokens,
  `none` the sum, `pmi` log P(option | prompt) - log P(option | "Answer:") (lighteval's LogProbPMINorm: the
  unconditional probability of the same continuation tokens after a neutral cue);
- circular: rotated option j is original option (j + r) mod n (`rotate`, `unrotate_scores`).
"""

from __future__ import annotations

import dataclasses
import math

from ..benchmarks import LETTERS, MCQ
from ..errors import CrossinError

LETTER_SPELLINGS = ("{}", " {}")
CLOZE_NORMS = ("chars", "bytes", "tokens", "none", "pmi")
# lighteval's unconditioned query for PMI normalisation.
UNCONDITIONAL_CONTEXT = "Answer:"


def cloze_continuation(prompt: str, option: str) -> str:
    """lm-eval's convention: the separating space belongs to the continuation."""
    return option if not prompt or prompt[-1].isspace() else " " + option


def rotate(item: MCQ, rotation: int) -> MCQ:
    """Rotated option j is original option (j + rotation) mod n."""
    n = len(item.choices)
    r = rotation % n
    return dataclasses.replace(item, choices=item.choices[r:] + item.choices[:r], gold=(item.gold - r) % n)


def unrotate_scores(scores: list[float], rotation: int) -> list[float]:
    n = len(scores)
    original = [0.0] * n
    for j, value in enumerate(scores):
        original[(j + rotation) % n] = value
    return original


def question_requests(prompt: str, options, mode: str, norm: str = "chars") -> list[tuple[str, str]]:
    """The (context, continuation) pairs one question needs, in the order `option_scores` reads them."""
    if mode == "loglik":
        return [(prompt, s.format(letter)) for letter in LETTERS[:len(options)] for s in LETTER_SPELLINGS]
    if mode != "cloze":
        raise ValueError(f"no loglikelihood requests for mode {mode!r}")
    if norm not in CLOZE_NORMS:
        raise CrossinError(f"unknown cloze normalisation {norm!r}; choose from {', '.join(CLOZE_NORMS)}")
    pairs = [(prompt, cloze_continuation(prompt, o)) for o in options]
    if norm == "pmi":
        pairs += [(UNCONDITIONAL_CONTEXT, cont) for _, cont in pairs]
    return pairs


def _logsumexp(values: list[float]) -> float:
    top = max(values)
    return top + math.log(sum(math.exp(v - top) for v in values))


def letter_scores(answers: list, n: int, token_ids: dict[str, tuple] | None = None) -> list[float]:
    """log P(letter) per option from its spellings' answers (question_requests' order). `token_ids`: each
    spelling's token ids; two spellings that are one and the same token count once. Merged by token id, never by
    equal log-probability: two different tokens may tie (likely in bf16), and each keeps its probability."""
    k = len(LETTER_SPELLINGS)
    scores = []
    for j in range(n):
        found = {}
        for s, (lp, n_tokens, _) in zip(LETTER_SPELLINGS, answers[j * k:(j + 1) * k]):
            if n_tokens == 1:  # single-token spellings only (a letter the tokenizer splits is not a letter prediction)
                spelling = s.format(LETTERS[j])
                found.setdefault(tuple(token_ids[spelling]) if token_ids else spelling, lp)
        found = list(found.values())
        if not found:
            raise CrossinError(f"the tokenizer has no single token for the option letter {LETTERS[j]!r}; "
                               "use --mode cloze or generate")
        scores.append(_logsumexp(found))
    return scores


def cloze_scores(answers: list, continuations: list[str], norm: str) -> list[float]:
    """Normalised option scores from the answers to question_requests(..., "cloze", norm)."""
    n = len(continuations)
    out = []
    for j, cont in enumerate(continuations):
        lp, n_tokens, _ = answers[j]
        if norm == "chars":
            out.append(lp / max(len(cont), 1))
        elif norm == "bytes":
            out.append(lp / max(len(cont.encode("utf-8")), 1))
        elif norm == "tokens":
            out.append(lp / max(n_tokens, 1))
        elif norm == "none":
            out.append(lp)
        else:  # pmi
            out.append(lp - answers[n + j][0])
    return out


def letter_spellings(n: int) -> list[str]:
    """Every spelling of the first `n` option letters ("A", " A", ...)."""
    return [s.format(letter) for letter in LETTERS[:n] for s in LETTER_SPELLINGS]


def option_scores(prompt: str, options, mode: str, answers: list, norm: str = "chars",
                  token_ids: dict[str, tuple] | None = None) -> list[float]:
    """A question's option scores (higher is better) from the answers to its question_requests."""
    if mode == "loglik":
        return letter_scores(answers, len(options), token_ids)
    return cloze_scores(answers, [cloze_continuation(prompt, o) for o in options], norm)
