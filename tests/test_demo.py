"""`crossin demo` on the real embedded model, cut to one set in one language: cloze by default, the expected time
first, a closing line saying what the tables show, and the same results files as `crossin eval`."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from crossin.cli import app

pytestmark = pytest.mark.model


def test_demo_cloze_time_first_and_closing_line(tmp_path, data_dir):
    res = CliRunner().invoke(app, ["demo", "--limit", "1", "--langs", "en", "--out", str(tmp_path / "demo")])
    assert res.exit_code == 0, res.output
    lines = [x for x in res.output.splitlines() if x.strip()]
    assert lines[0].startswith("crossin demo: 1 sets x 1 languages x 3 benchmarks, cloze mode; expected time about")
    assert f"data: {data_dir} ($CROSSIN_DATA_DIR)" in lines[1:3]  # where the data came from (conftest sets it)
    assert lines[-1].startswith("The tables: accuracy per language (chance = 0.25 with 4 options)")
    for bench in ("cross-mmlu", "cross-logiqa", "cross-xquad-built"):
        results = json.loads((tmp_path / "demo" / "gemma-3-270m" / bench / "results.json").read_text())
        assert results["mode"] == "cloze" and results["n_sets"] == 1
    assert (tmp_path / "demo" / "report" / "report.md").is_file()

