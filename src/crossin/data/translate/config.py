"""`TranslateConfig`: everything `crossin data translate` needs, from YAML (`--config`) and flags."""

from __future__ import annotations

import os
from dataclasses import dataclass

from ...config import arg, check_fields, check_template, differs, expand_path, refuse_no_ops
from ...errors import CrossinError
from ...langs import parse_langs, to_code
from ...registry import Registry

# --engine: each class builds itself from a TranslateConfig (`from_config`); imported on first use (torch for hf only)
ENGINES = Registry("translation engine", {"openai": "crossin.data.translate.engines:OpenAIEngine",
                                          "hf": "crossin.data.translate.engines:HFEngine"})

# The one recorded translation prompt of the openai engine; {source}, {target} are language names, {text} the text.
DEFAULT_PROMPT = (
    "Translate the following text from {source} into {target}. Keep code, URLs, numbers and anything in curly "
    "braces exactly as they are. Reply with the translation only, without notes or quotes.\n\n{text}"
)
PROMPT_FIELDS = ("source", "target", "text")


@dataclass
class TranslateConfig:
    input: str = arg("", help="Source corpus: a JSON/JSONL file of {id?, instruction, input, output} objects, or a "
                              "folder holding <from>.jsonl / alpaca_<from>.json.")
    source_lang: str = arg("en", help="Language of the input (--from).")
    target_langs: list[str] = arg([], help="Languages to translate into (--to), e.g. es,vi.")
    out: str = arg("", help="Output folder: <lang>.jsonl per language (plus the source), "
                            "<lang>_translation_score.jsonl, failures.jsonl, manifest.json, cache/.")
    engine: str = arg("openai", choices=ENGINES, help="openai (any OpenAI-compatible server) or hf (a local transformers "
                                     "translation model: MarianMT, NLLB or M2M100).")
    model: str = arg("", help="Model name on the server (openai) or a local folder / Hub id (hf).")
    base_url: str = arg("", help="Server URL ending in /v1 (openai engine), e.g. http://127.0.0.1:8000/v1; several "
                                 "comma-separated, or a file with one per line (as crossin eval's --base-url).")
    api_key: str = arg("", help="API key (openai engine; default: $OPENAI_API_KEY). Never recorded.")
    prompt: str = arg(DEFAULT_PROMPT, help="Translation prompt (openai engine): {source}, {target}, {text}.")
    concurrency: int = arg(8, min=1, help="Requests in flight at once (openai engine).")
    max_tokens: int = arg(1024, min=1, help="Most tokens generated per request; an answer that reaches it is 'cut short'.")
    stop: list[str] = arg([], help="Stop strings sent to the server (openai engine), also applied to the answer, so "
                                   "a base model prompted '{source}: {text}\\n{target}:' can stop at the next pair "
                                   "('\\nEnglish:'; a bare '\\n' cuts multi-line answers).")
    temperature: float = arg(0.0, min=0, help="Sampling temperature of the first try (openai engine; 0 = greedy).")
    retry_temperature: float = arg(0.7, min=0, help="Temperature of the one retry (openai engine; the hf engine retries "
                                             "with beam search).")
    timeout: float = arg(300.0, above=0, help="Seconds to wait for one answer (openai engine).")
    retries: int = arg(5, min=1, help="Tries per request on a connection error, HTTP 429 or 5xx, with exponential backoff.")
    batch_size: int = arg(16, min=1, help="Texts per generate() call (hf engine).")
    device: str = arg("", help="hf engine: cpu, cuda, ... (default: cuda when present).")
    round_trip: bool = arg(False, help="Also translate each translation back and record its chrF against the "
                                       "source (sacrebleu) in the score file.")
    round_trip_model: str = arg("", help="Model of the back-translation (default: --model; a one-way MarianMT "
                                         "model such as opus-mt-en-es needs its reverse, opus-mt-es-en).")
    min_langid_chars: int = arg(20, min=0, help="A translated piece with at least this many letters must be identified as "
                                         "the target language (shorter ones are too short to tell).")
    id_prefix: str = arg("", help="Id prefix for input records without ids (as in `crossin data build`).")
    seed: int = arg(0, min=0, max=2**63 - 1, help="Seed sent with every request (recorded in manifest.json).")
    chunk: int = arg(256, min=1, help="Samples per round of requests: progress and the output order do not depend on it.")

    def validate(self) -> None:
        """Checked before any model or data loads (after the field constraints, also for configs made in code)."""
        check_fields(self)
        self.input, self.out = expand_path(self.input), expand_path(self.out)
        if not self.input:
            raise CrossinError("no input given (--input FILE_OR_DIR)", path="config")
        if not self.out:
            raise CrossinError("no output folder given (--out DIR)", path="config")
        self.source_lang = to_code(self.source_lang)
        if not self.target_langs:
            raise CrossinError("no target languages given (--to es,vi)", path="config")
        self.target_langs = list(parse_langs(self.target_langs))
        if self.source_lang in self.target_langs:
            raise CrossinError(f"the source language {self.source_lang!r} is also a target", path="config")
        if not self.model:
            raise CrossinError("no model given (--model)", path="config")
        if self.engine == "hf" and self.model.startswith(("/", ".", "~")):  # a path, not a Hub id: there now
            self.model = expand_path(self.model)
            if not os.path.isdir(self.model):
                raise CrossinError("model folder not found", path=self.model)
        if self.engine == "openai":
            if not self.base_url:
                raise CrossinError("the openai engine needs --base-url (e.g. http://127.0.0.1:8000/v1)", path="config")
            from ...models.servers import parse_base_urls

            parse_base_urls(self.base_url)
            check_template(self.prompt, PROMPT_FIELDS, required=("text",), name="prompt")
        self.check_combinations()

    def check_combinations(self) -> None:
        """Options of the other engine, or of an option that is off, would change nothing: one-line errors."""
        openai_only = [f for f in ("base_url", "api_key", "prompt", "concurrency", "stop", "temperature",
                                   "retry_temperature", "timeout") if differs(self, f)]
        hf_only = [f for f in ("batch_size", "device") if differs(self, f)]
        flags = lambda names: ", ".join("--" + n.replace("_", "-") for n in names)  # noqa: E731
        refuse_no_ops([
            (self.engine == "hf" and bool(openai_only),
             f"{flags(openai_only)} {'is' if len(openai_only) == 1 else 'are'} for --engine openai; the hf engine "
             "runs a local translation model (drop them, or use --engine openai)"),
            (self.engine == "openai" and bool(hf_only),
             f"{flags(hf_only)} {'is' if len(hf_only) == 1 else 'are'} for --engine hf; with --engine openai the "
             "server batches and picks its device (use --concurrency)"),
            (not self.round_trip and differs(self, "round_trip_model"),
             "--round-trip-model is used only with --round-trip; add it or drop the model"),
        ])
