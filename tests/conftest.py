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
