"""Answer extraction from generated text, as `--extractor` offers it: crossin's rules (`crossin.extract`),
SeaEval's rule (`crossin.extract_seaeval`) and an LLM judge (`judge.py`) behind one interface (`extractors.py`).

A package of its own between evaluation and the model clients: `crossin eval --mode generate` and `crossin score`
both read answers with it, and its judge talks to an OpenAI-compatible server (`crossin.models.openai_api`).
"""

from .extractors import (EXTRACTORS, OPENAI_PREFIX, ExtractorSpec, Item, check_spec, disagreements, extraction_block,
                         extraction_warnings,
                         read_items, version)

__all__ = ["EXTRACTORS", "OPENAI_PREFIX", "ExtractorSpec", "Item", "check_spec", "disagreements", "extraction_block",
           "extraction_warnings", "read_items", "version"]
