"""crossin.train leans on one private transformers method and on a few internals of how Trainer calls its public
hooks; these checks fail the day an upgrade changes them (pyproject pins the trl/transformers range tested)."""

import inspect
import re
from importlib.metadata import version
from pathlib import Path

from packaging.requirements import Requirement

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def _pin(name: str) -> Requirement:
    for line in PYPROJECT.read_text(encoding="utf-8").splitlines():
        m = re.fullmatch(r'\s*"([^"]+)",?', line)
        if m and Requirement(m.group(1)).name == name:
            return Requirement(m.group(1))
    raise AssertionError(f"{name} is not in pyproject's dependencies")


def test_installed_trl_and_transformers_are_in_the_tested_range():
    for name in ("trl", "transformers"):
        pin = _pin(name)
        assert pin.specifier and any(s.operator == "<" for s in pin.specifier), f"{name}: no upper bound"
        assert pin.specifier.contains(version(name)), f"{name} {version(name)} is outside the tested {pin}"


def test_the_private_checkpoint_loader_crossin_overrides_is_still_called_so():
    from transformers import Trainer

    params = inspect.signature(Trainer._load_from_checkpoint).parameters
    assert list(params) == ["self", "resume_from_checkpoint", "model"] and params["model"].default is None
    # the resume path calls it before the optimizer state is read (crossin's override then sets the adapter weights)
    assert "self._load_from_checkpoint(resume_from_checkpoint)" in inspect.getsource(Trainer.train)


def test_checkpoints_are_written_through_the_public_save_model():
    from transformers import Trainer

    assert list(inspect.signature(Trainer.save_model).parameters) == ["self", "output_dir", "_internal_call"]
    assert "self.save_model(output_dir, _internal_call=True)" in inspect.getsource(Trainer._save_checkpoint)
    init = inspect.getsource(Trainer.__init__) + inspect.getsource(Trainer.create_accelerator_and_postprocess)
    for attribute in ("is_fsdp_enabled", "is_deepspeed_enabled"):  # save_model leaves sharded runs to transformers
        assert f"self.{attribute} =" in init, attribute


def test_the_compact_loss_uses_only_public_trainer_methods():
    from transformers import Trainer
    from trl import SFTTrainer

    from crossin.train import dco, hooks

    assert list(inspect.signature(Trainer.get_tp_size).parameters) == ["self"]
    assert list(inspect.signature(SFTTrainer.log).parameters) == ["self", "logs", "start_time"]
    own = "".join(inspect.getsource(f) for f in (hooks.adapter_saving, hooks.sft_trainer_class,
                                                  dco.dco_trainer_class))
    private = set(re.findall(r"self\.(_[a-z]\w*)", own)) - {"_load_from_checkpoint"}
    assert not private, f"private attributes in crossin's trainer: {sorted(private)}"
