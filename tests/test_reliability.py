"""Issue 13's defects, one test each (2 and 3, the training kills, are in test_train_resume.py; 4 and 5, the server
and the sqlite cache, in the eval tests): paths confined, one-line errors, refusals instead of silent acceptance,
early validation, leftovers, manifests, credentials, Hub revisions. The bulk of bad inputs is in test_fuzz_inputs.py."""

from __future__ import annotations

import functools
import json
import os
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crossin.cli import app
from crossin.errors import CrossinError

DATA_DIR = Path(os.environ["CROSSIN_DATA_DIR"])  # set by conftest.py
PARALLEL = DATA_DIR / "parallel_instructions_en_zh_partial"


@functools.cache
def mmlu_row() -> dict:
    """The first Cross-MMLU set, read when a test needs it (the data may be fetched at test setup, not at import)."""
    return json.loads((DATA_DIR / "cross_mmlu" / "test.jsonl").read_text(encoding="utf-8").splitlines()[0])


def cli(*args: str):
    return CliRunner().invoke(app, [str(a) for a in args])


def guarded(command: str, tmp_path: Path) -> list:
    """Flags that make a config that slips through validation fail at once on a missing model / data file (named
    'guard'), rather than loading a model: a test can then tell "refused by validation" from "ran"."""
    if command == "eval":
        return ["--model", tmp_path / "guard-model", "--out", tmp_path / "o"]
    return ["--data", tmp_path / "guard-data.jsonl", "--out", tmp_path / "o"]


