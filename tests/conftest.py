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

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
BENCHMARK_FILES = ("cross_mmlu/test.jsonl", "cross_logiqa/test.jsonl", "xquad/xquad.en.json")
ALPACA = "parallel_instructions_en_zh_partial"


def data_source(env: str | None, shared: Path, cache: Path) -> tuple[Path, str]:
    """(data root, how it was chosen)."""
    if env:
        return Path(env), "$CROSSIN_DATA_DIR"
    if shared.is_dir():
        return shared, "../shared/data"
    return cache, "downloaded into the crossin cache"


def fetch_test_data(root: Path) -> None:
    """The benchmark files a user's run would download, saved under `root` in the shared data's layout."""
    from crossin.benchmarks.registry import download_benchmark
    from crossin.benchmarks.xquad import download_xquad

    for name in ("cross-mmlu", "cross-logiqa"):
        download_benchmark(name, root)
    download_xquad(root / "xquad")


def _cache_data_dir() -> Path:
    from crossin.models.embedded import cache_root

    return cache_root() / "data"


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


@pytest.fixture(scope="module")
def one_torch_thread():
    """Tiny models: thread hand-offs cost more than the maths (several times slower with 2 threads on a busy box)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
