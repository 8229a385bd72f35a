"""`crossin eval`: run a model on the parallel benchmarks (loglik, cloze, circular, generate), cached and resumable.

Python API (stable):
- `EvalConfig`: the typed config (also `crossin eval`'s flags).
- `run_eval(config, *, model=None, tokenizer=None, model_id=None, blocks=None) -> {bench: results}`; `blocks`
  adds blocks computed by layers above; default: `RESULT_BLOCKS` (crossin.lmeval's `lm_eval` block), as `crossin eval`.
- `score_options(model, tokenizer, bench, mode="loglik"|"cloze", batch_size="auto", template=1, prompt_format="alpaca",
  cloze_norm="chars")
  -> {(set_id, lang): [score per option]}` (original option order; argmax = prediction).
- `Backend` (lm-eval's interface every backend implements: `loglikelihood([(context, continuation)]) ->
  [(logprob, n_tokens, is_greedy)]`, `generate_until([(context, GenerationKwargs)])`, `identity`),
  `make_backend(config)`, `CachingBackend` (the request cache in front of any backend); the multiple-choice policy
  above them is `crossin.evaluate.scoring` (letter spellings, cloze continuations and `CLOZE_NORMS`, rotations).
- `build_requests(bench, mode, template="seaeval:2", prompt_lang="native", num_fewshot=5, ...)`: the prompts
  (crossin.evaluate.requests); `--template all` results are summarised by `summarize_templates`.
"""

from .backend import Backend, GenerationKwargs, make_backend
from .cache import CachingBackend, EvalCache, RunStats, request_key
from .config import MODES, EvalConfig
from .requests import Request, build_prompt, build_requests, fewshot_sets, templates_to_run
from .scoring import CLOZE_NORMS, cloze_continuation, rotate, unrotate_scores
from .runner import execute, run_eval, score_options
from .template_summary import summarize_templates

__all__ = [
    "Backend", "GenerationKwargs", "CLOZE_NORMS", "cloze_continuation", "make_backend", "CachingBackend", "EvalCache", "request_key", "MODES", "EvalConfig", "Request",
    "RunStats", "build_prompt", "build_requests", "execute", "rotate", "run_eval", "score_options", "unrotate_scores",
    "fewshot_sets", "templates_to_run", "summarize_templates",
]
