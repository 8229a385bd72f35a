"""CrossIn instruction mixes (`crossin data build`, `crossin data stats`).

Python API (used by `crossin experiment`):

    from crossin.data import DataConfig, build_mix, load_corpus
    cfg = DataConfig(parallel="corpus/", langs=["en", "zh"], recipe="x2x", n=5000, translation=1000, seed=0, out="mix/")
    out_dir = build_mix(cfg)                 # -> Path with train.jsonl, messages.jsonl, manifest.json
    corpus = load_corpus(cfg)                # load + validate once ...
    build_mix(other_cfg, corpus=corpus)      # ... and reuse it for mixes with the same corpus settings

Modules: `corpus` (loading, joining, validation), `recipes` (language pairs, drawing samples), `mix` (Algorithm 1,
output files, stats), `config` (`DataConfig`).
"""

from ..recipe_names import DATA_RECIPES as RECIPES
from .config import DataConfig
from .corpus import ParallelCorpus, load_parallel, read_samples
from .mix import build_mix, build_rows, load_corpus, mix_stats

__all__ = ["RECIPES", "DataConfig", "ParallelCorpus", "build_mix", "build_rows", "load_corpus", "load_parallel",
           "mix_stats", "read_samples"]
