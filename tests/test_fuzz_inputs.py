"""Scripted fuzz test of malformed inputs (issue 13): `score` flags and predictions, benchmark files, XQuAD files,
corpus files, and YAML configs of data build / train / eval / experiment. Every case must end in exactly one
`error:` line and exit 2 (no traceback, no silent acceptance), config errors within 10 s. In-process through
typer's CliRunner; a handful through a real subprocess. Each command carries a guard (a missing model, data or
run named 'guard') so that an input that slipped through fails fast with a message the test rejects."""

from __future__ import annotations

import copy
import functools
import json
import os
import subprocess
import sys
import time
from pathlib import Path


from typer.testing import CliRunner

from crossin.cli import app

DATA_DIR = Path(os.environ["CROSSIN_DATA_DIR"])  # set by conftest.py
MMLU = DATA_DIR / "cross_mmlu" / "test.jsonl"


@functools.cache
def mmlu_row() -> dict:
    """The first Cross-MMLU set, read when a test needs it (the data may be fetched at test setup, not at import)."""
    return json.loads(MMLU.read_text(encoding="utf-8").splitlines()[0])
DEEP = "[" * 100_000
BAD_UTF8 = b"\xff\xfe{\n"

# ------------------------------------------------------------------------------------------------ the cases

SCORE_FLAGS = [["--n-boot", "0"], ["--n-boot", "-5"], ["--n-boot", "abc"], ["--n-boot", "1.5"], ["--seed", "-1"],
               ["--seed", "x"], ["--seed", str(2**40)], ["--langs", "xx"], ["--langs", "en,klingon"], ["--langs", ","],
               ["--bench", "nope"], ["--bogus"], ["--out", "{dir}"], ["--out", "/proc/nope/x.json"],
               ["--predictions", "{dir}"], ["--predictions", "{dir}/missing.jsonl"], ["--bench-file", "{dir}"],
               ["--data-dir", "{dir}/nowhere"]]

PRED_LINES = ["{", "[]", '"x"', "1", "null", DEEP, '{"id": "%s"}', '{"lang": "en"}', '{"id": "nope", "lang": "en", "choice": 0}',
              '{"id": "%s", "lang": "xx", "choice": 0}', '{"id": "%s", "lang": "en", "choice": 9}',
              '{"id": "%s", "lang": "en", "choice": -1}', '{"id": "%s", "lang": "en", "choice": "Z"}',
              '{"id": "%s", "lang": "en", "choice": true}', '{"id": "%s", "lang": "en", "choice": [1]}',
              '{"id": "%s", "lang": "en", "choice": 1.5}', '{"id": "%s", "lang": "en", "prediction": 5}',
              '{"id": "%s", "lang": "en", "prediction": ["A"]}', '{"id": "%s", "lang": "en"}',
              '{"id": "%s", "lang": {"a": 1}, "choice": 0}', '{"id": null, "lang": "en", "choice": 0}',
              '{"id": "%s", "lang": "en", "choice": NaN}', '{"id": "%s", "lang": "en", "choice": {"x": 1}}']


def _set(lang, **kw):
    return lambda r: r[lang].update(kw)


BENCH_MUTATIONS = [
    _set("English", question=None), _set("English", question=["a"]), _set("English", question=""),
    _set("English", question="   "), _set("English", question={"q": 1}), _set("English", question=7),
    _set("English", context=5), _set("English", context=["x"]), _set("English", context={"a": 1}),
    _set("English", choices=["(A) x"] * 4, answer="(A) x"), _set("English", choices=["(A) x", "(B) ", "(C) y", "(D) z"]),
    _set("English", choices=["(A) x", "(B) x", "(C) y", "(D) z"]), _set("English", choices="(A) x"),
    _set("English", choices=[1, 2, 3, 4]), _set("English", choices=["(A) x"]), _set("English", choices=[]),
    _set("English", choices=[f"({c}) {c}" for c in "ABCDEFGHIJ"] + ["(K) k"]), _set("English", answer="(E) nope"),
    _set("English", answer=7), _set("English", answer=-1), _set("English", answer=None), _set("English", answer=True),
    lambda r: r["Chinese"].update(answer=3 if r["English"]["answer"] != r["English"]["choices"][3] else 0),
    lambda r: r.update(id=[1]), lambda r: r.update(id=None), lambda r: r.update(id=""), lambda r: r.update(id=True),
    lambda r: r.update(id={"a": 1}), lambda r: r.update(id=1.5), lambda r: r.update(zh=r["Chinese"]),
    lambda r: r.update(en=r["English"]), lambda r: r.pop("Chinese"), lambda r: r["English"].pop("question"),
    lambda r: r["English"].pop("choices"), lambda r: r["English"].pop("answer"),
    lambda r: r["Chinese"].update(choices=r["Chinese"]["choices"][:3]),
]
BENCH_FILES = ["", "\n\n", "{", "[1]", DEEP, "null"]  # + the same set twice and BAD_UTF8, added in _cases


def _xquad(qas=None, context="Alpha beta gamma delta.", **top):
    qas = qas if qas is not None else [{"id": "q1", "question": "What?", "answers": [{"text": "beta", "answer_start": 6}]}]
    obj = {"version": "1.1", "data": [{"title": "t", "paragraphs": [{"context": context, "qas": qas}]}]}
    obj.update(top)
    return obj


XQUAD_EN_BAD = [
    "{", DEEP, "[]", "null", json.dumps({"version": "1.1"}), json.dumps({"data": 5}), json.dumps({"data": [5]}),
    json.dumps({"data": [{"paragraphs": 5}]}), json.dumps({"data": [{"paragraphs": [5]}]}),
    json.dumps(_xquad(context=5)), json.dumps(_xquad(context="")), json.dumps(_xquad(qas=5)),
    json.dumps(_xquad(qas=[{"question": "a", "answers": [{"text": "b"}]}])),
    json.dumps(_xquad(qas=[{"id": 5, "question": "a", "answers": [{"text": "b"}]}])),
    json.dumps(_xquad(qas=[{"id": "q1", "answers": [{"text": "b"}]}])),
    json.dumps(_xquad(qas=[{"id": "q1", "question": "", "answers": [{"text": "b"}]}])),
    json.dumps(_xquad(qas=[{"id": "q1", "question": ["a"], "answers": [{"text": "b"}]}])),
    json.dumps(_xquad(qas=[{"id": "q1", "question": "a", "answers": []}])),
    json.dumps(_xquad(qas=[{"id": "q1", "question": "a", "answers": "b"}])),
    json.dumps(_xquad(qas=[{"id": "q1", "question": "a", "answers": [{"text": 5}]}])),
    json.dumps(_xquad(qas=[{"id": "q1", "question": "a", "answers": [5]}])),
    json.dumps(_xquad(qas=[{"id": "q1", "question": "a", "answers": [{"text": "b"}]}] * 2)),
    json.dumps(_xquad(qas=[])), json.dumps(_xquad(qas=[{"id": "q2", "question": "a", "answers": [{"text": "b"}]}])),
]

