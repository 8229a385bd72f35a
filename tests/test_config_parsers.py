"""One config path: every config dataclass read by transformers' HfArgumentParser as by crossin's flags and YAML
(constraints under one metadata key), TrainConfig's pass-through to trl.SFTConfig, and `--config` on every command
that has options (a YAML value used, a flag overriding it, a bad value as one `error: FILE:LINE:` line)."""

import ast
import dataclasses
from pathlib import Path

import pytest
from transformers import HfArgumentParser
from typer.testing import CliRunner

from crossin.cli import app
from crossin.benchmarks.xquad.config import XquadBuildConfig
from crossin.config import config_to_dict, field_checks
from crossin.data.config import DataConfig
from crossin.data.translate.config import TranslateConfig
from crossin.errors import CrossinError
from crossin.evaluate.config import EvalConfig
from crossin.data.pairs import PairsConfig
from crossin.experiment.config import ArmConfig, ExecutorConfig, ExperimentConfig, SweepConfig
from crossin.experiment.config import StageConfig
from crossin.lmeval.export import ExportConfig
from crossin.models.merge import MergedExportConfig
from crossin.report.config import ReportConfig
from crossin.report.export import ResultsExportConfig
from crossin.score import ScoreConfig
from crossin.serve.config import ServeConfig
from crossin.train.config import SET_BY_CROSSIN, TrainConfig
from test_reliability import assert_one_line_error

SRC = Path(__file__).resolve().parents[1] / "src" / "crossin"
CONFIGS = [TrainConfig, EvalConfig, DataConfig, TranslateConfig, ExperimentConfig, ArmConfig, SweepConfig,
           ExecutorConfig, ExportConfig, MergedExportConfig, ResultsExportConfig, ScoreConfig, ReportConfig, ServeConfig,
           XquadBuildConfig, PairsConfig, StageConfig]


def _arg_dataclasses() -> set[str]:
    """Every class in src/ whose fields are made with `arg(...)`."""
    found = set()
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and any(
                    isinstance(s, ast.AnnAssign) and isinstance(s.value, ast.Call)
                    and getattr(s.value.func, "id", None) == "arg" for s in node.body):
                found.add(node.name)
    return found


def test_every_config_is_in_the_list():
    assert _arg_dataclasses() == {c.__name__ for c in CONFIGS}


def test_every_config_lives_in_its_package_with_one_validate_contract():
    """cli/ only reads configs; each has validate(self) -> None (it raises CrossinError on bad input; what it
    derives is a named method or property)."""
    import inspect

    for cls in CONFIGS:
        assert not cls.__module__.startswith("crossin.cli"), cls
        validate = getattr(cls, "validate", None)
        if validate is None:
            continue
        assert list(inspect.signature(validate).parameters) == ["self"], cls
        assert inspect.signature(validate).return_annotation in (None, "None"), cls
    assert not any(_arg_dataclasses_in(SRC / "cli"))


def _arg_dataclasses_in(folder: Path) -> list[str]:
    return [n for n in _arg_dataclasses() if any(f"class {n}" in p.read_text(encoding="utf-8")
                                                  for p in folder.glob("*.py"))]


@pytest.mark.parametrize("cls", CONFIGS, ids=lambda c: c.__name__)
def test_hf_argument_parser_reads_every_config(cls):
    (parsed,) = HfArgumentParser(cls).parse_args_into_dataclasses([])
    assert config_to_dict(parsed) == config_to_dict(cls())
    bounded = [f for f in dataclasses.fields(cls) if "min" in field_checks(f) and f.type in ("int", int)]
    if not bounded:
        return
    f = bounded[0]
    low = field_checks(f)["min"]
    (parsed,) = HfArgumentParser(cls).parse_args_into_dataclasses([f"--{f.name}", str(low + 1)])
    assert getattr(parsed, f.name) == low + 1
    with pytest.raises(SystemExit):  # the constraint, applied by argparse through CheckedStore
        HfArgumentParser(cls).parse_args_into_dataclasses([f"--{f.name}", str(low - 1)])


