"""The typed config of `crossin eval` (also what the Python API `run_eval` takes)."""

from __future__ import annotations

from dataclasses import dataclass

from ..config import arg, check_fields, differs, refuse_no_ops
from ..errors import CrossinError
from ..extraction import EXTRACTORS, OPENAI_PREFIX
from ..dtypes import DTYPES
from ..langs import PAPER_LANGS
from ..metrics import MAX_N_BOOT
from ..prompts import PROMPT_FORMATS
from .scoring import CLOZE_NORMS

MODES = ("loglik", "cloze", "generate")


@dataclass
class EvalConfig:
    model: str = arg("gemma-3-270m", help="Local model folder, Hugging Face Hub id, `gemma-3-270m` (embedded), or `openai:NAME`.")
    adapter: str | None = arg(None, help="PEFT LoRA adapter folder loaded on top of the model.")
    bench: list[str] = arg(["cross-mmlu"], help="Benchmarks: cross-mmlu, cross-logiqa, cross-xquad (released), cross-xquad-built (comma-separated).")
    langs: list[str] = arg(list(PAPER_LANGS), help="Language codes (comma-separated).")
    mode: str = arg("loglik", choices=MODES, help="loglik (letter probability), cloze (option text, length-normalised) or "
                                                  "generate; all three work with local models and OpenAI-compatible servers.")
    cloze_norm: str = arg("chars", choices=CLOZE_NORMS, help="Cloze score of an option: log-likelihood per character (chars, lm-eval acc_norm), per UTF-8 byte "
                                                        "(bytes, acc_bytes), per token (tokens), the sum (none), or minus its log-likelihood after \"Answer:\" (pmi).")
    circular: bool = arg(False, help="Ask every cyclic rotation of the options; an answer counts only when all rotations agree "
                              "(loglik, generate; refused with cloze, whose prompt does not show the options).")
    template: str = arg("1", help="Prompt template: crossin's 1-5 (also crossin:N), SeaEval v0.1's seaeval:1-5, or all "
                                  "(every crossin template; seaeval:all for SeaEval's) with the median and range over them.")
    num_fewshot: int = arg(0, min=0, help="Solved examples before each question: whole sets drawn with the seed from the benchmark's "
                                  "other sets, the same sets in every language, each shown in that language.")
    prompt_lang: str = arg("en", choices=("en", "native"), help="Language of the prompt's instruction and labels (Question, Choices, Context, Answer): "
                                     "en, or native (each item's own language; template 1 and seaeval:1-5).")
    prompt_format: str = arg("alpaca", choices=PROMPT_FORMATS, help="Prompt formatter shared with training: alpaca, plain or chat.")
    system_prompt: str | None = arg(None, help="A system prompt (lm-eval's --system_instruction): the chat's system turn with "
                                    "--prompt-format chat (in process and for servers), else written before the prompt.")
    fewshot_as_multiturn: bool = arg(True, help="--prompt-format chat: few-shot examples as earlier user/assistant turns "
                                     "(lm-eval's --fewshot_as_multiturn); off: inside the one user turn.")
    limit: int | None = arg(None, min=1, help="Use only the first N sets of each benchmark.")
    batch_size: int | str = arg("auto", min=1, choices=("auto",), help="auto or a whole number: questions per forward pass (HF) or concurrent requests (OpenAI); `auto`: "
                                             "batches by a token budget sized for the device (HF), 8 requests (OpenAI).")
    max_new_tokens: int = arg(48, min=1, max=4096, help="Generate mode: greedy decoding length.")
    out: str | None = arg("runs/eval", help="Output folder: <out>/<bench>/results.json and samples_<bench>.jsonl.")
    cache_dir: str | None = arg(None, help="Request cache folder (default: $CROSSIN_CACHE/eval_cache).")
    no_cache: bool = arg(False, help="Neither read nor write the request cache.")
    data_dir: str | None = arg(None, help="Local data root (default: $CROSSIN_DATA_DIR, else the Hub).")
    bench_file: str | None = arg(None, help="A SeaEval-format JSONL to use instead of the registered source (one benchmark only).")
    device: str | None = arg(None, pattern=r"cpu|mps|cuda(:\d+)?|xpu(:\d+)?", help="cpu, cuda, cuda:1 ... (default: cuda when present).")
    dtype: str | None = arg(None, choices=tuple(DTYPES), help=f"{', '.join(DTYPES)} (default: bf16 on CUDA, fp32 on CPU).")
    base_url: str | None = arg(None, pattern=r"https?://[^,\s]+(,\s*https?://[^,\s]+)*|[^:,\s]+", help="OpenAI-compatible server URL, e.g. http://localhost:8000/v1 (with --model openai:NAME); several "
                                                   "comma-separated, or a file with one per line: requests go to the least busy, a failed server's to the others.")
    threads: int | None = arg(None, min=1, help="CPU threads for torch (default: torch's choice; 1 is faster on a busy machine).")
    seed: int = arg(0, min=0, max=2**32 - 1, help="Seed recorded in the output and used for the bootstrap CIs (decoding is greedy).")
    n_boot: int = arg(1000, min=1, max=MAX_N_BOOT, help="Bootstrap resamples for the confidence intervals.")
    extractor: str = arg("crossin", choices=EXTRACTORS, help="Generate mode: who reads the answers: crossin, seaeval "
                         "(SeaEval's rule, random fill seeded by --seed), judge (an LLM: --judge-model, --judge-base-url) or "
                         "crossin+judge (the rules, then the judge only for what they leave unread).")
    judge_model: str | None = arg(None, pattern=r"openai:\S+", help="--extractor judge or crossin+judge: openai:NAME on the judge server.")
    judge_base_url: str | None = arg(None, pattern=r"https?://\S+", help="--extractor judge or crossin+judge: OpenAI-compatible server URL.")
    think_end_token: str | None = arg(None, help="Generate mode: a reasoning model's end-of-thinking token (like lm-eval's "
                                      "think_end_token) for delimiters crossin does not know; the thinking is never read as the answer.")
    subset: str = arg("all", choices=("all", "cs", "ca"), help="Global-MMLU's culturally sensitive (cs) or agnostic (ca) "
                                                             "questions only; all: every question, with each subset's metrics too.")

    def validate(self) -> None:
        """Every check of an eval config, before any model or data loads (configs made in code too): the declared
        constraints, then the rules between fields (`check_prompt_options`, `check_combinations`, `check_sources`)."""
        from ..extraction import check_spec

        check_fields(self)
        check_prompt_options(self)
        check_spec(extractor_spec(self))
        if (self.extractor != "crossin" or self.think_end_token is not None) and self.mode != "generate":
            raise CrossinError(f"--extractor {self.extractor} reads generated text: it needs --mode generate")
        check_combinations(self)  # options that would change nothing together
        check_sources(self)


