"""Every option combination that would change nothing is refused through the CLI with one line saying what to use
instead (exit 2, before any model or data loads), rather than accepted in silence."""

import pytest
from typer.testing import CliRunner

from crossin.cli import app

runner = CliRunner()
OUT = ["--out", "unused-out"]
TRANSLATE = ["data", "translate", "--input", "in.jsonl", "--to", "es", "--out", "unused-out", "--model", "m"]
OPENAI_TRANSLATE = [*TRANSLATE, "--base-url", "http://127.0.0.1:9/v1"]

CASES = [
    # crossin eval
    (["eval", "--mode", "cloze", "--circular"], "--circular changes nothing in cloze mode"),
    (["eval", "--mode", "cloze", "--template", "all"], "use --template seaeval:all"),
    (["eval", "--mode", "cloze", "--template", "4"], "runs template 1's prompt"),
    (["eval", "--langs", "en", "--prompt-lang", "native"], "is the English prompt"),
    (["eval", "--model", "openai:m", "--base-url", "http://127.0.0.1:9/v1", "--device", "cpu"], "are for local models"),
    (["eval", "--model", "openai:m", "--base-url", "http://127.0.0.1:9/v1", "--dtype", "bf16"], "are for local models"),
    (["eval", "--model", "openai:m", "--base-url", "http://127.0.0.1:9/v1", "--threads", "1"], "are for local models"),
    (["eval", "--model", "openai:m", "--base-url", "http://127.0.0.1:9/v1", "--adapter", "a"], "--adapter is for local models"),
    (["eval", "--base-url", "http://127.0.0.1:9/v1"], "--base-url is for --model openai:NAME"),
    (["eval", "--mode", "loglik", "--max-new-tokens", "8"], "--max-new-tokens is for --mode generate"),
    (["eval", "--no-cache", "--cache-dir", "c"], "drop one of them"),
    (["eval", "--bench-file", "b.jsonl", "--data-dir", "."], "--data-dir is not read"),
    # crossin data build
    (["data", "build", "--parallel", "p", *OUT, "--translation-directions", "x2x"], "add --translation N"),
    (["data", "build", "--parallel", "p", *OUT, "--translation-template", "Into {language}:"], "add --translation N"),
    (["data", "build", "--parallel", "p", *OUT, "--recipe", "none", "--n", "10"], "--recipe none has none"),
    (["data", "build", "--parallel", "p", *OUT, "--output-lang-template", "In {language}."], "--name-output-lang"),
    (["data", "build", "--parallel", "p", *OUT, "--no-langid", "--langid-chars", "50"], "do nothing with --no-langid"),
    (["data", "build", "--parallel", "p", *OUT, "--no-langid", "--langid-high-accuracy"], "do nothing with --no-langid"),
    (["data", "build", "--parallel", "p", *OUT, "--base", "none", "--base-n", "10"], "do nothing with --base none"),
    (["data", "build", "--parallel", "p", *OUT, "--score-file", "s.jsonl"], "read only with --min-score"),
    # crossin data translate
    ([*TRANSLATE, "--engine", "hf", "--concurrency", "4"], "--concurrency is for --engine openai"),
    ([*TRANSLATE, "--engine", "hf", "--stop", "\\n"], "--stop is for --engine openai"),
    ([*TRANSLATE, "--engine", "hf", "--base-url", "http://127.0.0.1:9/v1"], "--base-url is for --engine openai"),
    ([*OPENAI_TRANSLATE, "--batch-size", "4"], "--batch-size is for --engine hf"),
    ([*OPENAI_TRANSLATE, "--device", "cpu"], "--device is for --engine hf"),
    # crossin train
    (["train", "--data", "d", *OUT, "--max-steps", "2", "--num-epochs", "3"], "--num-epochs does nothing with --max-steps"),
    (["train", "--data", "d", *OUT, "--max-steps", "2", "--save-steps", "5", "--save-total-limit", "3"],
     "no checkpoint is written"),
    # crossin score
    (["score", "--lm-eval-samples", "s", "--data-dir", "."], "not read with --lm-eval-samples"),
    (["score", "--lm-eval-samples", "s", "--only-complete"], "are for --predictions"),
    (["score", "--bench", "cross-mmlu", "-p", "p.jsonl", "--allow-missing", "--only-complete"], "use one of them"),
    # crossin export lm-eval
    (["export", "lm-eval", "--model", "m"], "read only with --prompt-format chat"),
    (["export", "lm-eval", "--mode", "cloze", "--template", "2"], "exports template 1's prompt"),
    # crossin bench build-xquad
    (["bench", "build-xquad", "--out", "x.jsonl", "--model", "m"], "are for --generator openai"),
    (["bench", "build-xquad", "--out", "x.jsonl", "--workers", "8"], "the passage generator sends none"),
]


@pytest.mark.parametrize("args,says", CASES, ids=[" ".join(a) for a, _ in CASES])
def test_option_that_changes_nothing_is_refused(tmp_path, monkeypatch, args, says):
    monkeypatch.chdir(tmp_path)  # nothing is written: the error comes first
    res = runner.invoke(app, args, terminal_width=400)
    assert res.exit_code == 2, res.output
    lines = res.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and says in lines[0], res.output
    assert list(tmp_path.iterdir()) == []


def test_the_combinations_that_do_something_still_run_their_checks():
    """Not over-refusing: cloze with SeaEval's templates and loglik with --circular pass the combination checks."""
    from crossin.evaluate.config import EvalConfig, check_combinations

    check_combinations(EvalConfig(mode="cloze", template="seaeval:all"))
    check_combinations(EvalConfig(mode="loglik", circular=True, template="all"))
    check_combinations(EvalConfig(mode="generate", max_new_tokens=8, langs=["en", "zh"], prompt_lang="native"))
    check_combinations(EvalConfig(mode="cloze", num_fewshot=2))
