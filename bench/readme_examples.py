"""The README's examples run as written: every `crossin ...` line of its bash blocks is parsed from README.md (so
the examples cannot drift from the code) and run in a fresh folder with `$CROSSIN_DATA_DIR` set, as the README's
first block sets it, with the sizes made small: `--limit 2` for eval, one tiny training step. Lines that need
something a test machine has not got (a server, a Hub model, your own corpus, a 25-minute run) are listed in SKIP
with the reason, and each rule must still match a line.

Not part of the test suite (its cost, every line loading the real model and one real training step, is too high for
CI): run it with `python -m pytest -q bench/readme_examples.py` before changing the README's examples.

Cost: each line loads the embedded model once (not yet timed on an idle machine; training writes a 0.7 GB adapter
into pytest's temporary folder, removed after the test)."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

@pytest.fixture
def data_dir() -> Path:
    """The data as the README's examples find it: $CROSSIN_DATA_DIR, else ../shared/data beside the checkout."""
    found = Path(os.environ.get("CROSSIN_DATA_DIR") or REPO.parent / "shared" / "data")
    assert (found / "cross_mmlu" / "test.jsonl").is_file(), f"no benchmark data in {found} (set CROSSIN_DATA_DIR)"
    return found


# A README line containing the key is not run here, for the reason given.
SKIP = {
    "--generator openai": "needs an LLM server (tests/test_xquad.py runs the generator against crossin serve)",
    "./my-model": "a placeholder for the reader's model folder",
    "crossin serve": "starts a server (tests/test_serve.py)",
    "openai:": "needs an OpenAI-compatible server (tests/test_serve.py, tests/test_eval.py)",
    "alpaca_en.json": "the reader's own corpus to translate (tests/test_translate.py)",
    "corpus/": "the output of the translate lines above",
    "Qwen/": "a Hub model (no Hub here)",
    "--lm-eval-samples": "the output of an lm_eval run (tests/test_lm_eval.py)",
    "crossin experiment run": "a 25-minute run (tests/test_experiment.py runs configs/experiments/micro.yaml)",
    "runs/small/arms": "the small experiment's output",
    "belebele": "a Hub dataset (no Hub here; tests/test_parallel_benchmarks.py uses local files in its layout)",
    "global-mmlu": "a Hub dataset (tests/test_parallel_benchmarks.py)",
    "mmlu-prox": "a Hub dataset (tests/test_parallel_benchmarks.py)",
    "export merged": "needs a trained adapter (tests/test_serve_adapters.py exports one)",
    "experiment status": "an experiment's folder (tests/test_experiment_cluster.py)",
}
# Small sizes: every eval line gets --limit 2; training takes one step of 2 short samples.
SMALL = {
    "eval": ["--limit", "2"],
    "train": ["--max-steps", "1", "--limit", "2", "--effective-batch-size", "2", "--per-device-batch-size", "2",
              "--max-length", "64"],
}


def readme_commands(text: str) -> list[str]:
    """Each `crossin ...` command of the README's bash blocks, continuation lines joined."""
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", text, flags=re.S):
        for line in block.replace("\\\n", " ").splitlines():
            if line.strip().startswith("crossin "):
                commands.append(" ".join(line.split()))
    return commands


def shrink(tokens: list[str]) -> list[str]:
    """The command with its sizes made small (flags typed later win, as for any crossin flag)."""
    extra = SMALL.get(tokens[1], [])
    out, skip = [], False
    for token in tokens:
        if skip:
            skip = False
            continue
        if token in extra[::2]:  # replaced by the small value
            skip = True
            continue
        out.append(token)
    return out + extra


def test_parser_and_skip_rules_see_the_readme():
    commands = readme_commands((REPO / "README.md").read_text(encoding="utf-8"))
    assert len(commands) > 20
    for key in SKIP:
        assert any(key in c for c in commands), f"SKIP rule {key!r} matches no README line: remove it"
    assert shrink(["crossin", "eval", "--limit", "20", "--mode", "cloze"]) == ["crossin", "eval", "--mode", "cloze",
                                                                             "--limit", "2"]


@pytest.mark.model
def test_readme_examples_run_as_written(tmp_path, data_dir):
    text = (REPO / "README.md").read_text(encoding="utf-8")
    assert "export CROSSIN_DATA_DIR=" in text  # the README sets it once for every example below the demo
    work = tmp_path / "checkout"
    work.mkdir()
    (work / "configs").symlink_to(REPO / "configs")
    _write_predictions(work / "preds.jsonl", data_dir)  # the file the Metrics example scores
    env = {**os.environ, "CROSSIN_DATA_DIR": str(data_dir), "PYTHONPATH": str(REPO / "src"), "NO_COLOR": "1"}
    ran = []
    try:
        for command in readme_commands(text):
            if any(key in command for key in SKIP):
                continue
            command = command.replace("../shared/data", str(data_dir))
            tokens = [os.path.expandvars(t) for t in shlex.split(command, comments=True)]
            args = shrink(tokens)
            done = subprocess.run([sys.executable, "-m", "crossin", *args[1:]], cwd=work, env=env, text=True,
                                  capture_output=True, timeout=900)
            assert done.returncode == 0, f"README line failed: {command}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
            ran.append(command)
            if tokens[1] == "eval":
                out = tokens[tokens.index("--out") + 1] if "--out" in tokens else "runs/eval"
                assert list((work / out).rglob("results.json")), command
    finally:
        shutil.rmtree(work, ignore_errors=True)  # the adapter and checkpoints are GBs
    kinds = {" ".join(shlex.split(c)[:2]) for c in ran}
    assert {"crossin score", "crossin eval", "crossin train", "crossin bench", "crossin data", "crossin export"} <= kinds


def _write_predictions(path: Path, data_dir: Path) -> None:
    """preds.jsonl as the README describes it: one line per (set, language) of Cross-MMLU, here all "(A)"."""
    import json

    from crossin.benchmarks import load_benchmark
    from crossin.langs import SEAEVAL_LANGS

    bench = load_benchmark("cross-mmlu", SEAEVAL_LANGS, data_dir=data_dir)
    with open(path, "w", encoding="utf-8") as f:
        for s in bench.sets:
            for lang in bench.langs:
                f.write(json.dumps({"id": s.id, "lang": lang, "prediction": "(A)"}) + "\n")
