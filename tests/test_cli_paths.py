"""Paths a user names: a data folder that does not exist is an error (not a fall-through to a download), and
`crossin experiment list` takes an experiment's folder as well as its YAML."""

import pytest
from typer.testing import CliRunner

from crossin.cli import app

runner = CliRunner()


@pytest.mark.parametrize("args", [
    ["eval", "--bench", "cross-mmlu", "--limit", "1", "--data-dir", "/no/such/folder"],
    ["score", "--bench", "cross-mmlu", "-p", "p.jsonl", "--data-dir", "/no/such/folder"],
    ["export", "lm-eval", "--bench", "cross-mmlu", "--data-dir", "/no/such/folder"],
])
def test_missing_data_dir_is_an_error(tmp_path, monkeypatch, args):
    monkeypatch.chdir(tmp_path)
    res = runner.invoke(app, args, terminal_width=300)
    lines = res.output.strip().splitlines()
    assert res.exit_code == 2 and len(lines) == 1, res.output
    assert lines[0].startswith("error: --data-dir /no/such/folder: no such file or folder")
    assert list(tmp_path.iterdir()) == []  # nothing downloaded, nothing written


def test_missing_crossin_data_dir_is_an_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CROSSIN_DATA_DIR", str(tmp_path / "gone"))
    res = runner.invoke(app, ["eval", "--bench", "cross-mmlu", "--limit", "1"], terminal_width=300)
    assert res.exit_code == 2 and res.output.startswith(f"error: $CROSSIN_DATA_DIR {tmp_path / 'gone'}: no such"), \
        res.output
    assert list(tmp_path.iterdir()) == []


def test_experiment_list_on_an_experiment_folder(tmp_path, monkeypatch, data_dir):
    from test_experiment import FakeSteps, write_config

    from crossin.experiment import run_experiment

    monkeypatch.setenv("CROSSIN_DATA_DIR", str(data_dir))
    config = write_config(tmp_path / "c.yaml", n_boot=50)
    run_experiment(config, tmp_path / "exp", steps=FakeSteps(fail={"en-only": "train"}), report=False,
                   log=lambda _m: None)
    res = runner.invoke(app, ["experiment", "list", str(tmp_path / "exp")], terminal_width=200)
    assert res.exit_code == 0, res.output
    rows = {line.split("│")[1].strip(): line for line in res.output.splitlines() if line.count("│") >= 4}
    assert {"zero-shot", "en-only", "x2x-n8"} <= set(rows)
    assert "failed" in rows["en-only"] and "RuntimeError" in rows["en-only"]  # the error column (folded) starts so
    assert "done" in rows["x2x-n8"]
    res = runner.invoke(app, ["experiment", "list", str(tmp_path)], terminal_width=200)  # a folder, not an experiment
    assert res.exit_code == 2 and "not an experiment folder (no experiment.json, no arms/)" in res.output
    res = runner.invoke(app, ["experiment", "list", str(config)], terminal_width=200)  # the YAML still works
    assert res.exit_code == 0 and "x2x-n8" in res.output


@pytest.mark.parametrize("command", [["eval"], ["train"], ["data", "build"], ["data", "translate"], ["report"],
                                     ["experiment", "run"], ["score"], ["export", "lm-eval"], ["bench", "build-xquad"],
                                     ["serve"]])
def test_help_spells_every_metavar_one_way(command):
    """typer's own `<str>`/`<int>` everywhere: config-made options used to say TEXT/INTEGER, repeatable ones
    `<list[str]>`; `--batch-size` says it takes auto or a number."""
    import re

    res = runner.invoke(app, [*command, "--help"], terminal_width=250)
    assert res.exit_code == 0
    options = "\n".join(line for line in res.output.splitlines() if " --" in line)  # (arguments: typer's own)
    assert not re.search(r"\b(TEXT|INTEGER|FLOAT|PATH)\b|list\[", options), options
    if command == ["eval"]:
        assert "auto|<int>" in res.output
        bad = runner.invoke(app, ["eval", "--batch-size", "big"])
        assert bad.exit_code == 2 and "must be auto or a number >= 1; got 'big'" in bad.output
