"""The typed config of `crossin eval` (also what the Python API `run_eval` takes)."""

from __future__ import annotations

from dataclasses import dataclass

from ..config import arg
from ..langs import PAPER_LANGS
from ..metrics import MAX_N_BOOT
from ..models.hf import DTYPES
from ..prompts import PROMPT_FORMATS

MODES = ("loglik", "cloze", "generate")


@dataclass
class EvalConfig:
    model: str = arg("gemma-3-270m", help="Local model folder, Hugging Face Hub id, `gemma-3-270m` (embedded), or `openai:NAME`.")
    adapter: str | None = arg(None, help="PEFT LoRA adapter folder loaded on top of the model.")
    bench: list[str] = arg(["cross-mmlu"], help="Benchmarks: cross-mmlu, cross-logiqa, cross-xquad (released), cross-xquad-built (comma-separated).")
    langs: list[str] = arg(list(PAPER_LANGS), help="Language codes (comma-separated).")
    mode: str = arg("loglik", choices=MODES, help="loglik (letter probability), cloze (option text, length-normalised) or "
                                                  "generate; all three work with local models and OpenAI-compatible servers.")
    circular: bool = arg(False, help="Ask every cyclic rotation of the options; an answer counts only when all rotations agree "
                              "(loglik, generate; cloze is order-free already).")
    template: str = arg("1", help="Prompt template: crossin's 1-5 (also crossin:N), SeaEval v0.1's seaeval:1-5, or all "
                                  "(every crossin template; seaeval:all for SeaEval's) with the median and range over them.")
    num_fewshot: int = arg(0, min=0, help="Solved examples before each question: whole sets drawn with the seed from the benchmark's "
                                  "other sets, the same sets in every language, each shown in that language.")
    prompt_lang: str = arg("en", choices=("en", "native"), help="Language of the prompt's instruction and labels (Question, Choices, Context, Answer): "
                                     "en, or native (each item's own language; template 1 and seaeval:1-5).")
    prompt_format: str = arg("alpaca", choices=PROMPT_FORMATS, help="Prompt formatter shared with training: alpaca, plain or chat.")
    limit: int | None = arg(None, min=1, help="Use only the first N sets of each benchmark.")
    batch_size: int | str = arg("auto", min=1, choices=("auto",), help="Questions per forward pass (HF) or concurrent requests (OpenAI); `auto`: "
                                             "batches by a token budget sized for the device (HF), 8 requests (OpenAI).")
    max_new_tokens: int = arg(48, min=1, max=4096, help="Generate mode: greedy decoding length.")
    out: str | None = arg("runs/eval", help="Output folder: <out>/<bench>/results.json and samples_<bench>.jsonl.")
    cache_dir: str | None = arg(None, help="Request cache folder (default: $CROSSIN_CACHE/eval_cache).")
    no_cache: bool = arg(False, help="Neither read nor write the request cache.")
    data_dir: str | None = arg(None, help="Local data root (default: $CROSSIN_DATA_DIR, else the Hub).")
    bench_file: str | None = arg(None, help="A SeaEval-format JSONL to use instead of the registered source (one benchmark only).")
    device: str | None = arg(None, pattern=r"cpu|mps|cuda(:\d+)?|xpu(:\d+)?", help="cpu, cuda, cuda:1 ... (default: cuda when present).")
    dtype: str | None = arg(None, choices=tuple(DTYPES), help=f"{', '.join(DTYPES)} (default: bf16 on CUDA, fp32 on CPU).")
    base_url: str | None = arg(None, pattern=r"https?://\S+", url=True, help="OpenAI-compatible server URL, e.g. http://localhost:8000/v1 (with --model openai:NAME).")
    threads: int | None = arg(None, min=1, help="CPU threads for torch (default: torch's choice; 1 is faster on a busy machine).")
    seed: int = arg(0, min=0, max=2**32 - 1, help="Seed recorded in the output and used for the bootstrap CIs (decoding is greedy).")
    n_boot: int = arg(1000, min=1, max=MAX_N_BOOT, help="Bootstrap resamples for the confidence intervals.")