CORPUS_LINES = ["{", "[1]", "5", DEEP, '{"instruction": "i"}', '{"output": "o"}', '{"instruction": 5, "output": "o"}',
                '{"instruction": "i", "output": ["o"]}', '{"instruction": "i", "output": "o", "input": 3}',
                '{"id": [1], "instruction": "i", "output": "o"}', '{"id": true, "instruction": "i", "output": "o"}',
                '{"id": "s0", "instruction": "i", "output": "o"}\n{"id": "s0", "instruction": "j", "output": "p"}',
                '{"instruction": {"a": 1}, "output": "o"}', ""]
CORPUS_JSON = ["{", "5", '{"a": 1}', "[5]", '[{"instruction": 5, "output": "o"}]', "[" * 100_000,
               '[{"output": "o"}]', "[]"]

DATA_YAML = ["n: -1", "n: abc", "n: 1.5", "recipe: x9x", "seed: -1", "base_n: -2", "langid_chars: 0", "langid: maybe",
             "translation: -3", "max_reuse: 0.5", "langs: 5", "bogus: 1", "n: 1\nn: 2", "[1, 2]", "n: [1", "just text",
             "translation_template: no placeholder", "score_files: {a: 1}", "base: {a: 1}", "hf_split: [a, b]"]
TRAIN_YAML = ["lora_r: 0", "lora_r: -4", "lora_r: x", "lora_alpha: 0", "lora_dropout: 2.0", "lora_dropout: -0.1",
              "learning_rate: -1", "learning_rate: 0", "learning_rate: .nan", "learning_rate: .inf",
              "per_device_batch_size: 0", "effective_batch_size: 0", "effective_batch_size: 6\nper_device_batch_size: 4",
              "num_epochs: -1", "num_epochs: 0", "max_steps: 0", "max_steps: -2", "warmup_ratio: 1.5",
              "warmup_ratio: -0.1", "lr_scheduler: zigzag", "optimizer: adamw_typo", "precision: fp8",
              "model_dtype: int4", "loss_impl: fast", "prompt_format: markdown", "seed: -1", "max_length: -1",
              "max_length: 0", "limit: 0", "save_steps: 0", "save_total_limit: 0", "logging_steps: 0",
              "weight_decay: -1", "adam_beta1: 1.0", "adam_beta2: 2", "max_grad_norm: -1", "target_modules: 5",
              "target_modules: ['q proj']", "padding_free: maybe", "lora_rank: 8", "lora_r: 8\nlora_r: 16", "- a\n- b",
              "lora_r: [8", "model: {a: 1}"]
EVAL_YAML = ["max_new_tokens: -5", "max_new_tokens: 0", "device: tpu9", "device: cuda:x", "threads: -2", "threads: 0",
             "n_boot: -1", "n_boot: 0", "seed: -1", "limit: 0", "limit: -3", "batch_size: 0", "mode: guess",
             "template: 99", "prompt_format: markdown", "dtype: int4", "circular: maybe", "bench: 5",
             "base_url: not a url", "bogus: 1", "mode: loglik\nmode: cloze", "5", "mode: [1"]
EXPERIMENT_YAML = [
    {"arms": [{"recipe": "x2x", "n": 4, "name": ".."}]}, {"arms": [{"recipe": "x2x", "n": 4, "name": "a/b"}]},
    {"arms": [{"recipe": "x2x", "n": 4, "name": ".hidden"}]}, {"arms": [{"recipe": "x2x", "n": 4, "name": "zero-shot"}]},
    {"arms": [{"recipe": "x3x", "n": 4}]}, {"arms": [{"recipe": "x2x", "n": -4}]}, {"arms": [{"recipe": "x2x"}]},
    {"arms": [5]}, {"arms": 5}, {"arms": [{"recipe": "x2x", "n": 4, "size": 1}]},
    {"arms": [{"recipe": "x2x", "n": 4, "train": {"lora_r": 0}}]},
    {"arms": [{"recipe": "x2x", "n": 4, "train": {"bogus": 1}}]},
    {"arms": [{"recipe": "x2x", "n": 4, "data": {"seeed": 1}}]}, {"arms": [{"recipe": "x2x", "n": 4, "data": 5}]},
    {"arms": [{"recipe": "x2x", "n": 4, "translation": -1}]}, {"eval": {"bogus": 1}}, {"eval": {"batch_size": 0}},
    {"eval": {"mode": "guess"}}, {"eval": 5}, {"train": {"lr_scheduler": "zigzag"}}, {"train": {"lora_dropout": 2}},
    {"data": {"langid_chars": 0}}, {"data": {"recipe": "x9x"}}, {"seeds": [1, 1]}, {"seeds": [-1]}, {"seeds": "a"},
    {"benchmarks": []}, {"langs": ["xx"]}, {"sweep": {"recipe": "x2x", "sizes": [-1]}}, {"sweep": {"bogus": 1}},
    {"compare": ["a"]}, {"n_boot": 0}, {"bogus": 1}, {"train_config": "no/such.yaml"},
]


# ---------------------------------------------------------------- issue 26's classes (none of them a copy of its cases)

BOMB = "".join(f"{c}: &{c} [{', '.join([f'*{p}'] * 9) if p else ', '.join(['x'] * 9)}]\n"
               for p, c in zip(["", *"abcdefgh"], "abcdefghi"))  # 9^9 values once every alias is expanded
HUGE = "x" * 1_000_000
# Values out of range, each caught before any model or data loads.
RANGES = [
    ["score", "--bench", "cross-mmlu", "-p", "{pred}", "--allow-missing", "--n-boot", str(10**9)],
    ["report", "{dir}/guard-runs", "--n-boot", str(2**40)],
    ["data", "build", "--parallel", "{dir}/guard-corpus", "--out", "{dir}/o", "--translation", str(10**10)],
    ["data", "build", "--parallel", "{dir}/guard-corpus", "--out", "{dir}/o", "--n", "1e12"],
    ["export", "lm-eval", "--limit", "-1", "--out", "{dir}/x"], ["export", "lm-eval", "--limit", "0", "--out", "{dir}/x"],
    ["eval", "--model", "openai:guard", "--base-url", "http://127.0.0.1:70000/v1", "--out", "{dir}/o"],
    ["eval", "--model", "openai:guard", "--base-url", "http://127.0.0.1:0/v1", "--out", "{dir}/o"],
    ["eval", "--model", "openai:guard", "--base-url", "ftp://127.0.0.1/v1", "--out", "{dir}/o"],
    ["eval", "--model", "openai:  ", "--base-url", "http://127.0.0.1:8000/v1", "--out", "{dir}/o"],
    ["data", "translate", "--input", "{dir}/guard.jsonl", "--to", "zh", "--model", "m", "--out", "{dir}/t",
     "--base-url", "file:///etc/hosts"],
    ["data", "translate", "--input", "{dir}/guard.jsonl", "--to", "zh", "--model", "m", "--out", "{dir}/t",
     "--base-url", "http://[::1:8000/v1"],
    ["data", "translate", "--input", "{dir}/guard.jsonl", "--to", "zh", "--model", "m", "--out", "{dir}/t",
     "--base-url", "http://127.0.0.1:8000/v1", "--seed", str(2**64)],
    ["data", "translate", "--input", "{dir}/guard.jsonl", "--to", "zh", "--model", "{dir}/no-such-model", "--out",
     "{dir}/t", "--engine", "hf"],
]
TRAIN_RANGES = ["attn_implementation: flash_attention_9", "attn_implementation: '../../x'", "attn_implementation: ''"]
# User templates through str.format: only their own fields, plainly.
TEMPLATES = ["{text} {0}", "{text} {}", "{text} {lang}", "{text.__class__}", "{text[0]}", "{text!a}", "{text:>99999999}",
             "{text} }", "{text} {", "{source}{target}", "{text:{target}}"]