def test_hf_argument_parser_takes_a_word_or_a_number():
    parse = HfArgumentParser(EvalConfig).parse_args_into_dataclasses
    assert parse([])[0].batch_size == "auto" and parse(["--batch_size", "4"])[0].batch_size == 4
    assert parse(["--batch-size", "auto", "--mode", "cloze"])[0].mode == "cloze"
    for bad in (["--batch_size", "0"], ["--mode", "mcq"], ["--langs", "en", "--n_boot", "0"]):
        with pytest.raises(SystemExit):
            parse(bad)


# ------------------------------------------------------------------------------------- TrainConfig -> SFTConfig

def test_train_fields_pass_to_sft_config_by_name():
    from trl import SFTConfig

    from crossin.train.trainer import sft_arguments

    cfg = TrainConfig(data="d", out="o", learning_rate=3e-4, max_grad_norm=0.5, num_epochs=2.0,
                      report_to="tensorboard", sft={"neftune_noise_alpha": 5.0})
    values = sft_arguments(cfg, SFTConfig)
    assert (values["learning_rate"], values["max_grad_norm"], values["num_train_epochs"]) == (3e-4, 0.5, 2.0)
    assert (values["optim"], values["lr_scheduler_type"], values["warmup_steps"]) == ("adamw_torch", "cosine", 0.03)
    assert values["neftune_noise_alpha"] == 5.0 and values["report_to"] == "tensorboard"  # the sft section, a field
    assert values["output_dir"] == str(Path("o") / "checkpoints") and values["max_length"] is None
    fixed = set(values) - {f.name for f in dataclasses.fields(TrainConfig)} - {
        "num_train_epochs", "optim", "lr_scheduler_type", "warmup_steps", "report_to", "disable_tqdm",
        "dataloader_num_workers", "dataloader_pin_memory", "neftune_noise_alpha", "gradient_checkpointing"}
    assert fixed == set(SET_BY_CROSSIN) & set(values), "a derived SFTConfig field is missing from SET_BY_CROSSIN"
    args = SFTConfig(**sft_arguments(TrainConfig(data="d", out="o"), SFTConfig))
    assert (args.learning_rate, args.lr_scheduler_type.value, args.optim.value) == (1e-4, "cosine", "adamw_torch")


@pytest.mark.parametrize("fields, says", [
    ({"optimizer": "adamw_torhc"}, "not a transformers OptimizerNames name; did you mean adamw_torch?"),
    ({"lr_scheduler": "cosin"}, "not a transformers SchedulerType name; did you mean cosine?"),
    ({"sft": {"learning_rate": 1.0}}, "sft: learning_rate: set it as the config's own learning_rate"),
    ({"sft": {"num_train_epochs": 2}}, "own num_epochs (--num-epochs)"),
    ({"sft": {"output_dir": "x"}}, "sft: output_dir: crossin sets it"),
    ({"sft": {"lr_scheduler_kwarg": {}}}, "not a trl.SFTConfig field; did you mean lr_scheduler_kwargs?"),
])
def test_train_names_checked_against_transformers_and_trl(fields, says):
    with pytest.raises(CrossinError, match=says.replace("(", r"\(").replace(")", r"\)").replace("?", r"\?")):
        TrainConfig(data="d", out="o", **fields).validate()
    TrainConfig(data="d", out="o", optimizer="sgd", lr_scheduler="linear", sft={"torch_compile": False}).validate()


def test_sft_section_errors_name_the_yaml_line(tmp_path):
    from crossin.config import build_config

    path = _yaml(tmp_path, "lora_r: 8\nsft:\n  logging_first_step: true\n  output_dir: x\n")
    with pytest.raises(CrossinError, match=f"{path}:2: sft: output_dir: crossin sets it"):
        build_config(TrainConfig, path)


