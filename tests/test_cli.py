"""The command line as lm-eval users type it: flags from the config dataclasses, both spellings, one help layout."""

import re
from dataclasses import dataclass

import pytest
import typer
import typer.rich_utils
from typer.core import TyperOption
from typer.testing import CliRunner

from crossin import __version__
from crossin.cli import app
from crossin.cli.options import CrossinTyper, config_options
from crossin.config import arg

runner = CliRunner()


def _commands(group=None, path=()):
    """(path, click command) for every leaf command of `crossin`."""
    group = group or typer.main.get_command(app)
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            yield from _commands(command, (*path, name))
        else:
            yield (*path, name), command


def _options(command):
    return [p for p in command.params if isinstance(p, TyperOption) and not p.hidden and p.name != "help"]


@pytest.fixture
def wide_help(monkeypatch):
    monkeypatch.setattr(typer.rich_utils, "MAX_WIDTH", 4000)  # one table row per option


def test_version():
    res = runner.invoke(app, ["--version"])
    assert res.exit_code == 0 and res.output.strip() == f"crossin {__version__}"


def test_every_option_of_every_command_is_in_its_help_table_with_its_default(wide_help):
    commands = dict(_commands())
    assert {("eval",), ("train",), ("data", "build"), ("score",), ("export", "lm-eval")} <= set(commands)
    for path, command in commands.items():
        res = runner.invoke(app, [*path, "--help"])
        assert res.exit_code == 0, (path, res.output)
        lines = [line for line in res.output.splitlines() if line.startswith("│")]  # the options table
        for option in _options(command):
            name = option.opts[0]
            row = [line for line in lines if re.search(rf"{re.escape(name)}\b(?![-_])", line)]
            assert row, f"{' '.join(path)}: {name} missing from --help"
            assert "[default: " in row[0] or "[required]" in row[0], f"{' '.join(path)}: {name} shows no default: {row[0]}"
        # Defaults live in the table only, never as "(default ...)" inside a help text.
        assert not re.search(r"(?<!\[default: )\(default", res.output), (path, res.output)


def test_help_lists_config_fields_with_choices_and_field_defaults(wide_help):
    out = runner.invoke(app, ["train", "--help"]).output
    assert re.search(r"--lora-r .*\[default: 64\]", out) and re.search(r"--target-modules .*q_proj", out)
    assert "[auto|bf16|fp16|fp32]" in out
    out = runner.invoke(app, ["eval", "--help"]).output
    assert "[loglik|cloze|generate]" in out and re.search(r"--bench,--tasks .*\[default: cross-mmlu\]", out)
    assert re.search(r"--out,--output_path .*\[default: runs/eval\]", out)


@pytest.mark.parametrize("spelling", ["--batch-size", "--batch_size"])
def test_batch_size_both_spellings_in_every_command_that_has_it(spelling):
    having = [path for path, command in _commands() if any("--batch-size" in o.opts for o in _options(command))]
    assert ("eval",) in having
    for path in having:
        # 0 reaches the config and is refused there: the flag was read under this spelling.
        res = runner.invoke(app, [*path, spelling, "0"])
        assert res.exit_code == 2 and "--batch-size: must be >= 1" in res.output and "got 0" in res.output, (path, res.output)


def test_tasks_and_output_path_are_bench_and_out(tmp_path):
    res = runner.invoke(app, ["export", "lm-eval", "--tasks", "cross-mmlu", "--langs", "en", "--limit", "2",
                              "--output_path", str(tmp_path / "t")])
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in (tmp_path / "t").iterdir()) == ["cross_mmlu.yaml", "cross_mmlu_en.jsonl",
                                                                   "cross_mmlu_en.yaml"]
    res = runner.invoke(app, ["eval", "--tasks", "no-such-bench", "--model", "openai:x", "--base_url",
                              "http://127.0.0.1:9", "--mode", "generate", "--output_path", str(tmp_path / "e")])
    assert res.exit_code == 2 and "unknown benchmark 'no-such-bench'" in res.output, res.output


@dataclass
class Toy:
    batch_size: int | str = arg("auto", help="Batch size, or auto.")
    langs: list[str] = arg(["en", "zh"], help="Languages.")
    mode: str = arg("a", choices=("a", "b"), help="A mode.")
    fast: bool = arg(False, help="Go fast.")
    no_cache: bool = arg(False, help="No cache.")
    limit: int | None = arg(None, help="Limit (default: everything).")


@pytest.fixture
def toy():
    seen = []
    toy_app = CrossinTyper()

    @toy_app.command()
    @config_options(Toy)
    def run(cfg: Toy, quiet: bool = typer.Option(False, "--quiet")):
        seen.append((cfg, quiet))

    @toy_app.command()
    def other():
        pass

    return toy_app, seen


@pytest.mark.parametrize("args, expected", [
    ([], Toy()),
    (["--batch-size", "auto"], Toy(batch_size="auto")),
    (["--batch_size", "4"], Toy(batch_size=4)),
    (["--batch_size=4"], Toy(batch_size=4)),
    (["--langs", "en,zh,es", "--langs", "vi"], Toy(langs=["en", "zh", "es", "vi"])),
    (["--fast", "--no_cache", "--mode", "b", "--limit", "3"], Toy(fast=True, no_cache=True, mode="b", limit=3)),
])
def test_config_options_read_flags_into_the_dataclass(toy, args, expected):
    toy_app, seen = toy
    res = runner.invoke(toy_app, ["run", *args])
    assert res.exit_code == 0, res.output
    assert seen == [(expected, False)]


def test_config_options_yaml_then_only_typed_flags(toy, tmp_path):
    toy_app, seen = toy
    (tmp_path / "c.yaml").write_text("batch_size: 16\nfast: true\nlimit: 5\n")
    assert runner.invoke(toy_app, ["run", "--config", str(tmp_path / "c.yaml"), "--limit", "2", "--quiet"]).exit_code == 0
    assert seen == [(Toy(batch_size=16, fast=True, limit=2), True)]  # YAML over defaults, typed flags over YAML
    assert runner.invoke(toy_app, ["run", "-c", str(tmp_path / "c.yaml"), "--no-fast"]).exit_code == 0
    assert seen[-1][0].fast is False


def test_config_options_help_and_errors(toy, wide_help):
    toy_app, _ = toy
    out = runner.invoke(toy_app, ["run", "--help"]).output
    assert re.search(r"--batch-size +<int>\|<str> .*\[default: auto\]", out)
    assert re.search(r"--mode +\[a\|b\] .*\[default: a\]", out)
    assert re.search(r"--limit .*Limit\. \[default: \(everything\)\]", out)
    assert re.search(r"--no-cache .*\[default: \(off\)\]", out)
    res = runner.invoke(app, ["eval", "--limit", "many"])  # read by build_config: one line, like a bad YAML value
    assert res.exit_code == 2 and res.output.strip() == "error: --limit: cannot read 'many' as int | None"
