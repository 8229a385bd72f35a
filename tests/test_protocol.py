"""Numbers comparable with published ones (issue 12): the released Cross-XQuAD, SeaEval's templates, `--template all`,
parallel few-shot examples and native-language prompts."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crossin.benchmarks import load_benchmark, registry
from crossin.cli import app
from crossin.errors import CrossinError
from crossin.evaluate import EvalConfig, build_requests, fewshot_sets, run_eval, templates_to_run
from crossin.prompts import format_cloze, format_mcq, parse_template, prompt_words, template_name
from crossin.prompt_texts import PROMPT_TEXTS

DATA_DIR = Path(os.environ["CROSSIN_DATA_DIR"])  # set by conftest.py
SEVEN = ("en", "zh", "es", "vi", "id", "ms", "fil")
NAMES = {"en": "English", "zh": "Chinese", "es": "Spanish", "vi": "Vietnamese", "id": "Indonesian", "ms": "Malay",
         "fil": "Filipino"}
runner = CliRunner()
pytestmark = pytest.mark.usefixtures("one_torch_thread")

# SeaEval v0.1's strings as published (src/dataset_src/cross_mmlu.py and cross_xquad.py, `prompt_template`): crossin
# stores them as instruction + joiner so that native prompts can reuse the layout; this checks nothing drifted.
SEAEVAL_MMLU = [
    'Respond to the question by selecting the most appropriate answer.\n\nQuestion:\n{}\n\nChoices:\n{}\n\nAnswer:\n',
    'Kindly choose the correct answer from the options provided for the multiple-choice question.\nQuestion:\n{}\nChoices:\n{}\nAnswer:\n',
    'Solve the multi-choice question by selecting the accurate answer.\nQuestion:\n{}\nChoices:\n{}\nAnswer:\n',
    'Please answer the following multiple-choice question by selecting the correct option.\n\nQuestion:\n{}\n\nChoices:\n{}\n\nAnswer:\n',
    'As an expert, your task is to solve the following multiple-choice question. Identify the correct response among '
    'the given choices.\n\nQuestion:\n{}\n\nChoices:\n{}\n\nAnswer:\n',
]
SEAEVAL_XQUAD = [t.replace("Question:", "Context:\n{}" + ("\n\n" if i in (0, 3, 4) else "\n") + "Question:", 1)
                 for i, t in enumerate(SEAEVAL_MMLU)]


# --- 1. the released Cross-XQuAD ---------------------------------------------------------------------------------

def seaeval_row(i: int, gold: int = 1) -> dict:
    row = {"id": f"xquad_{i}"}
    for code, name in NAMES.items():
        choices = [f"({'ABCD'[j]}) {code} answer {i}-{j}" for j in range(4)]
        row[name] = {"context": f"{code} passage {i}", "question": f"{code} question {i}?", "choices": choices,
                     "answer": choices[gold]}
    return row


def write_released(root: Path, n: int = 5) -> Path:
    path = root / "cross_xquad" / "test.jsonl"
    path.parent.mkdir(parents=True)
    path.write_text("".join(json.dumps(seaeval_row(i, gold=i % 4), ensure_ascii=False) + "\n" for i in range(n)),
                    encoding="utf-8")
    return path


def test_released_cross_xquad_loads_from_a_seaeval_file(tmp_path):
    path = write_released(tmp_path)
    bench = load_benchmark("cross-xquad", SEVEN, data_dir=tmp_path)
    assert bench.name == "cross-xquad" and len(bench) == 5 and bench.langs == SEVEN
    item = bench.sets[2].items["vi"]
    assert item.context == "vi passage 2" and item.choices[0] == "vi answer 2-0" and item.gold == 2
    assert bench.meta["source"]["name"] == "cross-xquad" and bench.meta["source"]["file"] == str(path)
    assert len(bench.meta["source"]["sha256"]) == 64


def test_released_cross_xquad_from_the_hub_records_its_revision(tmp_path, monkeypatch):
    import datasets

    calls = []

    def fake_hub(hub_id, split):
        calls.append((hub_id, split))
        return datasets.Dataset.from_list([seaeval_row(i) for i in range(3)]), "0123abc"

    monkeypatch.setattr(registry, "hub_dataset", fake_hub)
    bench = load_benchmark("cross-xquad", ("en", "zh"), data_dir=tmp_path)  # no local file: the Hub
    assert calls == [("SeaEval/cross_xquad", "test")] and len(bench) == 3
    assert bench.meta["source"]["hub"] == "SeaEval/cross_xquad" and bench.meta["source"]["revision"] == "0123abc"


def test_offline_without_either_source_is_one_line(tmp_path, monkeypatch):
    def offline(hub_id, split):
        raise ConnectionError("Couldn't reach 'SeaEval/cross_xquad' on the Hub (LocalEntryNotFoundError)")

    monkeypatch.setattr(registry, "hub_dataset", offline)
    with pytest.raises(CrossinError, match="cross-xquad-built") as e:
        load_benchmark("cross-xquad", ("en",), data_dir=tmp_path)
    assert "SeaEval/cross_xquad" in str(e.value) and "\n" not in str(e.value)
    # A server model is not contacted before the data loads, so the data's error is the one shown.
    res = runner.invoke(app, ["eval", "--bench", "cross-xquad", "--data-dir", str(tmp_path), "--model", "openai:x",
                              "--base-url", "http://127.0.0.1:9/v1", "-q"])
    assert res.exit_code == 2 and len(res.output.strip().splitlines()) == 1 and "cross-xquad-built" in res.output


# --- 2. templates ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("n", range(1, 6))
def test_seaeval_templates_are_seaevals_strings(n):
    choices = ("x", "y", "z", "w")
    listed = "(A) x\n(B) y\n(C) z\n(D) w"
    assert format_mcq("Q?", choices, template=f"seaeval:{n}", fmt="plain") == SEAEVAL_MMLU[n - 1].format("Q?", listed)
    assert format_mcq("Q?", choices, "P.", template=f"seaeval:{n}", fmt="plain") == SEAEVAL_XQUAD[n - 1].format("P.", "Q?", listed)


def test_template_names_and_families():
    assert [template_name(v) for v in (1, "3", "crossin:2", "SeaEval:4")] == ["1", "3", "2", "seaeval:4"]
    assert parse_template("seaeval:5") == ("seaeval", 5)
    assert templates_to_run("all") == ["1", "2", "3", "4", "5"]
    assert templates_to_run("seaeval:all") == [f"seaeval:{n}" for n in range(1, 6)] == templates_to_run("all:seaeval")
    for bad in ("6", "seaeval:0", "lm-eval:1", "x"):
        with pytest.raises(ValueError, match="unknown template"):
            parse_template(bad)
    with pytest.raises(CrossinError, match="unknown template family"):
        templates_to_run("mmlu:all")


def test_cloze_prompts_differ_by_seaeval_template_and_never_list_options():
    prompts = {format_cloze("Q?", "P.", template=f"seaeval:{n}", fmt="plain") for n in range(1, 6)}
    assert len(prompts) == 5 and not any("(A)" in p or "Choices" in p for p in prompts)
    assert all(p.endswith("Answer:\n") for p in prompts)


# --- 3. few-shot -------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def mmlu_full():
    return load_benchmark("cross-mmlu", "en,zh,vi", data_dir=DATA_DIR)


def test_fewshot_sets_exclude_the_asked_set_and_follow_the_seed(mmlu_full):
    pool = mmlu_full.sets
    for pset in pool[:40]:
        shots = fewshot_sets(pool, 5, 0, pset.id)
        assert len(shots) == 5 and pset.id not in {s.id for s in shots} and len({s.id for s in shots}) == 5
    first = [s.id for s in fewshot_sets(pool, 5, 0, "none")]
    assert first == [s.id for s in fewshot_sets(list(reversed(pool)), 5, 0, "none")]  # order of the file is irrelevant
    assert first != [s.id for s in fewshot_sets(pool, 5, 1, "none")]
    with pytest.raises(CrossinError, match="num-fewshot"):
        fewshot_sets(pool[:3], 3, 0, "none")


@pytest.mark.parametrize("mode", ["loglik", "cloze", "generate"])
def test_fewshot_prompts_are_parallel_and_in_the_asked_language(mmlu_full, mode):
    bench = load_benchmark("cross-mmlu", "en,zh,vi", data_dir=DATA_DIR, limit=4)
    requests = build_requests(bench, mode, num_fewshot=3, fewshot_pool=mmlu_full.sets, seed=7, template="seaeval:1",
                              prompt_format="plain")
    by_id = mmlu_full.by_id()
    for r in requests:
        shots = fewshot_sets(mmlu_full.sets, 3, 7, r.set_id)
        item = by_id[r.set_id].items[r.lang]
        for shot in shots:
            ex = shot.items[r.lang]
            assert ex.question.strip() in r.prompt  # the example in the asked language ...
            other = shot.items["en" if r.lang != "en" else "zh"]
            assert other.question.strip() not in r.prompt  # ... and in no other
            answer = {"loglik": "ABCD"[ex.gold], "cloze": ex.choices[ex.gold],
                      "generate": f"({'ABCD'[ex.gold]}) {ex.choices[ex.gold]}"}[mode]
            assert f"Answer:\n{answer}\n\n" in r.prompt
        assert r.prompt.endswith(("Choices:\n" if mode != "cloze" else "") and "Answer:\n")
        assert r.prompt.count(item.question.strip()) == 1
    # --limit does not change which sets are shown
    smaller = build_requests(load_benchmark("cross-mmlu", "en,zh,vi", data_dir=DATA_DIR, limit=2), mode, num_fewshot=3,
                             fewshot_pool=mmlu_full.sets, seed=7, template="seaeval:1", prompt_format="plain")
    assert [r.prompt for r in smaller] == [r.prompt for r in requests[:len(smaller)]]


def test_fewshot_in_alpaca_format_repeats_the_training_formatter(mmlu_full):
    bench = load_benchmark("cross-mmlu", "en", data_dir=DATA_DIR, limit=1)
    prompt = build_requests(bench, "loglik", num_fewshot=2, fewshot_pool=mmlu_full.sets)[0].prompt
    assert prompt.count("### Instruction:") == 3 and prompt.count("### Response:\n") == 3
    assert prompt.endswith("### Response:\n")


# --- 4. native prompts -------------------------------------------------------------------------------------------

def test_native_texts_cover_the_seven_languages():
    for lang in SEVEN:
        words = PROMPT_TEXTS[lang]
        assert len(words["instructions"]) == 5 and all(words[k] for k in ("question", "choices", "context", "answer"))
        assert len({w for w in words["instructions"]}) == 5


def test_native_prompt_uses_the_items_language():
    zh = prompt_words("zh", "native")
    prompt = format_mcq("问?", ("甲", "乙"), "段落", template="seaeval:1", fmt="plain", words=zh)
    assert prompt == "请选择最合适的答案来回答问题。\n\n背景:\n段落\n\n问题:\n问?\n\n选项:\n(A) 甲\n(B) 乙\n\n答案:\n"
    vi = format_mcq("Q?", ("x", "y"), template=1, fmt="plain", words=prompt_words("vi", "native"))
    assert vi.startswith("Hãy trả lời câu hỏi") and "Câu hỏi: Q?" in vi and vi.endswith("\nĐáp án:")
    assert prompt_words("zh", "en")["question"] == "Question"
    with pytest.raises(ValueError, match="native prompts exist"):
        format_mcq("Q?", ("x", "y"), template=3, words=zh)


def test_native_requests_differ_only_outside_english(mmlu_full):
    bench = load_benchmark("cross-mmlu", "en,zh,vi", data_dir=DATA_DIR, limit=2)
    en = build_requests(bench, "loglik", template="seaeval:2", prompt_lang="en")
    native = build_requests(bench, "loglik", template="seaeval:2", prompt_lang="native")
    for a, b in zip(en, native):
        assert (a.prompt == b.prompt) == (a.lang == "en")
        if a.lang == "zh":
            assert "请从所给选项中" in b.prompt and "Question" not in b.prompt.split("### Instruction:")[1]


# --- run_eval: --template all, recorded settings, per-template cache ---------------------------------------------

def _config(tiny_dir, tmp_path, **kw):
    base = dict(model=str(tiny_dir), bench=["cross-mmlu"], langs=["en", "zh", "vi"], limit=4, batch_size=4,
                data_dir=str(DATA_DIR), out=str(tmp_path / "out"), cache_dir=str(tmp_path / "cache"), n_boot=10,
                device="cpu")
    return EvalConfig(**{**base, **kw})


@pytest.mark.parametrize("mode", ["loglik", "cloze", "generate"])
def test_template_all_reports_each_template_median_and_range(tiny_dir, tmp_path, mode):
    cfg = _config(tiny_dir, tmp_path, template="seaeval:all", mode=mode,
                  **({"max_new_tokens": 3} if mode == "generate" else {}))  # a no-op in the scoring modes: refused
    summary = run_eval(cfg, progress=False)["cross-mmlu"]
    names = [f"seaeval:{n}" for n in range(1, 6)]
    assert list(summary["templates"]) == names
    for metric in ("accuracy", "consistency@3", "ac3@3"):
        values = sorted(summary["templates"][t][metric] for t in names)
        assert summary["median"][metric] == values[2] and summary["range"][metric] == [values[0], values[-1]]
    on_disk = json.loads((tmp_path / "out" / "cross-mmlu" / "templates.json").read_text())
    assert on_disk["templates"] == summary["templates"] and on_disk["median"] == summary["median"]
    for n, name in enumerate(names, 1):
        results = json.loads((tmp_path / "out" / "cross-mmlu" / f"template-seaeval-{n}" / "results.json").read_text())
        assert results["template"] == name and results["accuracy"] == summary["templates"][name]["accuracy"]
        samples = (tmp_path / "out" / "cross-mmlu" / f"template-seaeval-{n}" / "samples_cross-mmlu.jsonl").read_text()
        assert SEAEVAL_MMLU[n - 1].split("\n")[0] in json.loads(samples.splitlines()[0])["prompt"]
    # Each template has its own cache entries: a rerun computes nothing, and every template was computed once.
    again = run_eval(cfg, progress=False)["cross-mmlu"]
    assert all(r["requests"]["computed"] == 0 for r in again["runs"].values())
    assert all(r["requests"]["computed"] == 12 for r in summary["runs"].values())


def test_results_record_template_fewshot_prompt_lang_and_source(tiny_dir, tmp_path):
    cfg = _config(tiny_dir, tmp_path, template="seaeval:3", num_fewshot=2, prompt_lang="native")
    results = run_eval(cfg, progress=False)["cross-mmlu"]
    assert (results["template"], results["num_fewshot"], results["prompt_lang"]) == ("seaeval:3", 2, "native")
    assert results["source"]["name"] == "cross-mmlu" and results["source"]["file"].endswith("cross_mmlu/test.jsonl")
    on_disk = json.loads((tmp_path / "out" / "cross-mmlu" / "results.json").read_text())
    assert on_disk["config"]["num_fewshot"] == 2 and on_disk["inputs"]["prompt_lang"] == "native"
    zero = run_eval(_config(tiny_dir, tmp_path, template="seaeval:3", prompt_lang="native"), progress=False)["cross-mmlu"]
    assert zero["requests"]["computed"] == 12  # a different prompt, so not the few-shot run's cache entries


@pytest.mark.parametrize("overrides,message", [
    ({"template": "seaeval:9"}, "unknown template"), ({"template": "all", "prompt_lang": "native"}, "native exists"),
    ({"prompt_lang": "fr"}, "prompt_lang: must be one of en, native"), ({"num_fewshot": -1}, "num_fewshot: must be >= 0"),
    ({"prompt_lang": "native", "langs": ["en", "th"]}, "no texts for th"),
])
def test_bad_prompt_options_fail_before_loading(tmp_path, overrides, message):
    cfg = EvalConfig(model=str(tmp_path / "no-model"), data_dir=str(DATA_DIR), out=None, **overrides)
    with pytest.raises(CrossinError, match=message):
        run_eval(cfg, progress=False)


def test_cli_template_all_prints_the_table(tiny_dir, tmp_path):
    res = runner.invoke(app, ["eval", "--model", str(tiny_dir), "--bench", "cross-mmlu", "--langs", "en,zh,vi",
                              "--template", "all", "--limit", "3", "--data-dir", str(DATA_DIR), "--device", "cpu",
                              "--out", str(tmp_path / "out"), "--cache-dir", str(tmp_path / "cache"), "-q",
                              "--n-boot", "10"])
    assert res.exit_code == 0, res.output
    rows = [line for line in res.output.splitlines() if line.startswith("│") and line.strip("│ ").split(" ")[0] in "12345"]
    assert len(rows) == 5 and "median" in res.output and "range" in res.output
    summary = json.loads((tmp_path / "out" / "cross-mmlu" / "templates.json").read_text())
    assert f"{summary['median']['accuracy']:.3f}" in res.output
