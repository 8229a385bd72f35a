"""Where the tests' real data comes from, in this order (the end of every run says which):

1. `$CROSSIN_DATA_DIR` (a user's own copy);
2. `../shared/data` beside the checkout (CI and developers);
3. the crossin cache (`<cache>/data`), filled on first use the way a user's run fetches the data: the benchmarks
   from the Hugging Face Hub (`registry.download_benchmark`), XQuAD from its GitHub release (`download_xquad`).

Offline with no local copy, a test that needs the data fails with one line saying so; the others run.
The parallel instructions (Alpaca en+zh) have no download in crossin: their tests need a local copy.
"""

import os
from pathlib import Path

import pytest

from crossin.benchmarks.registry import data_source  # the order every command uses too (one place)

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
BENCHMARK_FILES = ("cross_mmlu/test.jsonl", "cross_logiqa/test.jsonl", "xquad/xquad.en.json")
ALPACA = "parallel_instructions_en_zh_partial"


def fetch_test_data(root: Path) -> None:
    """The benchmark files a user's run would download, saved under `root` in the shared data's layout."""
    from crossin.benchmarks.registry import download_benchmark
    from crossin.benchmarks.xquad import download_xquad

    for name in ("cross-mmlu", "cross-logiqa"):
        download_benchmark(name, root)
    download_xquad(root / "xquad")


def _cache_data_dir() -> Path:
    from crossin.io import data_cache_dir

    return data_cache_dir()


DATA_DIR, DATA_SOURCE = data_source(os.environ.get("CROSSIN_DATA_DIR"), SHARED, _cache_data_dir())
os.environ["CROSSIN_DATA_DIR"] = str(DATA_DIR)
_state: dict[str, str] = {}


def pytest_terminal_summary(terminalreporter):
    terminalreporter.write_line(f"test data: {DATA_DIR} ({DATA_SOURCE})")  # shown with -q too


def ensure_data() -> Path:
    """The data root with the benchmark files, fetched once if the source is the cache; else one failure line."""
    if "error" not in _state and not all((DATA_DIR / f).is_file() for f in BENCHMARK_FILES):
        if DATA_SOURCE.startswith("downloaded"):
            from crossin.errors import CrossinError

            try:
                fetch_test_data(DATA_DIR)
            except CrossinError as e:
                _state["error"] = (f"test data: no $CROSSIN_DATA_DIR, no {SHARED}, and the download into {DATA_DIR} "
                                   f"failed: {e}")
        else:
            missing = [f for f in BENCHMARK_FILES if not (DATA_DIR / f).is_file()]
            _state["error"] = f"test data: {', '.join(missing)} not found under {DATA_DIR} ({DATA_SOURCE})"
    if "error" in _state:
        pytest.fail(_state["error"], pytrace=False)
    return DATA_DIR


def pytest_runtest_setup(item):
    # modules that read DATA_DIR at import need the data as much as tests asking for the fixture
    if "data_dir" in getattr(item, "fixturenames", ()) or hasattr(getattr(item, "module", None), "DATA_DIR"):
        ensure_data()


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return ensure_data()


@pytest.fixture(scope="session")
def alpaca_dir(data_dir) -> Path:
    """The shared Alpaca en+zh corpus (no public download in crossin: a local copy only)."""
    folder = data_dir / ALPACA
    if not (folder / "en.jsonl").is_file():
        pytest.fail(f"test data: {ALPACA}/ not found under {data_dir} ({DATA_SOURCE}); crossin cannot download it, "
                    "see ../shared/data/README.md", pytrace=False)
    return folder


@pytest.fixture(scope="session")
def real_outputs() -> Path:
    """Real chat-model answers (SeaEval v0.1's published logs; labels in tests/data/real_outputs_labels.jsonl):
    `$CROSSIN_REAL_OUTPUTS`, else `../shared/real-outputs` beside the checkout. Not downloadable: a local copy only."""
    folder = Path(os.environ.get("CROSSIN_REAL_OUTPUTS") or REPO.parent / "shared" / "real-outputs")
    path = folder / "real_chat_outputs.jsonl"
    if not path.is_file():
        pytest.fail(f"real outputs: {path} not found (set $CROSSIN_REAL_OUTPUTS to the folder with "
                    "real_chat_outputs.jsonl)", pytrace=False)
    return path