def extractor_spec(config: EvalConfig):
    from ..extraction import ExtractorSpec

    return ExtractorSpec(name=config.extractor, seed=config.seed, judge_model=config.judge_model,
                         judge_base_url=config.judge_base_url, cache_dir=config.cache_dir, no_cache=config.no_cache,
                         think_end_token=config.think_end_token)


def check_prompt_options(config: EvalConfig) -> None:
    """Template and prompt language."""
    from ..prompts import parse_template
    from .requests import templates_to_run

    for name in templates_to_run(config.template):
        family, number = parse_template(name)
        if config.prompt_lang == "native" and family == "crossin" and number != 1:
            raise CrossinError(f"--prompt-lang native exists for template 1 and seaeval:1-5, not template {name} "
                               "(add its translations to crossin/prompt_texts.py)")
    if config.prompt_lang == "native":
        from ..langs import parse_langs
        from ..prompt_texts import PROMPT_TEXTS

        missing = [lang for lang in parse_langs(config.langs) if lang not in PROMPT_TEXTS]
        if missing:
            raise CrossinError(f"--prompt-lang native has no texts for {', '.join(missing)} "
                               f"(crossin/prompt_texts.py has {', '.join(PROMPT_TEXTS)})")


def check_sources(config: EvalConfig) -> None:
    """The benchmarks and the model: what is asked of them exists."""
    if not config.bench:
        raise CrossinError("no benchmark given (--bench)")
    if config.subset != "all":  # before the model loads: a benchmark without subsets would fail only after it
        from ..benchmarks import get_spec

        no_subsets = [name for name in config.bench if not get_spec(name).subsets]
        if no_subsets:
            raise CrossinError(f"--subset {config.subset}: {', '.join(no_subsets)} has no subsets (global-mmlu has cs, ca)")
    if config.bench_file and len(config.bench) > 1:
        raise CrossinError("--bench-file works with one benchmark at a time")
    if config.model.startswith(OPENAI_PREFIX):
        if not config.model[len(OPENAI_PREFIX):].strip():
            raise CrossinError("--model openai:NAME needs the served model's NAME")
        if not config.base_url:
            raise CrossinError("--model openai:NAME needs --base-url (e.g. http://localhost:8000/v1)")
        if config.adapter:
            raise CrossinError("--adapter is for local models; serve the adapter with the OpenAI-compatible server instead")


