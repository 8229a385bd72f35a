"""`crossin data translate`: grow a parallel instruction corpus into other languages.

    from crossin.data.translate import TranslateConfig, translate_corpus
    cfg = TranslateConfig(input="alpaca_en.json", target_langs=["es", "vi"], engine="openai",
                          base_url="http://127.0.0.1:8000/v1", model="Qwen/Qwen2.5-7B-Instruct", out="corpus/")
    translate_corpus(cfg)    # -> corpus/ with en.jsonl, es.jsonl, vi.jsonl, *_translation_score.jsonl, manifest.json

Modules: `config` (TranslateConfig, the prompt), `protect` (pieces, protected spans, the checks), `engines`
(openai, hf), `run` (cache, retries, outputs).
"""

from .config import DEFAULT_PROMPT, TranslateConfig
from .run import translate_corpus

__all__ = ["DEFAULT_PROMPT", "TranslateConfig", "translate_corpus"]