DATA_TEMPLATES = ["translation_template: 'Into {0}'", "translation_template: 'Into {language.upper}'",
                  "output_lang_template: 'Respond {language:^9999999}'", "output_lang_template: 'Respond in {lang}'",
                  "output_lang_template: 'Respond {language} }'"]
# Paths a config may not choose: the experiment places every run's output.
CONFINED = [{"data": {"out": "/tmp/elsewhere"}}, {"arms": [{"recipe": "x2x", "n": 4, "data": {"out": "../x"}}]},
            {"train": {"out": "t"}}, {"eval": {"out": "/"}}, {"arms": [{"recipe": "x2x", "n": 4, "train": {"out": "o"}}]},
            {"baseline": "nobody"}, {"n_boot": 10**12}]
# Records crossin wrote earlier, damaged or foreign: report's results.json and arm.json, data stats' manifest/rows.
RESULTS_DAMAGE = [("accuracy", 1.5), ("accuracy", "0.5"), ("accuracy", None), ("language_accuracy", {"en": "x"}),
                  ("language_accuracy", []), ("languages", "en"), ("languages", []), ("languages", ["en", "en"]),
                  ("n_sets", 0), ("n_sets", 2.5), ("consistency", {"2": "high"}), ("ac3", {"2": [1]}),
                  ("ci95", {"accuracy": [0.1]}), ("gold_distribution", [-1, 2]), ("kappa", {"2": {}}),
                  ("inputs", {"benchmark": 7}), ("model", 5)]
ARM_DAMAGE = [{"name": 5}, {"name": ""}, {"n": "10"}, {"order": -1}, {"sweep": "yes"}, {"recipe": ["x2x"]}, [1, 2]]
MANIFEST_DAMAGE = [{"corpus": 5}, {"corpus": {"n_ids": 1}}, {"seed": "s"}, {"order": {"source_ids_repeated": "many"}},
                   {"files": []}, {"files": {"train.jsonl": {"sha256": 5}}}, [], "manifest"]
ROW_DAMAGE = [{"recipe": ["x2x"]}, {"instruction_lang": 5}, {"output_lang": None}, {"recipe": ""}, {"input_lang": {}}]
SAMPLE_DAMAGE = [("gold", -2), ("gold", 4), ("gold", 0.5), ("gold", "0"), ("choices", "ABCD"), ("choices", ["A"]),
                 ("choices", [1, 2, 3, 4]), ("doc_id", "first"), ("lls", [float("nan")] * 4), ("lls", [0.0] * 3)]
SAMPLE_LANGS = ["tlh", "ZH", "en-US", "xx"]


