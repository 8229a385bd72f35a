"""`DataConfig`: everything `crossin data build` needs, from YAML (`--config`) and flags."""

from __future__ import annotations

from dataclasses import dataclass

from ..config import arg, check_fields, check_template, differs, expand_path, refuse_no_ops
from ..errors import CrossinError
from ..recipe_names import DATA_RECIPES, EN2X, NONE, X2EN, X2X

MAX_SAMPLES = 10_000_000  # per part of a mix: 100x the largest in the paper; more is a typo (and GBs of memory)


@dataclass
class DataConfig:
    parallel: str = arg("", help="Parallel corpus: a folder of per-language files (en.jsonl, zh.jsonl, ... or x-LLM's "
                                 "alpaca_<lang>.json), or hf:<dataset> (one config per language, e.g. hf:MBZUAI/Bactrian-X).")
    langs: list[str] = arg([], help="Languages to use, e.g. en,zh,es,vi (default: every language found in the folder).")
    recipe: str = arg(X2X, choices=DATA_RECIPES, help=f"CrossIn recipe: {', '.join(DATA_RECIPES[:-1])}, or {NONE} (base + translation only).")
    n: int = arg(5000, min=0, max=MAX_SAMPLES, help="Number of CrossIn samples of the recipe.")
    translation: int = arg(0, min=0, max=MAX_SAMPLES, help="Number of translation samples added (the paper's 'Trans' part).")
    translation_directions: str = arg(X2EN, help=f"Translation directions: {X2EN} (into English, as the paper's Table 2 and the authors' released code; Section 4's text says from English), {EN2X}, "
                                                 f"{X2X} (all ordered pairs), or explicit pairs like zh-en,en-es.")
    base: str = arg("", help="Base English set: '' = the English side of the parallel corpus, 'none' = no base, "
                             "a folder (en.jsonl / alpaca_en.json / one JSON(L) file), a file, or hf:<dataset>.")
    base_n: int = arg(-1, min=-1, help="Use N random samples of the base set (-1 = all of it).")
    max_reuse: float = arg(10.0, min=1, help="Refuse a mix that would use each usable source sample of a language "
                                             "pair more than this many times on average (a corpus too small for n); "
                                             "any reuse is reported as a warning and in the manifest.")
    exclude_base_ids: bool = arg(False, help="Draw CrossIn/translation samples only from source ids not in the base set "
                                             "(off in the paper, which samples them from the same Alpaca it uses as base).")
    min_score: float | None = arg(None, help="Drop samples whose quality score is below this (or missing) in a language "
                                             "that has a score file.")
    score_files: list[str] = arg([], help="Quality score files (JSONL {id, score}); 'zh=path' scores one language, a bare "
                                          "path named <lang>_*.jsonl scores that language, other paths score the whole "
                                          "sample. Default: <lang>_translation_score.jsonl / <lang>_score.jsonl in the "
                                          "parallel folder.")
    langid: bool = arg(True, help="Drop samples whose instruction+output is identified as another corpus language (lingua).")
    langid_chars: int = arg(120, min=1, help="Characters checked per sample: the start of the instruction plus the start of the "
                                      "output (lingua's low-accuracy mode is reliable from ~120 characters).")
    langid_high_accuracy: bool = arg(False, help="Use lingua's high-accuracy mode (better on short texts, slower).")
    name_output_lang: bool = arg(False, help="Append a line naming the expected response language to the instruction "
                                             "(off by default, as in the paper).")
    output_lang_template: str = arg("Respond in {language}.", help="The line appended when name_output_lang is on.")
    translation_template: str = arg("Translate the following sentence into {language}.",
                                    help="Instruction of translation samples; {language} is the target language name.")
    id_prefix: str = arg("", help="Id prefix for files without ids (joined by position); default: 'alpaca' for "
                                  "alpaca_*.json files, else the file's stem.")
    hf_split: str = arg("train", help="Split of hf:<dataset> sources.")
    seed: int = arg(0, min=0, max=2**32 - 1, help="Seed of every random choice (recorded in manifest.json).")
    out: str = arg("", help="Output folder (train.jsonl, messages.jsonl, manifest.json).")

    def expand_paths(self) -> None:
        """~ and $VARS in paths, so a shipped YAML can say ${CROSSIN_DATA_DIR}/parallel_instructions_en_zh_partial."""
        self.parallel, self.base, self.out = map(expand_path, (self.parallel, self.base, self.out))
        self.score_files = [expand_path(p) for p in self.score_files]

    def validate(self) -> None:
        self.expand_paths()
        if not self.parallel and self.recipe != NONE:
            raise CrossinError("no parallel corpus given (--parallel DIR or hf:<dataset>)", path="config")
        check_fields(self)  # again: a DataConfig may be made in code, not by build_config
        if not self.out:
            raise CrossinError("no output folder given (--out DIR)", path="config")
        for name in ("output_lang_template", "translation_template"):
            check_template(getattr(self, name), ("language",), required=("language",), name=name)

    def check_combinations(self) -> None:
        """Options of `crossin data build` that would change nothing together are one-line errors. (Not part of
        validate(): an experiment shares one data section between arms with and without translation samples.)"""
        refuse_no_ops([
            (self.translation == 0 and differs(self, "translation_directions"),
             "--translation-directions does nothing without translation samples; add --translation N"),
            (self.translation == 0 and differs(self, "translation_template"),
             "--translation-template does nothing without translation samples; add --translation N"),
            (self.recipe == NONE and self.n not in (0, 5000),
             "--n counts the recipe's CrossIn samples and --recipe none has none; drop --n, or pick a recipe"),
            (not self.name_output_lang and differs(self, "output_lang_template"),
             "--output-lang-template is used only with --name-output-lang; add it or drop the template"),
            (not self.langid and (differs(self, "langid_chars") or self.langid_high_accuracy),
             "--langid-chars and --langid-high-accuracy do nothing with --no-langid; drop them or --no-langid"),
            (self.base == NONE and (differs(self, "base_n") or self.exclude_base_ids),
             "--base-n and --exclude-base-ids do nothing with --base none; drop them"),
            (self.min_score is None and bool(self.score_files),
             "--score-file is read only with --min-score (the score below which samples are dropped); add it"),
        ])