# ------------------------------------------------------------------------- --config on every command with options

def _cli(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def _yaml(tmp_path, text: str) -> Path:
    path = tmp_path / "c.yaml"
    path.write_text(text)
    return path


# (command, YAML with a bad value on its line 2 and a path that the command reports missing, the flag fixing it)
COMMANDS = {
    "data translate": ("input: {tmp}/missing.jsonl\nconcurrency: 0\ntarget_langs: [es]\nout: {tmp}/o\nmodel: m\n"
                       "base_url: http://127.0.0.1:9/v1\n", "concurrency", ["--concurrency", "2"]),
    "score": ("predictions: {tmp}/missing.jsonl\nn_boot: 0\nbench: cross-mmlu\n", "n_boot", ["--n-boot", "5"]),
    "report": ("dirs: [{tmp}/missing]\nn_boot: 0\nout: {tmp}/r\n", "n_boot", ["--n-boot", "5"]),
    "serve": ("model: {tmp}/missing\nport: 70000\n", "port", ["--port", "0"]),
    "bench build-xquad": ("xquad_dir: {tmp}/missing\nworkers: 0\nout: {tmp}/x.jsonl\n", "workers", ["--workers", "4"]),
}


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_takes_a_yaml_config_and_flags_over_it(tmp_path, command):
    text, field, fix = COMMANDS[command]
    path = _yaml(tmp_path, text.replace("{tmp}", str(tmp_path)))
    assert_one_line_error(_cli(*command.split(), "--config", path), f"{path}:2: {field}: must be")
    # the flag overrides the YAML's bad value; the YAML's missing path is then what the command reports
    assert_one_line_error(_cli(*command.split(), "--config", path, *fix), str(tmp_path / "missing"))
    bad_flag = [fix[0], "-1" if field != "port" else "99999"]
    assert_one_line_error(_cli(*command.split(), "--config", path, *bad_flag), f"{fix[0]}: must be")


# ------------------------------------------------------------------------------- one parser per value kind

def test_one_path_expansion_for_every_config(monkeypatch, tmp_path):
    from crossin.config import expand_path

    monkeypatch.setenv("CROSSIN_T_DIR", str(tmp_path))
    monkeypatch.delenv("CROSSIN_T_UNSET", raising=False)
    assert expand_path("${CROSSIN_T_DIR}/x") == f"{tmp_path}/x" and expand_path("hf:org/$X") == "hf:org/$X"
    assert expand_path("~/x") == str(Path.home() / "x")
    with pytest.raises(CrossinError, match=r"\$CROSSIN_T_UNSET is not set"):
        expand_path("$CROSSIN_T_UNSET/x")
    data = DataConfig(parallel="$CROSSIN_T_DIR/p", out="~/o", score_files=["$CROSSIN_T_DIR/s.jsonl"])
    data.expand_paths()
    assert (data.parallel, data.score_files) == (f"{tmp_path}/p", [f"{tmp_path}/s.jsonl"])
    translate = TranslateConfig(input="$CROSSIN_T_UNSET/in.jsonl", out="o", target_langs=["es"], model="m",
                                base_url="http://127.0.0.1:9/v1")
    with pytest.raises(CrossinError, match="is not set"):  # the same rule, not a folder named '$CROSSIN_T_UNSET'
        translate.validate()


def test_one_comparison_parser_for_report_and_experiment(tmp_path):
    from crossin.config import parse_pair

    assert parse_pair(" a : b ") == ("a", "b") and parse_pair("a:b:c") == ("a", "b:c")
    for bad in ("ab", ":b", "a: "):
        with pytest.raises(CrossinError, match="expects A:B"):
            parse_pair(bad)
    assert_one_line_error(_cli("report", tmp_path, "--compare", "ab"), "--compare expects A:B")
    cfg = ReportConfig(dirs=["x"], compare=["x : y"])
    assert cfg.validate() is None and cfg.comparisons() == [("x", "y")]