def _new_class_cases(tmp: Path, pred_ok: Path) -> list[tuple[str, list]]:
    """Issue 26's classes: special files, long lines, alias bombs, huge values, ranges, templates, confined
    paths, outputs that are not regular files, damaged records."""
    cases: list[tuple[str, list]] = []
    score = ["score", "--bench", "cross-mmlu", "--langs", "en,zh"]
    fifo = tmp / "a.fifo"
    os.mkfifo(fifo)
    for name, path in (("FIFO", fifo), ("/dev/zero", Path("/dev/zero")), ("folder", tmp)):
        cases.append((f"predictions {name}", score + ["-p", str(path)]))
        cases.append((f"bench file {name}", score + ["-p", str(pred_ok), "--allow-missing", "--bench-file", str(path)]))
        cases.append((f"train data {name}", ["train", "--data", str(path), "--out", str(tmp / "o"), "--model",
                                             str(tmp / "guard-model")]))
        cases.append((f"config {name}", ["eval", "--config", str(path), "--model", str(tmp / "guard-model")]))
        cases.append((f"experiment {name}", ["experiment", "list", str(path)]))
        cases.append((f"--out {name}", score + ["-p", str(pred_ok), "--allow-missing", "--out", str(path)]))
        cases.append((f"xquad --out {name}", ["bench", "build-xquad", "--xquad-dir", str(tmp / "guard"), "--out",
                                              str(path)]))
    corpus = tmp / "corpus_fifo"
    corpus.mkdir()
    (corpus / "en.jsonl").write_text('{"instruction": "i", "output": "o"}\n')
    os.mkfifo(corpus / "zh.jsonl")
    cases.append(("corpus FIFO", ["data", "build", "--parallel", str(corpus), "--langs", "en,zh", "--out",
                                  str(tmp / "o"), "--no-langid"]))
    link = tmp / "link.jsonl"
    link.symlink_to(tmp / "nowhere.jsonl")
    cases.append(("--out symlink", score + ["-p", str(pred_ok), "--allow-missing", "--out", str(link)]))
    cases.append(("export --out a file", ["export", "lm-eval", "--out", str(pred_ok)]))
    cases.append(("xquad --out == --report", ["bench", "build-xquad", "--xquad-dir", str(tmp / "guard"), "--out",
                                              str(tmp / "b.jsonl"), "--report", str(tmp / "." / "b.jsonl")]))
    cases.append(("xquad --report == --llm-cache", ["bench", "build-xquad", "--xquad-dir", str(tmp / "guard"), "--out",
                                                    str(tmp / "b.jsonl"), "--report", str(tmp / "r.json"), "--generator",
                                                    "openai", "--base-url", "http://127.0.0.1:1/v1", "--model", "m",
                                                    "--llm-cache", str(tmp / "r.json")]))
    cases.append(("long component", ["data", "build", "--parallel", str(tmp / "guard"), "--out", str(tmp / ("d" * 256))]))

    long_line = tmp / "long.jsonl"  # MAX_LINE_BYTES is lowered for the test (see test_fuzz_malformed_inputs)
    long_line.write_text(pred_ok.read_text() + json.dumps({"id": "x" * 70_000, "lang": "en", "choice": 0}) + "\n")
    cases.append(("line over the bound", score + ["-p", str(long_line)]))

    for kind, guard in (("train", ["train", "--data", str(tmp / "guard-data.jsonl"), "--out", str(tmp / "o")]),
                        ("eval", ["eval", "--model", str(tmp / "guard-model"), "--out", str(tmp / "o")])):
        for i, text in enumerate([BOMB, f"seed: {HUGE}", f"seed: [{', '.join(['a'] * 100_000)}]"]):
            path = tmp / f"{kind}_big{i}.yaml"
            path.write_text(text)
            cases.append((f"{kind} yaml big {i}", guard + ["--config", str(path)]))
    bomb = tmp / "experiment_bomb.yaml"
    bomb.write_text(BOMB + "name: *i\n")
    cases.append(("experiment alias bomb", ["experiment", "list", str(bomb)]))

    for i, args in enumerate(RANGES):
        cases.append((f"range {i} {args[:2]}", [a.replace("{dir}", str(tmp)).replace("{pred}", str(pred_ok))
                                                for a in args]))
    for i, text in enumerate(TRAIN_RANGES + DATA_TEMPLATES):
        path = tmp / f"range{i}.yaml"
        path.write_text(text + "\n")
        command = (["train", "--data", str(tmp / "guard-data.jsonl"), "--out", str(tmp / "o")] if text.startswith("attn")
                   else ["data", "build", "--parallel", str(tmp / "guard-corpus"), "--out", str(tmp / "o")])
        cases.append((f"yaml {text}", command + ["--config", str(path)]))
    for prompt in TEMPLATES:
        cases.append((f"translate --prompt {prompt!r}", ["data", "translate", "--input", str(tmp / "guard.jsonl"), "--to",
                                                        "zh", "--model", "m", "--out", str(tmp / "t"), "--base-url",
                                                        "http://127.0.0.1:8000/v1", "--prompt", prompt]))
    base = {"name": "t", "langs": ["en", "zh"], "benchmarks": ["cross-mmlu"],
            "parallel": str(DATA_DIR / "parallel_instructions_en_zh_partial"), "arms": [{"recipe": "x2x", "n": 4}]}
    for i, fields in enumerate(CONFINED):
        path = tmp / f"confined{i}.yaml"
        path.write_text(json.dumps({**base, **fields}))
        cases.append((f"experiment {fields}", ["experiment", "run", str(path), "--out", str(tmp / f"conf{i}"),
                                               "--only", "guard"]))

    results = tmp / "results_ok.json"
    assert CliRunner().invoke(app, score + ["-p", str(pred_ok), "--allow-missing", "--out", str(results)]).exit_code == 0
    good = json.loads(results.read_text())
    for i, (key, value) in enumerate(RESULTS_DAMAGE):
        folder = tmp / f"report{i}" / "run" / "cross-mmlu"
        folder.mkdir(parents=True)
        (folder / "results.json").write_text(json.dumps({**good, key: value}))
        cases.append((f"results.json {key}={str(value)[:20]}", ["report", str(tmp / f"report{i}"), "--out",
                                                                str(tmp / f"rep{i}")]))
    for i, arm in enumerate(ARM_DAMAGE):
        folder = tmp / f"arm{i}" / "run"
        (folder / "cross-mmlu").mkdir(parents=True)
        (folder / "cross-mmlu" / "results.json").write_text(json.dumps(good))
        (folder / "arm.json").write_text(json.dumps(arm))
        cases.append((f"arm.json {arm}", ["report", str(tmp / f"arm{i}"), "--out", str(tmp / f"rep_arm{i}")]))

    row = {"instruction": "i", "input": "", "output": "o", "source_id": "s0", "recipe": "x2x", "instruction_lang": "en",
           "input_lang": "en", "output_lang": "zh"}
    for i, manifest in enumerate(MANIFEST_DAMAGE):
        folder = tmp / f"mix{i}"
        folder.mkdir()
        (folder / "train.jsonl").write_text(json.dumps(row) + "\n")
        (folder / "manifest.json").write_text(json.dumps(manifest))
        cases.append((f"manifest {manifest}", ["data", "stats", str(folder)]))
    for i, damage in enumerate(ROW_DAMAGE):
        path = tmp / f"mixrow{i}.jsonl"
        path.write_text(json.dumps(row) + "\n" + json.dumps({**row, **damage}) + "\n")
        cases.append((f"mix row {damage}", ["data", "stats", str(path)]))

    def samples(folder: Path, lang: str, doc: dict | None = None, lls=None, doc_id=0):
        folder.mkdir(parents=True, exist_ok=True)
        doc = {"id": "s1", "lang": lang, "mode": "loglik", "prompt": "p", "choices": ["A", "B", "C", "D"], "gold": 1,
               **(doc or {})}
        line = {"doc_id": doc_id, "doc": doc, "filtered_resps": [[str(x), "False"] for x in (lls or [0, -1, -2, -3])]}
        (folder / f"samples_cross_mmlu_{lang}_2026-01-01T00-00-00.000001.jsonl").write_text(json.dumps(line) + "\n")

    for i, (key, value) in enumerate(SAMPLE_DAMAGE):
        folder = tmp / f"lmeval{i}"
        samples(folder, "en")
        samples(folder, "zh", lls=value if key == "lls" else None, doc_id=value if key == "doc_id" else 0,
                doc={key: value} if key not in ("lls", "doc_id") else None)
        cases.append((f"lm-eval sample {key}={value}", ["score", "--lm-eval-samples", str(folder)]))
    for i, lang in enumerate(SAMPLE_LANGS):
        folder = tmp / f"lmeval_lang{i}"
        samples(folder, "en")
        samples(folder, lang)
        cases.append((f"lm-eval task language {lang}", ["score", "--lm-eval-samples", str(folder)]))
    return cases


