"""Where the tests' data comes from (tests/conftest.py): $CROSSIN_DATA_DIR, else ../shared/data, else a download into
the crossin cache; offline with no copy, a test needing data fails with one line and the others pass.

The checkout is simulated by copying conftest.py into a temporary folder (so there is no ../shared/data beside
it) and running pytest there in a subprocess; a real HTTP server on 127.0.0.1 stands in for the XQuAD release."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

from conftest import data_source
from openai_stub_server import StubServer

TESTS = Path(__file__).resolve().parent
SRC = TESTS.parent / "src"

NEEDS_DATA = '''
def test_reads_cross_mmlu(data_dir):
    from crossin.benchmarks import load_benchmark
    bench = load_benchmark("cross-mmlu", "en,zh", data_dir=data_dir)
    assert len(bench) == 150 and (data_dir / "xquad" / "xquad.zh.json").is_file()
'''
NO_DATA = '''
def test_without_data():
    assert 1 + 1 == 2
'''


def test_source_order(tmp_path):
    shared, cache = tmp_path / "shared", tmp_path / "cache"
    assert data_source(None, shared, cache) == (cache, "downloaded into the crossin cache")
    shared.mkdir()
    assert data_source(None, shared, cache) == (shared, "../shared/data")
    assert data_source(str(tmp_path / "mine"), shared, cache) == (tmp_path / "mine", "$CROSSIN_DATA_DIR")


def _checkout(tmp_path: Path) -> Path:
    tests = tmp_path / "checkout" / "tests"
    tests.mkdir(parents=True)
    shutil.copy(TESTS / "conftest.py", tests / "conftest.py")
    (tests / "test_needs_data.py").write_text(NEEDS_DATA)
    (tests / "test_no_data.py").write_text(NO_DATA)
    return tests


def _pytest(tests: Path, cache: Path, **env) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k != "CROSSIN_DATA_DIR"}
    environ.update(PYTHONPATH=str(SRC), CROSSIN_CACHE=str(cache), HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1",
                   HF_HOME=str(cache / "hf"), **env)
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rfE", str(tests)],
                          capture_output=True, text=True, env=environ, cwd=tests.parent, timeout=300)


def test_fetch_into_cache_from_a_file_server(tmp_path, data_dir):
    """No local copy: XQuAD is downloaded from the (local) release server into <cache>/data/xquad, where later runs
    find it; the Hub benchmarks are placed in the cache beforehand (the Hub cannot be served locally)."""
    cache = tmp_path / "cache"
    for rel in ("cross_mmlu/test.jsonl", "cross_logiqa/test.jsonl"):
        (cache / "data" / rel).parent.mkdir(parents=True)
        shutil.copy(data_dir / rel, cache / "data" / rel)
    tests = _checkout(tmp_path)
    with StubServer(static_dir=data_dir / "xquad") as server:
        res = _pytest(tests, cache, CROSSIN_XQUAD_URL=server.files_url + "/xquad.{lang}.json")
    assert res.returncode == 0, res.stdout + res.stderr
    assert f"test data: {cache / 'data'} (downloaded into the crossin cache)" in res.stdout
    served = sorted(p.name for p in (data_dir / "xquad").glob("xquad.*.json"))
    assert sorted(p.name for p in (cache / "data" / "xquad").iterdir()) == served
    assert (cache / "data" / "xquad" / "xquad.th.json").read_bytes() == (data_dir / "xquad" / "xquad.th.json").read_bytes()


def test_offline_without_copy_fails_with_one_line(tmp_path):
    with socket.socket() as s:  # a release server that is not there
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    tests = _checkout(tmp_path)
    res = _pytest(tests, tmp_path / "cache", CROSSIN_XQUAD_URL=f"http://127.0.0.1:{port}/xquad.{{lang}}.json")
    assert res.returncode == 1, res.stdout + res.stderr
    assert "1 passed, 1 error" in res.stdout  # the test needing data fails in its setup, the other passes
    failure = [line for line in res.stdout.splitlines() if line.startswith("ERROR")]
    assert len(failure) == 1 and "test_reads_cross_mmlu" in failure[0], res.stdout
    message = [line for line in res.stdout.splitlines() if line.startswith("test data: no $CROSSIN_DATA_DIR")]
    assert len(message) == 1 and "could not download SeaEval/cross_mmlu" in message[0]  # the reason, on one line
    assert "Traceback" not in res.stdout and "conftest.py:" not in res.stdout


def test_commands_find_data_as_the_tests_do(monkeypatch):
    """The package's order is the tests' (one function): from this checkout, ../shared/data beside it when
    $CROSSIN_DATA_DIR is unset; and a command says where its data came from."""
    from crossin.benchmarks.registry import DOWNLOAD, checkout_shared_data, current_data_source, data_source_line

    assert checkout_shared_data() == TESTS.parent.parent / "shared" / "data"
    monkeypatch.delenv("CROSSIN_DATA_DIR")
    shared = checkout_shared_data()
    assert current_data_source() == ((shared, "../shared/data") if shared.is_dir() else (None, DOWNLOAD))
    monkeypatch.setenv("CROSSIN_DATA_DIR", str(TESTS))
    assert data_source_line() == f"data: {TESTS} ($CROSSIN_DATA_DIR)"


def test_an_installed_package_run_in_a_checkout_finds_its_shared_data(tmp_path, monkeypatch):
    """`pip install . && crossin demo` in a checkout: the package lies in site-packages, the checkout is the current
    folder, and ../shared/data beside it is found; a folder that is not a crossin checkout finds nothing."""
    import crossin.benchmarks.registry as registry

    checkout = tmp_path / "crossin"
    checkout.mkdir()
    (checkout / "pyproject.toml").write_text('[project]\nname = "crossin"\nversion = "0"\n')
    site = tmp_path / "site-packages" / "crossin" / "benchmarks" / "registry.py"
    monkeypatch.setattr(registry, "__file__", str(site))
    assert registry.checkout_shared_data(cwd=checkout) == tmp_path / "shared" / "data"
    other = tmp_path / "other"
    other.mkdir()
    (other / "pyproject.toml").write_text('[project]\nname = "not-crossin"\n')
    assert registry.checkout_shared_data(cwd=other) is None
    assert registry.checkout_shared_data(cwd=tmp_path) is None
