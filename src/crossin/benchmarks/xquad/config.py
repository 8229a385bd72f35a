"""The config of `crossin bench build-xquad` (crossin.cli.bench reads it from flags and YAML)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ...config import arg, check_fields, refuse_no_ops
from ...errors import CrossinError


@dataclass
class XquadBuildConfig:
    out: str = arg("", help="Write the sets here (SeaEval JSONL, loadable as --bench cross-xquad-built --bench-file FILE).")
    xquad_dir: str | None = arg(None, help="Folder of xquad.<lang>.json (default: $CROSSIN_DATA_DIR/xquad, else download).")
    langs: str = arg("en,zh,es,vi", help="Comma-separated codes, or 'all' for every language in the folder.")
    seed: int = arg(0, min=0, max=2**32 - 1, help="Seed of the option order (recorded on every line).")
    report: str | None = arg(None, help="Write the quality report (JSON) here.")
    generator: str = arg("passage", choices=("passage", "openai"), help="passage (offline) or openai (LLM-proposed "
                                                                        "distractors, validated, with passage fallback).")
    base_url: str | None = arg(None, url=True, help="OpenAI-compatible server, e.g. http://127.0.0.1:8000/v1 "
                                                    "(--generator openai).")
    model: str | None = arg(None, help="Model name sent to the server (--generator openai).")
    workers: int = arg(4, min=1, help="Concurrent requests to the server.")
    llm_cache: str | None = arg(None, help="Replies log for resuming (default: <out>.llm.jsonl).")

    def validate(self) -> None:
        """Every check of a build config, before XQuAD is read or downloaded."""
        check_fields(self)
        if not self.out:
            raise CrossinError("no output file given (--out FILE)")
        refuse_no_ops([(self.generator != "openai" and any(v is not None for v in (self.base_url, self.model,
                                                                                    self.llm_cache)),
                        "--base-url, --model and --llm-cache are for --generator openai; the passage generator is "
                        "offline (drop them, or add --generator openai)"),
                       (self.generator != "openai" and self.workers != 4,
                        "--workers sets concurrent requests of --generator openai; the passage generator sends none")])
        if self.generator == "openai" and (not self.base_url or not self.model):
            raise CrossinError("--generator openai needs --base-url and --model")

    def cache_file(self) -> Path | None:
        """The LLM replies log of --generator openai."""
        if self.generator != "openai":
            return None
        return Path(self.llm_cache) if self.llm_cache else Path(self.out).with_name(Path(self.out).name + ".llm.jsonl")