def assert_one_line_error(result, *needles: str) -> str:
    """Exit 2, no traceback, exactly one `error:` line, which names every needle."""
    text = result.output  # stdout and stderr, as a terminal shows them
    assert result.exit_code == 2, text
    assert "Traceback" not in text and not (result.exception and not isinstance(result.exception, SystemExit)), text
    errors = [line for line in text.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, text
    for needle in needles:
        assert needle in errors[0], errors[0]
    return errors[0]


def experiment_yaml(path: Path, **fields) -> Path:
    base = {"name": "t", "langs": ["en", "zh"], "benchmarks": ["cross-mmlu"], "parallel": str(PARALLEL),
            "arms": [{"recipe": "x2x", "n": 4}]}
    base.update(fields)
    path.write_text(json.dumps(base), encoding="utf-8")
    return path


# ------------------------------------------------------------------- 1. an arm named '..' deleted the experiment


def test_arm_named_dotdot_is_refused_and_nothing_is_removed(tmp_path):
    from crossin.experiment import Steps, run_experiment

    config = experiment_yaml(tmp_path / "e.yaml", arms=[{"recipe": "x2x", "n": 4, "name": ".."}])
    out = tmp_path / "out"
    (out / "arms").mkdir(parents=True)
    (out / "mine.txt").write_text("a user's file")
    # the state a first attempt leaves: the '..' run unfinished, under other settings than now
    (out / "state.json").write_text(json.dumps({"runs": {"..": {"status": "failed", "fingerprint": "old"}}}))
    class NoWork(Steps):  # a config that slipped through must not start real work
        def data(self, *a):
            raise RuntimeError("ran")

        train = eval = data

    with pytest.raises(CrossinError, match="arm name '..'"):
        run_experiment(config, out, report=False, steps=NoWork(), log=lambda _m: None)
    assert (out / "mine.txt").read_text() == "a user's file" and (out / "state.json").exists()


@pytest.mark.parametrize("name", ["..", ".", "a/b", "/abs", "a\\b", "../x", ""])
def test_confined_accepts_only_plain_names(tmp_path, name):
    from crossin.io import confined

    with pytest.raises(CrossinError):
        confined(tmp_path, name)
    assert confined(tmp_path, "x2x-n4+trans2") == tmp_path / "x2x-n4+trans2"


# ------------------------------------------------------------------------- 6. tracebacks on bad input


@pytest.fixture(scope="module")
def predictions(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("p") / "pred.jsonl"
    path.write_text(json.dumps({"id": mmlu_row()["id"], "lang": "en", "choice": 0}) + "\n")
    return path


@pytest.mark.parametrize("flags, needle", [
    (["--n-boot", "0"], "--n-boot"),
    (["--n-boot", "-5"], "--n-boot"),
    (["--seed", "-1"], "--seed"),
    (["--out", "{tmp}"], "not a folder"),
    (["--out", "/proc/nope/x.json"], "cannot write"),
])
def test_score_flags(tmp_path, predictions, flags, needle):
    flags = [f.replace("{tmp}", str(tmp_path)) for f in flags]
    assert_one_line_error(cli("score", "--bench", "cross-mmlu", "-p", predictions, "--langs", "en", "--allow-missing",
                              *flags), needle)


def test_score_predictions_folder_and_deep_json(tmp_path):
    assert_one_line_error(cli("score", "--bench", "cross-mmlu", "-p", tmp_path), "folder")
    deep = tmp_path / "deep.jsonl"
    deep.write_text("[" * 200_000 + "\n")
    assert_one_line_error(cli("score", "--bench", "cross-mmlu", "-p", deep), f"{deep}:1:", "nested too deeply")


def test_deep_json_in_a_corpus_file(tmp_path):
    from crossin.data import read_samples

    for name in ("en.jsonl", "en.json"):
        (tmp_path / name).write_text("[" * 200_000 + "\n")
        with pytest.raises(CrossinError, match="nested too deeply"):
            read_samples(tmp_path / name, "en")


@pytest.mark.parametrize("command, yaml_text, needle", [
    ("train", "lora_r: 0\n", "lora_r: must be >= 1"),
    ("train", "per_device_batch_size: 0\n", "per_device_batch_size"),
    ("train", "lora_dropout: 2.0\n", "lora_dropout"),
    ("train", "learning_rate: -1\n", "learning_rate"),
    ("train", "lr_scheduler: zigzag\n", "lr_scheduler"),
    ("eval", "max_new_tokens: -5\n", "max_new_tokens"),
    ("eval", "device: tpu9\n", "device"),
    ("eval", "threads: -2\n", "threads"),
    ("eval", "n_boot: -1\n", "n_boot"),
])
def test_config_values_fail_before_any_model_loads(tmp_path, command, yaml_text, needle):
    """On main these were tracebacks (some after the model had loaded); now one line naming file:line, at once."""
    config = tmp_path / "c.yaml"
    config.write_text("# a comment\n" + yaml_text)
    started = time.perf_counter()
    line = assert_one_line_error(cli(command, "--config", config, *guarded(command, tmp_path)), f"{config}:2:", needle)
    assert time.perf_counter() - started < 10, line


# ----------------------------------------------------------------------------------- 7. silent acceptances


def _bench_file(tmp_path: Path, mutate) -> Path:
    row = json.loads(json.dumps(mmlu_row()))
    mutate(row)
    path = tmp_path / "bench.jsonl"
    path.write_text(json.dumps(row, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("mutate, needle", [
    (lambda r: r["English"].update(question=None), "'question' must be a non-empty string"),
    (lambda r: r["English"].update(question=["a", "b"]), "'question' must be a non-empty string"),
    (lambda r: r["English"].update(question="  "), "'question' must be a non-empty string"),
    (lambda r: r["English"].update(context=5), "'context' must be a string"),
    (lambda r: r["English"].update(choices=["(A) x"] * 4, answer="(A) x"), "options repeat"),
    (lambda r: r["English"].update(choices=["(A) x", "(B) ", "(C) y", "(D) z"], answer="(A) x"), "option B is empty"),
    (lambda r: r.update(id=[1]), "'id' must be a string or an integer"),
    (lambda r: r.update(zh=r["Chinese"]), "two entries for Chinese"),
])
def test_degenerate_benchmark_items_are_refused(tmp_path, mutate, needle):
    from crossin.benchmarks import load_benchmark

    path = _bench_file(tmp_path, mutate)
    with pytest.raises(CrossinError, match=needle) as e:
        load_benchmark("cross-mmlu", "en,zh", path=path)
    assert e.value.path == str(path) and e.value.line == 1


def test_heavy_source_reuse_needs_a_flag(tmp_path):
    """`--n 20000` on a corpus of 40 usable samples (each used ~250 times): an error with the numbers and the flag."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    for lang in ("en", "zh"):
        rows = [{"id": f"s{i}", "instruction": f"{lang} question {i}", "input": "", "output": f"{lang} answer {i}"}
                for i in range(40)]
        (folder / f"{lang}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    common = ["data", "build", "--parallel", folder, "--langs", "en,zh", "--recipe", "x2x", "--base", "none",
              "--no-langid"]
    line = assert_one_line_error(cli(*common, "--n", "20000", "--out", tmp_path / "big"), "--max-reuse", "40 usable")
    assert not (tmp_path / "big").exists(), line
    result = cli(*common, "--n", "400", "--max-reuse", "100", "--out", tmp_path / "ok")
    assert result.exit_code == 0, result.output
    assert "warning:" in result.output and "reuse a source sample" in result.output
    manifest = json.loads((tmp_path / "ok" / "manifest.json").read_text())
    assert manifest["recipe"]["max_uses_per_source"] >= 2


def test_yaml_duplicate_keys_are_refused(tmp_path):
    config = tmp_path / "t.yaml"
    config.write_text("lora_r: 8\nlearning_rate: 0.001\nlora_r: 16\n")
    assert_one_line_error(cli("train", "--config", config, *guarded("train", tmp_path)), f"{config}:3:",
                          "duplicate key 'lora_r' (first on line 1)")


@pytest.mark.parametrize("command, yaml_text, needle", [
    ("train", "seed: -1\n", "seed"),
    ("train", "max_length: -1\n", "max_length"),
    ("train", "limit: 0\n", "limit"),
    ("train", "num_epochs: -1\n", "num_epochs"),
    ("train", "save_steps: 0\n", "save_steps"),
    ("eval", "seed: -1\n", "seed"),
    ("eval", "limit: 0\n", "limit"),
])
def test_out_of_range_values_are_refused(tmp_path, command, yaml_text, needle):
    config = tmp_path / "c.yaml"
    config.write_text(yaml_text)
    assert_one_line_error(cli(command, "--config", config, *guarded(command, tmp_path)), f"{config}:1:", needle)


# ------------------------------------------------------------------------------------- 8. late validation


@pytest.mark.parametrize("fields, needle", [
    ({"eval": {"mode": "loglik", "bogus": 1}}, "eval: unknown config field(s) bogus"),
    ({"arms": [{"recipe": "x2x", "n": 4, "train": {"lora_rank": 8}}]}, "arms[1].train: unknown config field(s) lora_rank"),
    ({"arms": [{"recipe": "x2x", "n": 4, "data": {"seeed": 1}}]}, "arms[1].data: unknown config field(s) seeed"),
    ({"arms": [{"recipe": "x2x", "n": 4, "train": {"lora_r": 0}}]}, "arms[1].train: lora_r: must be >= 1"),
    ({"train": {"lr_scheduler": "zigzag"}}, "train: lr_scheduler"),
    ({"data": {"langid_chars": 0}}, "data: langid_chars"),
    ({"eval": {"batch_size": 0}}, "eval: batch_size"),
])
def test_nested_experiment_sections_fail_before_any_run(tmp_path, fields, needle):
    config = experiment_yaml(tmp_path / "e.yaml", arms=[{"recipe": "en-only"}, *fields.pop("arms", [{"recipe": "x2x", "n": 4}])],
                             **fields)
    out = tmp_path / "out"
    assert_one_line_error(cli("experiment", "list", config), str(config), needle)
    # --only guard: a config that slipped through would stop at the unknown run, not start the zero-shot eval
    line = assert_one_line_error(cli("experiment", "run", config, "--out", out, "--only", "guard"), str(config), needle)
    assert "guard" not in line
    assert not (out / "arms").exists() and not (out / "state.json").exists()


# ------------------------------------------------------------------------------------------------- 9. minor


def test_stale_temp_files_of_dead_processes_are_removed(tmp_path):
    from crossin.io import atomic_write_text, remove_stale_tmp, tmp_name

    dead = tmp_path / ".crossin-tmp-999999999-ab12cd34-results.json"  # an atomic write a kill interrupted
    dead.write_text("{half")
    dead_dir = tmp_path / ".crossin-tmp-999999999-00ff00ff-adapter"
    dead_dir.mkdir()
    below = tmp_path / "eval" / ".crossin-tmp-999999999-ab12cd34-results.json"  # the folder below is not ours here
    below.parent.mkdir()
    below.write_text("{half")
    live = tmp_path / tmp_name("x.json")  # ours, in flight
    live.write_text("")
    user = tmp_path / ".notes.999999999.tmp"  # the old pattern: a user's file, never ours
    user.write_text("keep")
    assert sorted(remove_stale_tmp(tmp_path)) == sorted([dead, dead_dir])
    assert live.exists() and user.exists() and below.exists() and not dead.exists() and not dead_dir.exists()
    atomic_write_text(tmp_path / "x.json", "{}")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["eval", "x.json", live.name, user.name])


def test_data_build_removes_stale_temp_files(tmp_path):
    out = tmp_path / "mix"
    out.mkdir()
    stale = out / ".crossin-tmp-999999999-0a0b0c0d-train.jsonl"
    stale.write_text("half a mix")
    result = cli("data", "build", "--parallel", PARALLEL, "--langs", "en,zh", "--recipe", "x2x", "--n", "4",
                 "--base-n", "4", "--no-langid", "--out", out)
    assert result.exit_code == 0, result.output
    assert not stale.exists() and "killed run" in result.output


def test_data_folder_without_manifest_is_incomplete(tmp_path):
    folder = tmp_path / "mix"
    folder.mkdir()
    (folder / "train.jsonl").write_text(json.dumps({"instruction": "i", "input": "", "output": "o", "recipe": "none",
                                                    "instruction_lang": "en", "output_lang": "en"}) + "\n")
    assert_one_line_error(cli("data", "stats", folder), str(folder), "incomplete data folder")
    assert_one_line_error(cli("train", "--data", folder, "--out", tmp_path / "t", "--max-steps", "1",
                              "--model", tmp_path / "guard-model"), str(folder), "incomplete data folder")


def test_credentials_in_urls_are_redacted_in_outputs(tmp_path):
    from crossin.evaluate import EvalConfig
    from crossin.experiment import eval_config, load_experiment
    from crossin.io import write_json

    secret = "http://alice:s3cr3t@127.0.0.1:8000/v1?api_key=sk-123&x=1"
    write_json(tmp_path / "results.json", {"config": {"base_url": secret}, "model_identity": {"base_url": secret}})
    text = (tmp_path / "results.json").read_text()
    assert "s3cr3t" not in text and "sk-123" not in text and "alice" not in text
    assert "http://***@127.0.0.1:8000/v1?api_key=***&x=1" in text
    judge = {"mode": "generate", "extractor": "judge", "judge_model": "openai:m", "judge_base_url": secret}
    cfg, runs = load_experiment(experiment_yaml(tmp_path / "e.yaml", eval=judge))
    assert isinstance(eval_config(cfg, runs[0], None, tmp_path), EvalConfig)


def test_hub_model_identity_includes_its_revision(tmp_path, monkeypatch):
    """An updated Hub model (refs/main moved to a new commit) gets a new cache identity."""
    from crossin.models.hf import model_identity

    repo = tmp_path / "hub" / "models--someone--tiny"
    for commit in ("a" * 40, "b" * 40):
        (repo / "snapshots" / commit).mkdir(parents=True)
        (repo / "snapshots" / commit / "config.json").write_text("{}")
    (repo / "refs").mkdir()
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_OFFLINE", True)
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_CACHE", str(tmp_path / "hub"))
    (repo / "refs" / "main").write_text("a" * 40)
    old = model_identity("someone/tiny", device="cpu")
    (repo / "refs" / "main").write_text("b" * 40)
    new = model_identity("someone/tiny", device="cpu")
    assert old["revision"] == "a" * 40 and new["revision"] == "b" * 40 and old != new
