"""crossin.io: atomic writes give outputs the mode a plain `open()` would (the umask decides), not mkstemp's 0600;
the cache lives under $CROSSIN_CACHE, else ~/.cache/crossin."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from crossin.io import (
    atomic_write_text, built_benchmarks_dir, cache_root, data_cache_dir, embedded_model_cache_dir, eval_cache_dir,
    normal_mode, write_json, xquad_download_dir,
)


@pytest.fixture
def umask_027():
    before = os.umask(0o027)
    yield
    os.umask(before)


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.parametrize("mask", [0o022, 0o027, 0o077])
def test_atomic_write_respects_umask(tmp_path, mask):
    before = os.umask(mask)
    try:
        write_json(tmp_path / "r.json", {"a": 1})
        with open(tmp_path / "plain.txt", "w") as f:
            f.write("x")
    finally:
        os.umask(before)
    assert _mode(tmp_path / "r.json") == _mode(tmp_path / "plain.txt") == 0o666 & ~mask
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp file left behind


def test_rewrite_keeps_normal_mode_and_folder_mode(tmp_path, umask_027):
    atomic_write_text(tmp_path / "a.txt", "1")
    atomic_write_text(tmp_path / "a.txt", "2")
    assert (tmp_path / "a.txt").read_text() == "2" and _mode(tmp_path / "a.txt") == 0o640
    assert normal_mode(folder=True) == 0o750


def test_cache_paths_follow_crossin_cache_at_each_call(tmp_path, monkeypatch):
    monkeypatch.setenv("CROSSIN_CACHE", str(tmp_path))
    assert cache_root() == tmp_path
    assert eval_cache_dir() == tmp_path / "eval_cache" and built_benchmarks_dir() == tmp_path / "benchmarks"
    assert data_cache_dir() == tmp_path / "data" and xquad_download_dir() == tmp_path / "data" / "xquad"
    assert embedded_model_cache_dir() == tmp_path / "models" / "gemma-3-270m"
    for unset in ("", None):  # empty counts as unset, as before
        if unset is None:
            monkeypatch.delenv("CROSSIN_CACHE")
        else:
            monkeypatch.setenv("CROSSIN_CACHE", unset)
        assert cache_root() == Path.home() / ".cache" / "crossin"
