"""Files other tools read: adapters PEFT loads, results the Hub and Every Eval Ever read, a package that works
installed (not only from a checkout)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import DATA_DIR
from crossin.cli import app

REPO = Path(__file__).resolve().parents[1]


def _scored_run(root: Path, bench: str, langs: str, n: int, choice) -> Path:
    """<root>/<bench>/results.json from `crossin score` on the first n sets (choice(set index, lang) -> option)."""
    ids = [json.loads(line)["id"] for _, line in zip(range(n), (DATA_DIR / "cross_mmlu" / "test.jsonl").open())]
    preds = root / "preds.jsonl"
    preds.parent.mkdir(parents=True, exist_ok=True)
    preds.write_text("".join(json.dumps({"id": i, "lang": lang, "choice": choice(k, lang)}) + "\n"
                             for k, i in enumerate(ids) for lang in langs.split(",")))
    out = root / bench / "results.json"
    done = CliRunner().invoke(app, ["score", "--bench", bench, "--predictions", str(preds), "--langs", langs,
                                    "--only-complete", "--data-dir", str(DATA_DIR), "--n-boot", "50", "--out", str(out)])
    assert done.exit_code == 0, done.output
    return out


def test_export_results_is_read_by_the_hub_client_and_fits_every_eval_ever_schema(tmp_path):
    """--format hf: README.md's model-index read back by huggingface_hub (its model-index parser) and
    .eval_results/*.yaml by its `.eval_results` parser give results.json's numbers; --format every-eval-ever: every
    record validates against the published schema (vendored from evaleval/every_eval_ever)."""
    import jsonschema
    import yaml
    from huggingface_hub import ModelCard, parse_eval_result_entries

    from crossin.publish.eee import SCHEMA_FILE

    results_file = _scored_run(tmp_path / "runs" / "model-a", "cross-mmlu", "en,zh,es", 6,
                               lambda k, lang: (k + (lang == "zh")) % 4)
    results = json.loads(results_file.read_text())
    assert 0 < results["accuracy"] < 1 and results["consistency"]["3"] < 1  # numbers that can be mixed up
    runner = CliRunner()
    done = runner.invoke(app, ["export", "results", str(tmp_path / "runs"), "--format", "hf", "-o", str(tmp_path / "hf")])
    assert done.exit_code == 0, done.output
    card = ModelCard.load(tmp_path / "hf" / "runs__model-a" / "README.md")
    got = {(r.dataset_type, r.dataset_config, r.metric_type): r.metric_value for r in card.data.eval_results}
    for lang in ("en", "zh", "es"):
        assert got[("SeaEval/cross_mmlu", lang, "accuracy")] == pytest.approx(results["language_accuracy"][lang], abs=1e-6)
    assert got[("SeaEval/cross_mmlu", None, "consistency@3")] == pytest.approx(results["consistency"]["3"], abs=1e-6)
    assert got[("SeaEval/cross_mmlu", None, "ac3@2")] == pytest.approx(results["ac3"]["2"], abs=1e-6)
    entries = parse_eval_result_entries(yaml.safe_load((tmp_path / "hf" / "runs__model-a" / ".eval_results" /
                                                        "cross-mmlu.yaml").read_text()))
    by_note = {(e.dataset_id, e.task_id, e.notes.split(";")[0]): e.value for e in entries}
    assert by_note[("SeaEval/cross_mmlu", "zh", "accuracy (zh)")] == pytest.approx(results["language_accuracy"]["zh"], abs=1e-6)
    assert by_note[("SeaEval/cross_mmlu", "all", "AC3@3 (en,zh,es)")] == pytest.approx(results["ac3"]["3"], abs=1e-6)

    done = runner.invoke(app, ["export", "results", str(tmp_path / "runs"), "--format", "every-eval-ever",
                               "-o", str(tmp_path / "eee")])
    assert done.exit_code == 0, done.output
    records = sorted((tmp_path / "eee").rglob("*.json"))
    assert len(records) == 1 and records[0].relative_to(tmp_path / "eee").parts[:2] == ("cross-mmlu", "local")
    schema = json.loads(SCHEMA_FILE.read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    record = json.loads(records[0].read_text())
    jsonschema.Draft7Validator(schema).validate(record)
    scores = {(r["score_details"]["details"]["metric"], r["score_details"]["details"]["language"]):
              r["score_details"]["score"] for r in record["evaluation_results"]}
    assert scores[("accuracy", "es")] == pytest.approx(results["language_accuracy"]["es"])
    assert scores[("consistency@2", "all")] == pytest.approx(results["consistency"]["2"])
    assert record["evaluation_results"][0]["source_data"]["hf_repo"] == "SeaEval/cross_mmlu"
    # and the schema can fail: a record missing what the schema requires is refused
    del record["evaluation_results"][0]["metric_config"]["lower_is_better"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft7Validator(schema).validate(record)


@pytest.mark.model
def test_adapter_loads_in_plain_peft_with_crossins_scores(tmp_path):
    """An adapter as crossin writes it (every projection, the tied embeddings trained) loaded by plain
    `PeftModel.from_pretrained` scores the options as crossin's loader does (1e-5), and not as the base model; the
    tied-once form is refused by PEFT (no file it reads), never loaded with a key missing."""
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    from conftest import make_adapter
    from crossin.benchmarks.registry import load_benchmark
    from crossin.evaluate.runner import score_options
    from crossin.models.adapter import quiet_checkpointing_deprecation, save_adapter_weights
    from crossin.models.embedded import embedded_model_dir
    from crossin.models.hf import load_model_and_tokenizer

    model_dir = embedded_model_dir()
    adapter = make_adapter(model_dir, tmp_path / "adapter", 0, noise=0.01)
    assert sorted(p.name for p in adapter.iterdir()) == ["adapter_config.json", "adapter_model.safetensors"]
    bench = load_benchmark("cross-mmlu", ("en", "zh"), data_dir=DATA_DIR, limit=2)
    ours_model, tok = load_model_and_tokenizer(str(model_dir), str(adapter), device="cpu")
    ours = score_options(ours_model, tok, bench)
    del ours_model
    with quiet_checkpointing_deprecation():
        base = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
        theirs_model = PeftModel.from_pretrained(base, str(adapter)).eval()
    theirs = score_options(theirs_model, tok, bench)
    with theirs_model.disable_adapter():
        plain = score_options(theirs_model, tok, bench)
    assert ours.keys() == theirs.keys() and len(ours) == 4
    for key in ours:
        assert theirs[key] == pytest.approx(ours[key], abs=1e-5), key
    assert max(abs(a - b) for key in ours for a, b in zip(ours[key], plain[key])) > 1e-2

    # the tied-once form (test_train checks crossin reads it back) has no file PEFT reads: an error, not a model
    save_adapter_weights(theirs_model, tmp_path / "compact", form="tied-once")
    with pytest.raises(ValueError, match="compact"), quiet_checkpointing_deprecation():
        theirs_model.load_adapter(str(tmp_path / "compact"), adapter_name="compact")


def test_installed_not_editable_ships_the_files_it_reads(tmp_path, data_dir):
    """`pip install .` (not -e) into a fresh venv: that copy of crossin is the one imported (not this checkout, not
    the editable install), and the commands that read package files find them there: the accelerate/DeepSpeed
    configs (`experiment run --gpus-per-run 2`), the vendored Every Eval Ever schema (`export results`); with no
    checkout around it, data comes from $CROSSIN_DATA_DIR or the public download."""
    import shutil

    project = tmp_path / "project"  # a copy, so the build leaves nothing in the checkout
    shutil.copytree(REPO / "src", project / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, project / name)
    venv = tmp_path / "venv"
    # --without-pip: pip and setuptools come from the system site (a venv's bundled setuptools may lack bdist_wheel)
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(venv)], check=True,
                   timeout=120)
    python, crossin = venv / "bin" / "python", venv / "bin" / "crossin"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "CROSSIN_DATA_DIR", "VIRTUAL_ENV")}
    done = subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                           "--no-index", str(project)], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr

    def run(*args, data: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run([str(a) for a in args], capture_output=True, text=True, cwd=tmp_path, timeout=300,
                              env={**env, "CROSSIN_DATA_DIR": str(data_dir)} if data else env)

    where = run(python, "-c", "import crossin, crossin.benchmarks.registry as r; print(crossin.__file__); "
                              "print(r.current_data_source()[0])", data=False)
    package = Path(where.stdout.splitlines()[0]).parent
    assert package.is_relative_to(venv) and (package / "experiment" / "accelerate" / "zero3.yaml").is_file(), where
    assert where.stdout.splitlines()[1] == "None"  # no checkout beside an installed package: the public download
    micro = REPO / "configs" / "experiments" / "micro.yaml"
    found = run(crossin, "experiment", "run", micro, "--out", tmp_path / "exp", "--gpus-per-run", "2",
                "--accelerate-config", "zero3", "--detach")
    assert found.returncode == 2 and found.stderr.startswith("error: --detach needs --executor slurm"), found.stderr
    missing = run(crossin, "experiment", "run", micro, "--out", tmp_path / "exp", "--gpus-per-run", "2",
                  "--accelerate-config", "zero9", "--detach")
    assert f"{package / 'experiment' / 'accelerate' / 'zero9.yaml'} not found" in missing.stderr, missing.stderr
    results = _scored_run(tmp_path / "runs" / "m", "cross-mmlu", "en,zh", 3, lambda k, lang: 0)
    exported = run(crossin, "export", "results", results.parent.parent, "--format", "every-eval-ever", "-o",
                   tmp_path / "eee")
    assert exported.returncode == 0 and len(list((tmp_path / "eee").rglob("*.json"))) == 1, exported.stderr