@pytest.fixture(scope="module")
def one_torch_thread():
    """Tiny models: thread hand-offs cost more than the maths (several times slower with 2 threads on a busy box)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


# --- a tiny random Gemma 3 (milliseconds per forward) shared by the eval and server tests -------------------------

@pytest.fixture(scope="session")
def tokenizer(data_dir):
    """A byte-level BPE with a 600-token vocabulary: loads in milliseconds, unlike the real 262k one."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    raw = Tokenizer(models.BPE())
    raw.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    raw.decoder = decoders.ByteLevel()
    text = [line for _, line in zip(range(200), (data_dir / "cross_mmlu" / "test.jsonl").open(encoding="utf-8"))]
    raw.train_from_iterator(text, trainers.BpeTrainer(vocab_size=600, special_tokens=["<pad>", "<eos>", "<bos>"],
                                                      initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    from tokenizers.processors import TemplateProcessing

    raw.post_processor = TemplateProcessing(single="<bos> $A", special_tokens=[("<bos>", raw.token_to_id("<bos>"))])
    return PreTrainedTokenizerFast(tokenizer_object=raw, bos_token="<bos>", eos_token="<eos>", pad_token="<pad>",
                                   padding_side="left")


@pytest.fixture(scope="session")
def tiny_dir(tmp_path_factory, tokenizer):
    """A 2-layer Gemma 3 with a 4-token sliding window, so cached cloze scoring crosses the window."""
    import torch
    from transformers import Gemma3ForCausalLM, Gemma3TextConfig

    torch.manual_seed(0)
    config = Gemma3TextConfig(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                              num_attention_heads=2, num_key_value_heads=1, head_dim=16, sliding_window=4,
                              layer_types=["sliding_attention", "full_attention"], max_position_embeddings=8192,
                              pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.bos_token_id,
                              eos_token_id=tokenizer.eos_token_id)
    model = Gemma3ForCausalLM(config).eval()
    folder = tmp_path_factory.mktemp("tiny")
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder




@pytest.fixture(scope="session")
def tiny(tiny_dir):
    from crossin.models.hf import load_model_and_tokenizer

    return load_model_and_tokenizer(str(tiny_dir), device="cpu")


def start_server(*args: str, timeout: float = 120.0):
    """A real `crossin serve` process on a free port of 127.0.0.1: (base URL, process). Stop it with proc.terminate()."""
    import subprocess
    import sys
    import time

    proc = subprocess.Popen([sys.executable, "-m", "crossin", "serve", "--host", "127.0.0.1", "--port", "0", *args],
                            stdout=subprocess.PIPE, stderr=None if os.environ.get("CROSSIN_TEST_SERVER_LOG") else subprocess.DEVNULL, text=True)
    line = proc.stdout.readline()  # "serving NAME at http://127.0.0.1:PORT/v1"
    if "http://" not in line:
        proc.kill()
        raise RuntimeError(f"crossin serve did not start: {line!r}")
    url = line.split(" at ", 1)[1].strip()
    deadline = time.monotonic() + timeout
    import urllib.request

    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url + "/models", timeout=2).read()
            return url, proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("crossin serve did not answer")


def make_adapter(model_dir, folder, seed: int, *, tied_format: bool = True, noise: float = 0.05):
    """A LoRA adapter with random (non-zero) A, B and trained-embedding weights (the paper's config: every
    projection, embeddings trained, tied), saved as crossin or PEFT saves it; `noise`: the embeddings' change."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    from crossin.models.adapter import quiet_checkpointing_deprecation, save_adapter_weights

    torch.manual_seed(seed)
    base = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    config = LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj",
                                                           "up_proj", "down_proj"],
                        modules_to_save=["embed_tokens", "lm_head"] if tied_format else None,
                        ensure_weight_tying=tied_format, init_lora_weights=False, task_type="CAUSAL_LM")
    with quiet_checkpointing_deprecation():
        model = get_peft_model(base, config)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.requires_grad and "modules_to_save" in name:
                p.add_(noise * torch.randn_like(p))
    if tied_format:
        save_adapter_weights(model, folder)
    else:
        model.save_pretrained(folder)
    return folder
