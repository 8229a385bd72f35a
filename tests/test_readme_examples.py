"""The README's examples run as written. Every `crossin ...` line of the bash blocks marked `<!-- readme-examples -->`
(the quick sections) is parsed from README.md, so the examples cannot drift from the code, and run in one process
through typer's CliRunner in a fresh folder, with `$CROSSIN_DATA_DIR` set as the README's first block sets it and
the sizes made small (SMALL). A marked line that needs what a test machine has not got (a server, a Hub model or
dataset, the reader's own files, a 25-minute run) is skipped by a rule in SKIP with the reason; every rule must match
a line. In one process the embedded model loads once (crossin.models.hf.load_for_eval) for all the eval lines."""

from __future__ import annotations

import json
import os
import re
import shlex
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crossin.cli import app

REPO = Path(__file__).resolve().parents[1]
MARKER = "<!-- readme-examples -->"

# A marked README line containing the key is not run here, for the reason given.
SKIP = {
    "--generator openai": "needs an LLM server (tests/test_xquad.py runs the generator against crossin serve)",
    "./my-model": "a placeholder for the reader's model folder",
    "crossin serve": "starts a server (tests/test_serve.py)",
    "openai:": "needs an OpenAI-compatible server (tests/test_serve.py, tests/test_eval.py)",
    "Qwen/": "a Hub model (no Hub here)",
    "cross-logiqa,cross-xquad-built --template seaeval:all": "the five SeaEval templates again (line above), on "
        "passages: the costliest line (3 min CPU here; a third of this test's time with it)",
    "--lm-eval-samples": "the output of an lm_eval run (tests/test_lm_eval.py)",
}
# Sizes made small per command (the flag's README value is replaced). Eval: one set per benchmark, and a request
# cache of the test's own (empty at the start, shared by the lines: a prompt asked twice is scored once). Data: a mix
# of a few samples. Train: one step of 2 short samples with a small LoRA and no trained embedding (the paper's
# 262k-token embedding is a 0.7 GB adapter; tests/test_train_roundtrip.py trains it).
SMALL = {
    "eval": {"--limit": "1", "--cache-dir": "{work}/eval_cache"},
    "data build": {"--n": "8", "--translation": "2", "--base-n": "16"},
    "train": {"--max-steps": "1", "--limit": "2", "--effective-batch-size": "2", "--per-device-batch-size": "2",
              "--max-length": "64", "--lora-r": "2", "--lora-alpha": "4", "--modules-to-save": "",
              "--save-steps": "1"},
}


def readme_commands(text: str) -> list[tuple[int, str]]:
    """(README line, command) of each `crossin ...` line in the bash blocks right after a MARKER line; continuation
    lines are joined and whitespace runs made one space."""
    found = []
    for block in re.finditer(re.escape(MARKER) + r"\n```bash\n(.*?)```", text, flags=re.S):
        first = text.count("\n", 0, block.start(1)) + 1
        pending, start = "", 0
        for number, line in enumerate(block.group(1).splitlines(), first):
            if not pending:
                start = number
            pending += line.rstrip("\\") + " "
            if line.endswith("\\"):
                continue
            if pending.strip().startswith("crossin "):
                found.append((start, " ".join(pending.split())))
            pending = ""
    return found


def skip_reason(command: str) -> str | None:
    return next((reason for key, reason in SKIP.items() if key in command), None)


def command_name(tokens: list[str]) -> str:
    """`eval`, `train`, `data build`, ...: the subcommand, for SMALL."""
    return " ".join(tokens[1:3]) if tokens[1] in ("data", "bench", "export", "experiment") else tokens[1]


def shrink(tokens: list[str], work: Path) -> list[str]:
    """The command with its sizes made small: SMALL's flags replace the line's own values."""
    small = {flag: value.format(work=work) for flag, value in SMALL.get(command_name(tokens), {}).items()}
    out, drop = [], False
    for token in tokens:
        if drop:
            drop = False
        elif token in small:
            drop = True  # the next token is the README's value
        else:
            out.append(token)
    return out + [t for flag, value in small.items() for t in (flag, value)]


def run_line(command: str, work: Path, data_dir: Path):
    """One README line through CliRunner, in `work`: (CliRunner result, the args run)."""
    command = command.replace("../shared/data", str(data_dir))
    tokens = [os.path.expandvars(t) for t in shlex.split(command, comments=True)]
    args = shrink(tokens, work)
    cwd = Path.cwd()
    os.chdir(work)
    try:
        return CliRunner().invoke(app, args[1:]), args
    finally:
        os.chdir(cwd)


def check_outputs(args: list[str], work: Path) -> None:
    """What the line promises exists: an eval's results.json, a trained adapter, a built mix, a written file."""
    out = Path(work, args[args.index("--out") + 1]) if "--out" in args else None
    if args[1] == "eval":
        assert list((out or work / "runs" / "eval").rglob("results.json")), args
    elif args[1] == "train":
        assert (out / "adapter" / "adapter_config.json").is_file(), args
    elif args[1:3] == ["data", "build"]:
        assert (out / "train.jsonl").is_file(), args
    elif out is not None:
        assert out.exists(), args


