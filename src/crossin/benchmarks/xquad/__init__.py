"""Cross-XQuAD: XQuAD's 1,190 extractive questions as parallel 4-option multiple choice, built offline.

How a set is made (the paper used ChatGPT plus human review; this is the reproducible offline variant):
- The three distractors are gold answers of *other* questions of the same article, preferring, in this order,
  answers that occur in the question's passage (so matching options against the passage cannot find the gold;
  every answer of the same paragraph does), answers of the same type (number, date/year, name, short phrase,
  long phrase), similar length, the same paragraph. Candidates are picked by question id, so the options are the
  same questions' answers in every language.
- A distractor is never equal to, contained in or containing the gold answer, nor equal to another option, after
  normalisation (NFKC, case-folded, punctuation and spaces removed), in *any* validation language.
- Validation languages are all XQuAD languages found in the source folder, not only the requested ones. So the
  same folder gives the same set ids, options and order for en,zh,es,vi whether or not other languages are
  requested: a 4-language build is exactly those columns of the 12-language build.
- Gold positions are balanced: a seeded shuffle of [A, B, C, D, A, B, ...] over the kept sets; the distractors'
  order per set comes from a RNG seeded with (seed, set id). The seed is written on every line.

The optional LLM generator (the paper's method) asks an OpenAI-compatible server for three distractors in every
requested language; each proposal is validated by the same rules (in the requested languages, the only ones it
has) and replaced by the next passage answer when it fails.

The package, in the order a build runs: `text` (normalising and typing answers), `reader` (XQuAD files, the folder,
the download), `distractors` (passage candidates and the rules), `llm` (LLM proposals), `build` (the steps above
and the report), `quality` (options in the passage, trivial baselines), `entry` (the registry's entry for
cross-xquad-built).
"""

from .build import BUILD_VERSION, BuildResult, build_cross_xquad, write_build
from .distractors import N_OPTIONS
from .entry import build_cached, build_for_registry
from .llm import Generator, distractor_prompt, parse_proposals
from .quality import options_in_context, trivial_baselines
from .reader import XQUAD_LANGS, XQUAD_URL, XQUAD_URL_ENV, Question, download_xquad, find_xquad_files, read_xquad_file
from .text import ANSWER_TYPES, UNSPACED_LANGS, answer_type, clean_option, norm_key

__all__ = [
    "XQUAD_LANGS", "BUILD_VERSION", "BuildResult", "build_cross_xquad", "build_cached", "build_for_registry",
    "download_xquad", "read_xquad_file", "find_xquad_files", "trivial_baselines", "options_in_context",
    "parse_proposals", "distractor_prompt", "norm_key", "clean_option", "answer_type",
    "write_build", "Generator", "Question", "N_OPTIONS", "ANSWER_TYPES", "UNSPACED_LANGS", "XQUAD_URL", "XQUAD_URL_ENV",
]