def _cases(tmp: Path) -> list[tuple[str, list]]:
    """(label, CLI args) for every malformed input; files are written under tmp."""
    cases: list[tuple[str, list]] = []
    pred_ok = tmp / "pred_ok.jsonl"
    pred_ok.write_text(json.dumps({"id": mmlu_row()["id"], "lang": "en", "choice": 0}) + "\n")
    score = ["score", "--bench", "cross-mmlu", "--langs", "en,zh"]
    for i, flags in enumerate(SCORE_FLAGS):
        flags = [f.replace("{dir}", str(tmp)) for f in flags]
        args = score + ["-p", str(pred_ok), "--allow-missing"] + flags
        cases.append((f"score flags {flags}", args))
    for i, line in enumerate(PRED_LINES):
        path = tmp / f"pred{i}.jsonl"
        path.write_text((line.replace("%s", mmlu_row()["id"]) if "%s" in line else line) + "\n")
        cases.append((f"predictions {line[:40]!r}", score + ["-p", str(path)]))
    (tmp / "pred_bad_utf8.jsonl").write_bytes(BAD_UTF8)
    cases.append(("predictions not UTF-8", score + ["-p", str(tmp / "pred_bad_utf8.jsonl")]))
    dup = tmp / "pred_dup.jsonl"
    dup.write_text(2 * (json.dumps({"id": mmlu_row()["id"], "lang": "en", "choice": 0}) + "\n"))
    cases.append(("predictions duplicate", score + ["-p", str(dup), "--allow-missing"]))
    cases.append(("predictions missing pairs", score + ["-p", str(pred_ok)]))

    for i, mutate in enumerate(BENCH_MUTATIONS):
        row = copy.deepcopy(mmlu_row())
        mutate(row)
        path = tmp / f"bench{i}.jsonl"
        path.write_text(json.dumps(row, ensure_ascii=False) + "\n", encoding="utf-8")
        cases.append((f"benchmark mutation {i}", score + ["-p", str(pred_ok), "--allow-missing", "--bench-file", str(path)]))
    for i, text in enumerate([*BENCH_FILES, json.dumps(mmlu_row()) + "\n" + json.dumps(mmlu_row())]):
        path = tmp / f"benchfile{i}.jsonl"
        path.write_text(text)
        cases.append((f"benchmark file {text[:30]!r}", score + ["-p", str(pred_ok), "--allow-missing", "--bench-file", str(path)]))
    (tmp / "bench_bad_utf8.jsonl").write_bytes(BAD_UTF8)
    cases.append(("benchmark not UTF-8", score + ["-p", str(pred_ok), "--bench-file", str(tmp / "bench_bad_utf8.jsonl")]))

    good_x = json.dumps(_xquad())
    for i, text in enumerate(XQUAD_EN_BAD):
        folder = tmp / f"xquad{i}"
        folder.mkdir()
        (folder / "xquad.en.json").write_text(text)
        (folder / "xquad.zh.json").write_text(good_x)
        cases.append((f"xquad {text[:40]!r}", ["bench", "build-xquad", "--xquad-dir", str(folder), "--langs", "en,zh",
                                              "--out", str(folder / "out.jsonl")]))
    folder = tmp / "xquad_utf8"
    folder.mkdir()
    (folder / "xquad.en.json").write_bytes(BAD_UTF8)
    (folder / "xquad.zh.json").write_text(good_x)
    cases.append(("xquad not UTF-8", ["bench", "build-xquad", "--xquad-dir", str(folder), "--langs", "en,zh",
                                      "--out", str(folder / "o.jsonl")]))

    good_corpus = "".join(json.dumps({"id": f"s{i}", "instruction": f"question {i}", "input": "", "output": f"answer {i}"})
                          + "\n" for i in range(6))
    build = ["data", "build", "--langs", "en,zh", "--recipe", "x2x", "--n", "4", "--base", "none", "--no-langid"]
    for i, text in enumerate(CORPUS_LINES + [None]):
        folder = tmp / f"corpus{i}"
        folder.mkdir()
        (folder / "en.jsonl").write_text(good_corpus)
        if text is None:
            (folder / "zh.jsonl").write_bytes(BAD_UTF8)
        else:
            (folder / "zh.jsonl").write_text(text + ("\n" if text else ""))
        cases.append((f"corpus line {str(text)[:40]!r}", build + ["--parallel", str(folder), "--out", str(folder / "o")]))
    for i, text in enumerate(CORPUS_JSON):
        folder = tmp / f"corpusjson{i}"
        folder.mkdir()
        (folder / "en.jsonl").write_text(good_corpus)
        (folder / "alpaca_zh.json").write_text(text)
        cases.append((f"corpus json {text[:40]!r}", build + ["--parallel", str(folder), "--out", str(folder / "o")]))

    for kind, texts, guard in (
        ("data", DATA_YAML, ["data", "build", "--parallel", str(tmp / "guard-corpus"), "--out", str(tmp / "o")]),
        ("train", TRAIN_YAML, ["train", "--data", str(tmp / "guard-data.jsonl"), "--out", str(tmp / "o")]),
        ("eval", EVAL_YAML, ["eval", "--model", str(tmp / "guard-model"), "--out", str(tmp / "o")]),
    ):
        for i, text in enumerate(texts):
            path = tmp / f"{kind}{i}.yaml"
            path.write_text(text + "\n")
            cases.append((f"{kind} yaml {text!r}", guard + ["--config", str(path)]))
    base = {"name": "t", "langs": ["en", "zh"], "benchmarks": ["cross-mmlu"],
            "parallel": str(DATA_DIR / "parallel_instructions_en_zh_partial"), "arms": [{"recipe": "x2x", "n": 4}]}
    for i, fields in enumerate(EXPERIMENT_YAML):
        path = tmp / f"experiment{i}.yaml"
        path.write_text(json.dumps({**base, **fields}))
        cases.append((f"experiment {fields}", ["experiment", "run", str(path), "--out", str(tmp / f"exp{i}"),
                                               "--only", "guard"]))
        cases.append((f"experiment list {fields}", ["experiment", "list", str(path)]))
    dup = tmp / "experiment_dup.yaml"
    dup.write_text("name: a\nname: b\n")
    cases.append(("experiment duplicate key", ["experiment", "list", str(dup)]))
    return cases + _new_class_cases(tmp, pred_ok)


def _check(label: str, exit_code: int, output: str) -> str | None:
    """Why a case's outcome is wrong, or None."""
    errors = [line for line in output.splitlines() if line.startswith("error:")]
    if "Traceback" in output:
        return "traceback"
    if exit_code != 2:
        return f"exit {exit_code}"
    if len(errors) != 1:
        return f"{len(errors)} error lines"
    if "guard" in errors[0]:
        return "slipped through validation (stopped only by the guard)"
    if len(errors[0]) > 2500:
        return f"an error line of {len(errors[0])} characters (a value printed whole)"
    return None


def _run_cases(cases: list[tuple[str, list]], *, limit_s: float) -> tuple[list[str], list[str]]:
    """Each case through the CLI in-process: (what fell short of the one-line contract, what took over limit_s)."""
    runner = CliRunner()
    wrong, slow = [], []
    for label, args in cases:
        started = time.perf_counter()
        result = runner.invoke(app, args)
        elapsed = time.perf_counter() - started
        problem = _check(label, result.exit_code, result.output)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            problem = f"{type(result.exception).__name__}: {result.exception}"
        if problem:
            wrong.append(f"{label}: {problem}: {result.output.strip()[-300:]}")
        if elapsed > limit_s:
            slow.append(f"{label}: {elapsed:.1f} s")
    return wrong, slow


def test_fuzz_malformed_inputs(tmp_path, monkeypatch):
    monkeypatch.setattr("crossin.io.MAX_LINE_BYTES", 1 << 16)  # the line bound, without writing 64 MB
    cases = _cases(tmp_path)
    assert len(cases) >= 350
    wrong, slow = _run_cases(cases, limit_s=10)
    assert not wrong, f"{len(wrong)} of {len(cases)} cases:\n" + "\n".join(wrong)
    assert not slow, "\n".join(slow)


def test_fuzz_a_few_through_a_real_process(tmp_path):
    """The same contract through `python -m crossin` (stderr, exit status), on a sample of the cases."""
    cases = _cases(tmp_path)
    picked = [cases[i] for i in range(0, len(cases), max(1, len(cases) // 6))][:6]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).resolve().parents[1] / "src"),
                                                         os.environ.get("PYTHONPATH", "")])}
    for label, args in picked:
        proc = subprocess.run([sys.executable, "-m", "crossin", *args], capture_output=True, text=True, env=env,
                              timeout=120)
        problem = _check(label, proc.returncode, proc.stdout + proc.stderr)
        assert problem is None, f"{label}: {problem}: {proc.stderr[-500:]}"
        assert proc.stderr.startswith("error:") and proc.stderr.count("\n") == 1, proc.stderr


# ------------------------------------------------------------------- issue 35's classes, generated per damage kind

def _damage_file(path: Path, kind: str) -> None:
    """Write one kind of damage at `path` (an experiment folder's own file, or an adapter's)."""
    if os.path.lexists(path):
        if path.is_dir() and not path.is_symlink():
            import shutil

            shutil.rmtree(path)
        else:
            path.unlink()
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "link loop":
        path.symlink_to(path.name)
    elif kind == "folder":
        path.mkdir()
    elif kind == "not utf-8":
        path.write_bytes(BAD_UTF8)
    elif kind == "not json":
        path.write_text("{")
    elif kind == "deep":
        path.write_text(DEEP)
    else:  # a JSON value
        path.write_text(kind)