@pytest.fixture
def work(tmp_path, data_dir) -> Path:
    """A fresh folder as a reader's checkout: configs/ and the predictions file the Metrics example scores."""
    folder = tmp_path / "checkout"
    folder.mkdir()
    (folder / "configs").symlink_to(REPO / "configs")
    _write_predictions(folder / "preds.jsonl", data_dir)
    return folder


def test_parser_finds_the_quick_sections_and_every_skip_has_a_reason():
    text = (REPO / "README.md").read_text(encoding="utf-8")
    commands = readme_commands(text)
    kinds = {command_name(shlex.split(c, comments=True)) for _, c in commands}
    assert {"score", "eval", "train", "bench build-xquad", "data build", "data stats", "export lm-eval"} <= kinds
    lines = text.splitlines()
    marked = [n for n, line in enumerate(lines) if line.strip() == MARKER]
    assert marked and all(lines[n + 1] == "```bash" for n in marked), "a marker line not right above a bash block"
    for number, command in commands:
        assert lines[number - 1].lstrip().startswith("crossin "), (number, command)
    for key, reason in SKIP.items():
        assert reason.strip(), key
        assert any(key in c for _, c in commands), f"SKIP rule {key!r} matches no marked README line: remove it"
    # continuation lines are joined; a comment stays for shlex to drop
    assert readme_commands(f"{MARKER}\n```bash\ncrossin data build --n 5 \\\n    --out x   # a mix\necho\n```\n") == [
        (3, "crossin data build --n 5 --out x # a mix")]
    assert readme_commands("```bash\ncrossin eval\n```\n") == []  # an unmarked block is not a quick section


def test_shrink_replaces_the_readme_sizes(tmp_path):
    assert shrink(["crossin", "eval", "--limit", "20", "--mode", "cloze"], tmp_path) == [
        "crossin", "eval", "--mode", "cloze", "--limit", "1", "--cache-dir", f"{tmp_path}/eval_cache"]
    assert shrink(["crossin", "data", "stats", "runs/data/x2x"], tmp_path) == ["crossin", "data", "stats",
                                                                                "runs/data/x2x"]


def run_examples(text: str, work: Path, data_dir: Path) -> list[str]:
    """Run the marked lines of a README's text, not skipped, in order; the first failing one fails with its line."""
    ran = []
    for number, command in readme_commands(text):
        if skip_reason(command):
            continue
        started, cpu = time.monotonic(), time.process_time()
        result, args = run_line(command, work, data_dir)
        assert result.exit_code == 0, f"README.md:{number}: {command}\n{result.output[-3000:]}\n{result.exception!r}"
        check_outputs(args, work)
        ran.append(command_name(args))
        # shown with -s: where the test's time goes, per line (wall and this process's CPU seconds)
        print(f"README.md:{number}: {time.monotonic() - started:.1f} s wall, {time.process_time() - cpu:.1f} s CPU: "
              f"{command[:100]}")
    return ran


@pytest.mark.parametrize("line", ["crossin eval --bench cross-mmlu --limitt 2", "crossin data stats runs/data/none",
                                  "crossin score --bench cross-mmlu --predictions preds.jsonl --langs en,xx"])
def test_a_broken_line_fails_the_runner(work, data_dir, line):
    """A misspelled flag, a missing input or a bad value in a marked block fails the run, naming the README line."""
    text = f"intro\n{MARKER}\n```bash\ncrossin data stats --help\n{line}\n```\n"
    with pytest.raises(AssertionError, match="README.md:5: ") as failed:
        run_examples(text, work, data_dir)
    assert "error:" in str(failed.value)


@pytest.mark.model
def test_readme_examples_run_as_written(work, data_dir):
    text = (REPO / "README.md").read_text(encoding="utf-8")
    assert "export CROSSIN_DATA_DIR=" in text  # the README sets it once for every example below the demo
    ran = run_examples(text, work, data_dir)
    assert {"score", "eval", "train", "bench build-xquad", "data build", "data stats", "export lm-eval"} <= set(ran)


def _write_predictions(path: Path, data_dir: Path) -> None:
    """preds.jsonl as the README describes it: one line per (set, language) of Cross-MMLU, here all "(A)"."""
    from crossin.benchmarks import load_benchmark
    from crossin.langs import SEAEVAL_LANGS

    bench = load_benchmark("cross-mmlu", SEAEVAL_LANGS, data_dir=data_dir)
    with open(path, "w", encoding="utf-8") as f:
        for s in bench.sets:
            for lang in bench.langs:
                f.write(json.dumps({"id": s.id, "lang": lang, "prediction": "(A)"}) + "\n")
