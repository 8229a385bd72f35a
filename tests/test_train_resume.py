"""`crossin train --resume` after a kill, on a tiny random model (seconds). The kill is simulated by the state it
leaves on disk: a checkpoint folder cut short, or a final checkpoint without its adapter."""

from __future__ import annotations

import json
import shutil

import pytest
import torch
from safetensors.torch import load_file
from test_train import _build_tiny, _cfg, _log

from crossin.train import train

pytestmark = pytest.mark.usefixtures("one_torch_thread")
KW = dict(lr_scheduler="constant", per_device_batch_size=2, effective_batch_size=2)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return _build_tiny(tmp_path_factory.mktemp("tiny"), "gemma3")


@pytest.fixture(scope="module")
def uninterrupted(tiny, tmp_path_factory):
    """The adapter of one run of 3 steps without a kill: what every resumed run must reproduce."""
    model, data = tiny
    return train(_cfg(model, data, tmp_path_factory.mktemp("full") / "out", max_steps=3, save_steps=1, **KW))


def _same_weights(a_dir, b_dir) -> None:
    a, b = load_file(a_dir / "adapter_model.safetensors"), load_file(b_dir / "adapter_model.safetensors")
    assert a.keys() == b.keys()
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=1e-5, atol=1e-6)


def _killed_at_step_2(tiny, out):
    """A run of max 3 steps killed right after checkpoint-2: its adapter was never written."""
    model, data = tiny
    shutil.rmtree(train(_cfg(model, data, out, max_steps=2, save_steps=1, **KW)))
    return model, data


@pytest.mark.parametrize("partial", ["empty folder", "weights only", "torn trainer_state"])
def test_resume_skips_a_checkpoint_cut_short(tiny, uninterrupted, tmp_path, partial):
    """Defect 2: a kill while checkpoint-3 was being written left it incomplete; resume goes on from checkpoint-2
    (and says so) instead of failing with transformers' "Can't find a valid checkpoint"."""
    out = tmp_path / "out"
    model, data = _killed_at_step_2(tiny, out)
    partial_dir = out / "checkpoints" / "checkpoint-3"
    partial_dir.mkdir()  # transformers' save_model makes the folder first, then fills it
    if partial != "empty folder":
        shutil.copy(out / "checkpoints" / "checkpoint-2" / "adapter_model.safetensors", partial_dir)
        shutil.copy(out / "checkpoints" / "checkpoint-2" / "adapter_config.json", partial_dir)
    if partial == "torn trainer_state":
        text = (out / "checkpoints" / "checkpoint-2" / "trainer_state.json").read_text()
        (partial_dir / "trainer_state.json").write_text(text[: len(text) // 2])
    said: list[str] = []
    resumed = train(_cfg(model, data, out, max_steps=3, save_steps=1, resume=True, **KW), log=said.append)
    assert any("incomplete checkpoint" in m and "checkpoint-3" in m for m in said)
    _same_weights(uninterrupted, resumed)
    assert [r["step"] for r in _log(out)] == [1, 2, 3]
    assert json.loads((out / "train_config.json").read_text())["result"]["global_step"] == 3


def test_resume_from_the_final_checkpoint_does_not_train_past_max_steps(tiny, uninterrupted, tmp_path):
    """Defect 3: killed while the adapter was being saved (checkpoint-3 complete, adapter/ only a temp folder);
    --resume writes the adapter of step 3 and trains no step 4; the record and the log stay as they were."""
    model, data = tiny
    out = tmp_path / "out"
    adapter = train(_cfg(model, data, out, max_steps=3, save_steps=1, **KW))
    record_before = json.loads((out / "train_config.json").read_text())
    log_before = (out / "train_log.jsonl").read_text()
    stale = out / ".crossin-tmp-999999999-0a0b0c0d-adapter"  # a kill during save_adapter leaves it (a dead pid)
    adapter.rename(stale)
    said: list[str] = []
    resumed = train(_cfg(model, data, out, max_steps=3, save_steps=1, resume=True, **KW), log=said.append)
    assert not stale.exists() and any("killed run" in m for m in said)
    record = json.loads((out / "train_config.json").read_text())
    assert record["result"]["global_step"] == 3 and record["result"] == record_before["result"]
    assert (out / "train_log.jsonl").read_text() == log_before
    assert not (out / "checkpoints" / "checkpoint-4").exists()
    _same_weights(uninterrupted, resumed)
    assert json.loads((resumed / "adapter_config.json").read_text())["r"] == 4


def test_adapter_is_written_last(tiny, tmp_path, monkeypatch):
    """A kill just before the adapter is saved leaves train_config.json's result and loss.png complete, and no
    adapter: a folder with an adapter is a finished run, one without is resumed."""
    import crossin.train.trainer as trainer_module

    model, data = tiny
    out = tmp_path / "out"

    def killed(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(trainer_module, "save_adapter", killed)
    with pytest.raises(KeyboardInterrupt):
        train(_cfg(model, data, out, max_steps=2, save_steps=1, **KW))
    assert not (out / "adapter").exists() and (out / "loss.png").exists()
    assert json.loads((out / "train_config.json").read_text())["result"]["global_step"] == 2
