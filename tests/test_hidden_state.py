"""No hidden state left behind (issue 36): a library call gives torch's thread count back, never changes the caller's
tokenizer, and `run_eval` from Python writes the results.json blocks `crossin eval` writes."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from crossin.cli import app
from crossin.evaluate import EvalConfig, run_eval
from crossin.evaluate.hf_backend import HFBackend

DATA_DIR = Path(os.environ["CROSSIN_DATA_DIR"])  # set by conftest.py

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture
def no_pad(tiny):
    """A copy of the tiny tokenizer without a pad token (as many base models ship)."""
    tok = copy.deepcopy(tiny[1])
    tok.pad_token = None
    assert tok.pad_token_id is None
    return tok


def test_the_hf_backend_scores_without_changing_the_callers_tokenizer(tiny, no_pad):
    model, tok = tiny
    requests = [("Question: what is the capital of France?\nAnswer:", " Paris"), ("Short?\n", " a b c")]
    want = HFBackend(model=model, tokenizer=tok).loglikelihood(requests)
    got = HFBackend(model=model, tokenizer=no_pad).loglikelihood(requests)  # padded with eos, masked out
    assert [g[0] for g in got] == pytest.approx([w[0] for w in want], abs=1e-4)
    assert no_pad.pad_token is None and no_pad.pad_token_id is None


def test_the_server_engine_leaves_the_callers_tokenizer_alone(tiny, no_pad):
    from crossin.serve.engine import Engine

    engine = Engine(tiny[0], no_pad)
    assert engine.pad_id == no_pad.eos_token_id
    assert no_pad.pad_token is None


def _config(tiny_dir, out, **kw):
    return EvalConfig(model=str(tiny_dir), bench=["cross-mmlu"], langs=["en", "zh"], limit=2, batch_size=2,
                      data_dir=str(DATA_DIR), out=str(out), no_cache=True, n_boot=10, **kw)


def test_run_eval_gives_torch_its_thread_count_back(tiny_dir, tmp_path):
    assert torch.get_num_threads() == 1  # one_torch_thread
    run_eval(_config(tiny_dir, tmp_path / "out", threads=2), progress=False)
    assert torch.get_num_threads() == 1


def test_run_eval_from_python_writes_what_the_cli_writes(tiny_dir, tmp_path):
    run_eval(_config(tiny_dir, tmp_path / "python"), progress=False)
    cli = CliRunner().invoke(app, ["eval", "--model", str(tiny_dir), "--bench", "cross-mmlu", "--langs", "en,zh",
                                   "--limit", "2", "--batch-size", "2", "--data-dir", str(DATA_DIR), "--no-cache",
                                   "--n-boot", "10", "--out", str(tmp_path / "cli"), "--quiet"])
    assert cli.exit_code == 0, cli.output
    python, command = (json.loads((tmp_path / d / "cross-mmlu" / "results.json").read_text())
                       for d in ("python", "cli"))
    assert sorted(python) == sorted(command) and "lm_eval" in python
    assert python["lm_eval"]["results"] == command["lm_eval"]["results"]
    assert python["accuracy"] == command["accuracy"]