FILE_KINDS = ["fifo", "link loop", "folder", "not utf-8", "not json", "deep", "[]", '"text"', "5", "null"]
# Field-level damage of each record, generated from its schema's fields: a wrong type, a wrong value.
RUN_STATE_FIELDS = {"status": [["done"], 5, "finished", None], "wall_s": ["abc", -1, [1], {}], "steps": [[], "x"],
                    "started": ["yesterday", 5, "2026-13-99"], "attempts": [-1, 1.5, "2"], "error": [5, ["x"]],
                    "pid": [1.5, [1]], "job_id": [{"a": 1}, [1]]}
JOB_FIELDS = {"executor": [None, 5, "pbs"], "job_id": [None, 5, ""], "submitted": [None, 5, "now"]}
EXPERIMENT_FIELDS = {"runs": [5, "a", [5], [{}], [{"name": 5}], [{"name": ""}], [{"name": "../x"}], [{"name": "a/b"}]]}
LOCK_HOLDER = ['"holder"', "[1]", "5", '{"host": 5}', '{"pid": [1]}', '{"since": "later"}', '{"job_id": {}}']


def _experiment_folder_cases(tmp: Path) -> list[tuple[str, list]]:
    """`experiment status` / `list` on damaged folders: each file of the folder x every kind of damage."""
    import fcntl

    cases: list[tuple[str, list]] = []
    count = [0]

    def folder() -> Path:
        count[0] += 1
        out = tmp / f"expdir{count[0]}"
        (out / "arms" / "a").mkdir(parents=True)
        (out / "locks").mkdir()
        (out / "experiment.json").write_text(json.dumps({"runs": [{"name": "a"}]}))
        (out / "arms" / "a" / "state.json").write_text(json.dumps({"status": "done", "steps": {}, "wall_s": 1.0}))
        return out

    def both(label: str, out: Path, extra=()) -> None:
        cases.append((f"status {label}", ["experiment", "status", str(out), *extra]))
        cases.append((f"list {label}", ["experiment", "list", str(out)]))

    files = {"experiment.json": Path("experiment.json"), "state.json": Path("arms/a/state.json"),
             "job.json": Path("arms/a/job.json"), "log.txt": Path("arms/a/log.txt")}
    for name, rel in files.items():
        for kind in FILE_KINDS:
            if name == "log.txt" and kind not in ("fifo", "link loop", "folder"):
                continue  # any text is a log
            out = folder()
            _damage_file(out / rel, kind)
            both(f"{name} {kind}", out)
    for fields, rel, good in ((RUN_STATE_FIELDS, "arms/a/state.json", {"status": "done", "steps": {}}),
                              (JOB_FIELDS, "arms/a/job.json", {"executor": "slurm", "job_id": "1",
                                                               "submitted": "2026-01-01T00:00:00Z"}),
                              (EXPERIMENT_FIELDS, "experiment.json", {"runs": [{"name": "a"}]})):
        for key, values in fields.items():
            for value in values:
                out = folder()
                (out / rel).write_text(json.dumps({**good, key: value}))
                both(f"{rel} {key}={value!r}", out)
            out = folder()
            record = dict(good)
            record.pop(key, None)
            if rel.endswith("job.json"):  # every field of a job file is required
                (out / rel).write_text(json.dumps(record))
                both(f"{rel} without {key}", out)
    for kind in ("fifo", "link loop", "folder"):
        out = folder()
        _damage_file(out / "locks" / "a.lock", kind)
        both(f"lock {kind}", out)
    held = []
    for text in LOCK_HOLDER:  # read only while someone holds the lock: this test does
        out = folder()
        lock = out / "locks" / "a.lock"
        lock.write_text(text)
        fd = os.open(lock, os.O_RDWR)
        fcntl.flock(fd, fcntl.LOCK_EX)
        held.append(fd)
        both(f"lock holder {text}", out)
    for value in ("1e300", "inf", "nan", "0", "-1", "abc"):
        cases.append((f"status --interval {value}", ["experiment", "status", str(folder()), "--watch", "--interval",
                                                     value]))
    return cases


# Executor values: each flag x generated bad values (Slurm names go into the job script, one per #SBATCH line).
NAME_DAMAGE = ["debug\n#SBATCH --wrap=x", "de bug", "-p", "--x=1", "a\x01b", "a\tb", "a\rb", "a\x7f", "a,", ",a",
               "x" * 300, "é", "a;b", "a$b", "a`b"]
EXECUTOR_FLAGS = {
    "--partition": NAME_DAMAGE, "--account": NAME_DAMAGE, "--qos": NAME_DAMAGE,
    "--sbatch": ["a=\nb", "a=\x00", "-x", "=x", "a b=1", "a=\rb"],
    "--max-parallel": [str(2**63), str(10**6), "-1", "1.5", "x", "1e9"],
    "--ray-address": ["not a url", "http://x:1", "ray://", "ray://h:99999", "h:0", "ray://h:1/p", "a b:1", "h:x",
                      "127.0.0.1:1", "ray://127.0.0.1:1"],  # the last two: nothing listens there
    "--cpus-per-run": ["0", "-1", "x"], "--mem-gb": ["-1", "x"], "--time-min": ["0", str(10**30)],
    "--poll-s": ["0", "-1", "nan", "inf"],
}
EXECUTOR_YAML = [{"type": None}, {"ray_address": 5}, {"ray_address": None}, {"partition": None}, {"max_parallel": None},
                 {"partition": 5.5}, {"partition": ["a"]}, {"sbatch": "a\nb"}, {"type": 5}, {"max_parallel": 2**63}]


def _executor_cases(tmp: Path) -> list[tuple[str, list]]:
    base = {"name": "t", "langs": ["en", "zh"], "benchmarks": ["cross-mmlu"],
            "parallel": str(DATA_DIR / "parallel_instructions_en_zh_partial"), "arms": [{"recipe": "x2x", "n": 4}]}
    config = tmp / "executor.yaml"
    config.write_text(json.dumps(base))
    run = ["experiment", "run", str(config), "--out", str(tmp / "exec-out"), "--only", "guard"]
    cases = [(f"executor {flag} {value!r}", run + [flag, value] + (["--executor", "ray"] if "ray" in flag else []))
             for flag, values in EXECUTOR_FLAGS.items() for value in values]
    for i, section in enumerate(EXECUTOR_YAML):
        path = tmp / f"executor{i}.yaml"
        path.write_text(json.dumps({**base, "executor": section}))
        cases.append((f"executor yaml {section}", ["experiment", "run", str(path), "--out", str(tmp / "exec-out"),
                                                   "--only", "guard"]))
    return cases


