"""crossin.io: atomic writes give outputs the mode a plain `open()` would (the umask decides), not mkstemp's 0600."""

from __future__ import annotations

import os
import stat

import pytest

from crossin.io import atomic_write_text, normal_mode, write_json


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