def check_combinations(config: EvalConfig) -> None:
    """Options that would change nothing in this combination are one-line errors (before anything loads), and so
    is a data folder that does not exist (rather than a fall-through to a download)."""
    from ..benchmarks.registry import check_data_dir, default_data_dir
    from ..langs import parse_langs

    if config.data_dir:
        check_data_dir(config.data_dir)
    else:
        default_data_dir()
    from ..prompts import parse_template
    from .requests import templates_to_run

    api = config.model.startswith("openai:")
    templates = templates_to_run(config.template)
    crossin_beyond_1 = [t for t in templates if parse_template(t)[0] == "crossin" and parse_template(t)[1] != 1]
    refuse_no_ops([
        (not config.fewshot_as_multiturn and (config.prompt_format != "chat" or not config.num_fewshot),
         "--no-fewshot-as-multiturn changes nothing without --prompt-format chat and --num-fewshot (the examples "
         "are turns only in a chat)"),
        (config.mode == "cloze" and config.circular,
         "--circular changes nothing in cloze mode (the prompt does not list the options, so their order cannot "
         "matter); drop it, or use --mode loglik or generate"),
        (config.mode == "cloze" and bool(crossin_beyond_1),
         f"--template {config.template} in cloze mode runs template 1's prompt"
         f"{' five times' if len(templates) > 1 else ''}: crossin's templates differ only in how they list the "
         "options, which cloze mode does not show; use --template seaeval:all (or seaeval:N)"),
        (config.prompt_lang == "native" and set(parse_langs(config.langs)) == {"en"},
         "--prompt-lang native with only English in --langs is the English prompt; drop it"),
        (api and any(getattr(config, f) is not None for f in ("device", "dtype", "threads")),
         "--device, --dtype and --threads are for local models; the server at --base-url runs openai: models "
         "(set them there)"),
        (not api and config.base_url is not None,
         f"--base-url is for --model openai:NAME; {config.model} runs locally (drop --base-url, or use openai:NAME)"),
        (config.mode != "generate" and differs(config, "max_new_tokens"),
         f"--max-new-tokens is for --mode generate; {config.mode} scores the options and generates nothing"),
        (config.no_cache and config.cache_dir is not None,
         "--cache-dir with --no-cache: nothing is read or written there; drop one of them"),
        (config.bench_file is not None and config.data_dir is not None,
         "--bench-file replaces the benchmark's local copy, so --data-dir is not read; drop one of them"),
    ])
