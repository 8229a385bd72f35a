import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# CI and developers keep the shared data beside the checkout; users point CROSSIN_DATA_DIR at their own copy.
DATA_DIR = Path(os.environ.get("CROSSIN_DATA_DIR") or REPO.parent / "shared" / "data")
os.environ["CROSSIN_DATA_DIR"] = str(DATA_DIR)


@pytest.fixture(scope="session")
def data_dir() -> Path:
    if not (DATA_DIR / "cross_mmlu" / "test.jsonl").exists():
        raise RuntimeError(f"test data not found at {DATA_DIR}; set CROSSIN_DATA_DIR")
    return DATA_DIR


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
                              layer_types=["sliding_attention", "full_attention"], max_position_embeddings=4096,
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