def tiny_adapter(base: Path, folder: Path, compact: bool = False) -> Path:
    """A real LoRA adapter of the tiny model: PEFT's standard files, or crossin's compact form."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(0)
    model = get_peft_model(AutoModelForCausalLM.from_pretrained(base),
                           LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"]))
    if compact:
        from crossin.models.adapter import save_adapter_weights

        save_adapter_weights(model, folder)
    else:
        model.save_pretrained(folder)
    config = json.loads((folder / "adapter_config.json").read_text())
    config["base_model_name_or_path"] = str(base)
    (folder / "adapter_config.json").write_text(json.dumps(config))
    return folder


def _weights_damage(kind: str):
    """A function that damages adapter_model.safetensors in one way."""
    import struct

    def header(path: Path, edit) -> None:
        data = path.read_bytes()
        n = struct.unpack("<Q", data[:8])[0]
        head = json.loads(data[8:8 + n])
        edit(head)
        text = json.dumps(head).encode()
        path.write_bytes(struct.pack("<Q", len(text)) + text + data[8 + n:])

    def first(head):
        return next(k for k in head if k != "__metadata__" and "lora_A" in k)

    return {
        "missing": lambda p: p.unlink(), "empty": lambda p: p.write_bytes(b""),
        "truncated": lambda p: p.write_bytes(p.read_bytes()[: p.stat().st_size // 2]),
        "random bytes": lambda p: p.write_bytes(bytes(range(256)) * 8),
        "2^60 header": lambda p: p.write_bytes(struct.pack("<Q", 2**60) + b"{}"),
        "header not json": lambda p: p.write_bytes(struct.pack("<Q", 4) + b"{{{{"),
        "header a list": lambda p: p.write_bytes(struct.pack("<Q", 2) + b"[]"),
        "7 bytes": lambda p: p.write_bytes(b"\x01" * 7),
        "no tensors": lambda p: p.write_bytes(struct.pack("<Q", 2) + b"{}"),
        "offsets past the end": lambda p: header(p, lambda h: h[first(h)].update(data_offsets=[0, 2**40])),
        "offsets negative": lambda p: header(p, lambda h: h[first(h)].update(data_offsets=[-8, 0])),
        "shape vs size": lambda p: header(p, lambda h: h[first(h)].update(shape=[4, 999])),
        "rank 5": lambda p: header(p, lambda h: h[first(h)].update(shape=[5, 32 * 4 // 5 * 0 + 1])),
        "3-d shape": lambda p: header(p, lambda h: h[first(h)].update(shape=[4, 32, 1])),
        "dtype bogus": lambda p: header(p, lambda h: h[first(h)].update(dtype="F99")),
        "metadata not strings": lambda p: header(p, lambda h: h.update(__metadata__={"a": 1})),
        "fifo": lambda p: _damage_file(p, "fifo"), "link loop": lambda p: _damage_file(p, "link loop"),
        "folder": lambda p: _damage_file(p, "folder"),
    }[kind]


WEIGHTS_DAMAGE = ["missing", "empty", "truncated", "random bytes", "2^60 header", "header not json", "header a list",
                  "7 bytes", "no tensors", "offsets past the end", "offsets negative", "shape vs size", "rank 5",
                  "3-d shape", "dtype bogus", "metadata not strings", "fifo", "link loop", "folder"]
ADAPTER_CONFIG_DAMAGE = [{"peft_type": "BOGUS"}, {"peft_type": None}, {"peft_type": "IA3"}, {"r": 0}, {"r": -4},
                         {"r": 8}, {"r": "4"}, {"r": True}, {"r": 4.5}, {"target_modules": ["nosuch_proj"]},
                         {"target_modules": ["q_proj", "zz_proj"]}, {"target_modules": 5}, {"target_modules": [5]},
                         {"target_modules": "(("}, {"target_modules": ".*nomatch"}, {"lora_alpha": "x"},
                         {"rank_pattern": 5}]


def adapter_damages(base: Path, tmp: Path) -> list[tuple[str, Path]]:
    """(label, damaged adapter folder) for each kind of damage, on both layouts (standard PEFT and compact)."""
    import shutil

    out = []
    for layout in ("peft", "compact"):
        good = tiny_adapter(base, tmp / f"adapter-{layout}", compact=layout == "compact")
        for kind in WEIGHTS_DAMAGE:
            folder = tmp / f"adapter-{layout}-{len(out)}"
            shutil.copytree(good, folder)
            _weights_damage(kind)(folder / "adapter_model.safetensors")
            out.append((f"{layout} weights {kind}", folder))
        for i, change in enumerate(ADAPTER_CONFIG_DAMAGE + [None] + FILE_KINDS):
            folder = tmp / f"adapter-{layout}-{len(out)}"
            shutil.copytree(good, folder)
            config_path = folder / "adapter_config.json"
            if isinstance(change, dict):
                config_path.write_text(json.dumps({**json.loads(config_path.read_text()), **change}))
            elif change is None:
                config_path.unlink()
            else:
                _damage_file(config_path, change)
            out.append((f"{layout} adapter_config {change}", folder))
    return out


def _adapter_cases(tmp: Path, base: Path) -> list[tuple[str, list]]:
    """`export merged` on damaged adapter folders; the guard: a --out that is not empty (checked after the adapter)."""
    guard = tmp / "guard-out"
    guard.mkdir()
    (guard / "x").write_text("x")
    return [(f"export merged {label}", ["export", "merged", "--adapter", str(folder), "--out", str(guard)])
            for label, folder in adapter_damages(base, tmp)]


# One server URL damaged in each way (each also inside a comma list and a file of URLs).
URL_DAMAGE = ["http://[::1/v1", "http://[::1]:99999/v1", "http://a\u202eb/v1", "http://a\u200bb/v1", "http://a\x00b/v1",
              "http://a\tb/v1", "http://a b/v1", "http://a\nb/v1", "http:///v1", "http://h:0/v1", "http://h:x/v1",
              "http://" + "h" * 5000 + "/v1", "http://user:PASSWORD@[::1/v1", "ftp://h/v1", "http://h\u2028/v1"]


def _url_cases(tmp: Path) -> list[tuple[str, list]]:
    """--base-url of eval and data translate: each damage alone, in a comma list, and on a line of a URL file;
    the file itself too long a line, not UTF-8, a FIFO."""
    eval_ = ["eval", "--model", "openai:guard", "--bench", "cross-mmlu", "--out", str(tmp / "url-out"), "--base-url"]
    translate = ["data", "translate", "--input", str(tmp / "guard.jsonl"), "--to", "zh", "--model", "m", "--out",
                 str(tmp / "t"), "--base-url"]
    cases = []
    for i, url in enumerate(URL_DAMAGE):
        listed = f"http://127.0.0.1:8000/v1,{url}"
        file = tmp / f"urls{i}.txt"
        file.write_text(f"# servers\nhttp://127.0.0.1:8000/v1\n{url}\n", encoding="utf-8", errors="surrogateescape")
        for form, value in (("alone", url), ("in a list", listed), ("in a file", str(file))):
            if form == "in a file" and ("\n" in url or "\u2028" in url):
                continue  # a line break is a new line of the file
            cases.append((f"eval --base-url {form} {url[:30]!r}", eval_ + [value]))
            cases.append((f"translate --base-url {form} {url[:30]!r}", translate + [value]))
    long_line = tmp / "urls-long.txt"
    long_line.write_text("http://127.0.0.1:8000/v1\n" + "x" * 70_000 + "\n")
    latin1 = tmp / "urls-latin1.txt"
    latin1.write_bytes(b"http://caf\xe9.example/v1\n")
    fifo = tmp / "urls.fifo"
    os.mkfifo(fifo)
    for name, path in (("a line over the bound", long_line), ("latin-1", latin1), ("FIFO", fifo),
                       ("empty", tmp / "urls-empty.txt")):
        (tmp / "urls-empty.txt").write_text("# nothing\n")
        cases.append((f"eval --base-url file {name}", eval_ + [str(path)]))
        cases.append((f"translate --base-url file {name}", translate + [str(path)]))
    return cases


# Combinations that change nothing, and spellings that are not what they look like.
FLOAT_INTS = ["1e3", "1E3", "1.5e2", "10e0", "1e-0", "0x10", "1_000", "١٢"]
INT_FLAGS = [["score", "--bench", "cross-mmlu", "-p", "{pred}", "--allow-missing", "--n-boot"],
             ["score", "--bench", "cross-mmlu", "-p", "{pred}", "--allow-missing", "--show-disagreements"],
             ["score", "--bench", "cross-mmlu", "-p", "{pred}", "--allow-missing", "--seed"],
             ["eval", "--model", "{dir}/guard-model", "--out", "{dir}/o", "--limit"],
             ["report", "{dir}/guard-runs", "--n-boot"]]
CASE_CODES = ["ZH", "En", "zho_hans", "ZHO_HANS", "spa_latn", "Vi", "FIL", "eng_latn"]


def _no_op_cases(tmp: Path, pred_ok: Path) -> list[tuple[str, list]]:
    cases = []
    for mode in ("loglik", "generate"):
        for norm in ("bytes", "tokens", "none", "pmi"):
            cases.append((f"eval --mode {mode} --cloze-norm {norm}",
                          ["eval", "--mode", mode, "--cloze-norm", norm, "--model", str(tmp / "guard-model"),
                           "--out", str(tmp / "o")]))
            path = tmp / f"cloze-{mode}-{norm}.yaml"
            path.write_text(json.dumps({"name": "t", "langs": ["en", "zh"], "benchmarks": ["cross-mmlu"],
                                        "parallel": str(DATA_DIR / "parallel_instructions_en_zh_partial"),
                                        "arms": [{"recipe": "x2x", "n": 4}],
                                        "eval": {"mode": mode, "cloze_norm": norm}}))
            cases.append((f"experiment eval {mode} cloze_norm {norm}", ["experiment", "list", str(path)]))
    for flags in INT_FLAGS:
        for value in FLOAT_INTS:
            args = [a.replace("{dir}", str(tmp)).replace("{pred}", str(pred_ok)) for a in flags] + [value]
            cases.append((f"{' '.join(flags[:1] + flags[-1:])} {value}", args))
    for code in CASE_CODES:
        cases.append((f"score --langs {code}", ["score", "--bench", "cross-mmlu", "--langs", f"en,{code}", "-p",
                                                str(pred_ok), "--allow-missing"]))
        cases.append((f"eval belebele --langs {code}", ["eval", "--bench", "belebele", "--langs", code, "--model",
                                                        str(tmp / "guard-model"), "--out", str(tmp / "o")]))
    return cases


def _record_text_cases(tmp: Path, pred_ok: Path) -> list[tuple[str, list]]:
    """lm-eval samples with an empty cloze choice at each position; report inputs whose names are not text."""
    cases = []
    for i in range(4):
        for empty in ("", ):
            folder = tmp / f"lmeval-empty{i}"
            for lang in ("en", "zh"):
                folder.mkdir(parents=True, exist_ok=True)
                choices = ["A a", "B b", "C c", "D d"]
                if lang == "zh":
                    choices[i] = empty
                doc = {"id": "s1", "lang": lang, "mode": "cloze", "prompt": "p", "choices": choices, "gold": 1}
                line = {"doc_id": 0, "doc": doc, "filtered_resps": [[str(-x), "False"] for x in range(1, 5)]}
                (folder / f"samples_cross_mmlu_{lang}_2026-01-01T00-00-00.000001.jsonl").write_text(json.dumps(line) + "\n")
            cases.append((f"lm-eval cloze choice {i} empty", ["score", "--lm-eval-samples", str(folder)]))
    results = tmp / "text_results.json"
    assert CliRunner().invoke(app, ["score", "--bench", "cross-mmlu", "--langs", "en,zh", "-p", str(pred_ok),
                                    "--allow-missing", "--out", str(results)]).exit_code == 0
    good = results.read_text()
    for i, bad in enumerate(["\\udc80", "\\ud800x", "z\\u0000", "\\u001b[31m", "\\u007f"]):
        for where in ("language", "arm name"):
            folder = tmp / f"text{i}{where[0]}" / "run" / "cross-mmlu"
            folder.mkdir(parents=True)
            if where == "language":
                (folder / "results.json").write_text(good.replace('"zh"', f'"{bad}"'))
            else:
                (folder / "results.json").write_text(good)
                (folder.parent / "arm.json").write_text(f'{{"name": "{bad}"}}')
            cases.append((f"report {where} {bad}", ["report", str(folder.parents[1]), "--out", str(tmp / f"rep{i}")]))
    folder = tmp / "undecodable" / os.fsdecode(b"run\xff") / "cross-mmlu"  # a run folder named in latin-1
    folder.mkdir(parents=True)
    (folder / "results.json").write_text(good)
    cases.append(("report folder name not UTF-8", ["report", str(tmp / "undecodable"), "--out", str(tmp / "rep-b")]))
    return cases


def issue35_cases(tmp: Path, base: Path) -> dict[str, list[tuple[str, list]]]:
    pred_ok = tmp / "pred35.jsonl"
    pred_ok.write_text(json.dumps({"id": mmlu_row()["id"], "lang": "en", "choice": 0}) + "\n")
    return {"experiment folder": _experiment_folder_cases(tmp / "folders"), "executor": _executor_cases(tmp),
            "adapter folder": _adapter_cases(tmp, base), "base url": _url_cases(tmp),
            "no-op and spelling": _no_op_cases(tmp, pred_ok), "record text": _record_text_cases(tmp, pred_ok)}


def test_fuzz_issue35_classes(tmp_path, tiny_dir):
    """Issue 35: damaged experiment folders (status/list), executor values, adapter folders (export merged): one
    `error:` line, exit 2, each in under 5 s and before any model loads."""
    (tmp_path / "folders").mkdir()
    classes = issue35_cases(tmp_path, tiny_dir)
    wrong, slow = [], []
    for cls, cases in classes.items():
        w, sl = _run_cases(cases, limit_s=5)
        wrong += [f"{cls}: {x}" for x in w]
        slow += [f"{cls}: {x}" for x in sl]
    counts = {cls: len(cases) for cls, cases in classes.items()}
    assert counts["experiment folder"] >= 150 and counts["executor"] >= 80 and counts["adapter folder"] >= 80, counts
    assert counts["base url"] >= 80 and counts["no-op and spelling"] >= 60 and counts["record text"] >= 10, counts
    print("issue 35 cases per class:", counts)
    assert not wrong, f"{len(wrong)} of {sum(counts.values())} cases:\n" + "\n".join(wrong)
    assert not slow, "\n".join(slow)
