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
