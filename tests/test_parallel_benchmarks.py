"""Global-MMLU, MMLU-ProX and Belebele from small local files in each dataset's published layout (the Hub
repository's files), aligned by the dataset's own ids; subsets; errors; every mode on a tiny random model."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from crossin.benchmarks import load_benchmark
from crossin.cli import app
from crossin.errors import CrossinError

runner = CliRunner()
LABELS = ["CS", "CA", "-"]


def write_global_mmlu(root: Path, langs=("en", "zh"), n=6, drop: dict | None = None, shuffle_zh=True) -> Path:
    """<root>/global_mmlu/<lang>/test-00000-of-00001.parquet, Global-MMLU's columns; zh's rows in reverse order."""
    for lang in langs:
        rows = [dict(sample_id=f"astronomy/test/{i}", subject="astronomy", subject_category="STEM",
                     question=f"{lang} question {i}?", option_a=f"{lang} a{i}", option_b=f"{lang} b{i}",
                     option_c=f"{lang} c{i}", option_d=f"{lang} d{i}", answer="ABCD"[i % 4], required_knowledge="",
                     time_sensitive="", reference="", culture="", region="", country="",
                     cultural_sensitivity_label=LABELS[i % 3], is_annotated=LABELS[i % 3] != "-")
                for i in range(n) if i not in (drop or {}).get(lang, ())]
        if lang == "zh" and shuffle_zh:
            rows.reverse()
        (root / "global_mmlu" / lang).mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.Table.from_pylist(rows), root / "global_mmlu" / lang / "test-00000-of-00001.parquet")
    return root


def write_mmlu_prox(root: Path, langs=("en", "zh"), n=4) -> Path:
    """<root>/mmlu_prox/<lang>/test-00000-of-00001.parquet; question 1 has 3 options (option_3.. null)."""
    for lang in langs:
        rows = []
        for i in range(n):
            k = 3 if i == 1 else 10
            row = {"question_id": 100 + i, "question": f"{lang} pro question {i}", "answer": "ABCDEFGHIJ"[(i * 3) % k],
                   "answer_index": (i * 3) % k, "cot_content": "", "category": "physics", "src": "ori_mmlu"}
            row.update({f"option_{j}": (f"{lang} opt {i}.{j}" if j < k else None) for j in range(10)})
            rows.append(row)
        (root / "mmlu_prox" / lang).mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.Table.from_pylist(rows), root / "mmlu_prox" / lang / "test-00000-of-00001.parquet")
    return root


def belebele_rows(flores: str, n=5):
    return [{"link": f"https://en.wikibooks.org/wiki/P{i // 2}", "question_number": 1 + i % 2, "flores_passage":
             f"{flores} passage {i // 2}.", "question": f"{flores} question {i}?", "mc_answer1": f"{flores} one {i}",
             "mc_answer2": f"{flores} two {i}", "mc_answer3": f"{flores} three {i}", "mc_answer4": f"{flores} four {i}",
             "correct_answer_num": str(1 + i % 4), "dialect": flores, "ds": "2023-05-03"} for i in range(n)]


def write_belebele(root: Path, flores=("eng_Latn", "zho_Hans"), n=5) -> Path:
    """<root>/belebele/data/<flores>.jsonl, Belebele's published files."""
    (root / "belebele" / "data").mkdir(parents=True, exist_ok=True)
    for code in flores:
        lines = [json.dumps(r, ensure_ascii=False) for r in belebele_rows(code, n)]
        (root / "belebele" / "data" / f"{code}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


# --- loading and alignment -----------------------------------------------------------------------------------------


def test_global_mmlu_aligns_languages_by_sample_id(tmp_path):
    bench = load_benchmark("global-mmlu", "en,zh", data_dir=write_global_mmlu(tmp_path))
    assert [s.id for s in bench.sets] == [f"astronomy/test/{i}" for i in range(6)]  # en's order, zh reversed on disk
    third = bench.sets[2]
    assert third.items["zh"].question == "zh question 2?" and third.items["en"].choices[1] == "en b2"
    assert third.gold == 2 and bench.n_choices == 4
    assert bench.meta["subsets"] == {"cs": ["astronomy/test/0", "astronomy/test/3"],
                                     "ca": ["astronomy/test/1", "astronomy/test/4"]}


@pytest.mark.parametrize("subset, ids", [("cs", [0, 3]), ("ca", [1, 4]), ("all", range(6))])
def test_global_mmlu_subsets(tmp_path, subset, ids):
    bench = load_benchmark("global-mmlu", "en,zh", data_dir=write_global_mmlu(tmp_path), subset=subset)
    assert [s.id for s in bench.sets] == [f"astronomy/test/{i}" for i in ids]


def test_mmlu_prox_has_up_to_ten_options(tmp_path):
    bench = load_benchmark("mmlu-prox", "en,zh", data_dir=write_mmlu_prox(tmp_path))
    assert [s.id for s in bench.sets] == ["100", "101", "102", "103"]
    assert bench.n_choices == 10 and len(bench.sets[1].items["en"].choices) == 3
    assert bench.sets[3].gold == 9  # J
    assert bench.sets[3].items["zh"].choices[9] == "zh opt 3.9"


def test_belebele_flores_files_map_to_crossins_codes(tmp_path):
    root = write_belebele(tmp_path, flores=("eng_Latn", "zho_Hans", "spa_Latn"))
    bench = load_benchmark("belebele", "en,zh,es", data_dir=root)
    assert bench.langs == ("en", "zh", "es") and len(bench) == 5
    first = bench.sets[0]
    assert first.id == "https://en.wikibooks.org/wiki/P0#1"
    assert first.items["zh"].context == "zho_Hans passage 0." and first.items["es"].choices[0] == "spa_Latn one 0"
    assert [s.gold for s in bench.sets] == [0, 1, 2, 3, 0]
    assert load_benchmark("belebele", "eng_Latn,zho_Hans", data_dir=root).langs == ("en", "zh")  # FLORES codes too


def test_a_question_missing_from_one_language_is_left_out_and_counted(tmp_path):
    root = write_global_mmlu(tmp_path, langs=("en", "zh", "es"), drop={"zh": [1], "es": [4]})
    bench = load_benchmark("global-mmlu", "en,zh,es", data_dir=root)
    assert [s.id for s in bench.sets] == [f"astronomy/test/{i}" for i in (0, 2, 3, 5)]
    alignment = bench.meta["source"]["alignment"]
    assert alignment["in_every_language"] == 4
    assert alignment["missing_by_language"] == {"en": 2, "zh": 1, "es": 1}
    # With en and es only, question 1 is back.
    assert len(load_benchmark("global-mmlu", "en,es", data_dir=root)) == 5


def test_a_language_the_dataset_does_not_have_is_one_line(tmp_path):
    root = write_global_mmlu(tmp_path)
    with pytest.raises(CrossinError, match="global-mmlu: no es file"):
        load_benchmark("global-mmlu", "en,es", data_dir=root)
    with pytest.raises(CrossinError, match="mmlu-prox has no fil"):
        load_benchmark("mmlu-prox", "en,fil", data_dir=root)


def test_degenerate_questions_are_left_out_with_the_reason(tmp_path):
    root = write_belebele(tmp_path)
    path = root / "belebele" / "data" / "zho_Hans.jsonl"
    rows = [json.loads(x) for x in path.read_text().splitlines()]
    rows[2]["mc_answer2"] = rows[2]["mc_answer1"]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    bench = load_benchmark("belebele", "en,zh", data_dir=root)
    assert len(bench) == 4 and bench.meta["source"]["alignment"]["left_out"] == {"repeated option": 1}


# --- malformed input: one line, exit 2 ---------------------------------------------------------------------------


def _predictions(path: Path, bench) -> Path:
    lines = [json.dumps({"id": s.id, "lang": lang, "choice": s.gold}) for s in bench.sets for lang in bench.langs]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_malformed_belebele_row_is_one_line_with_file_and_row(tmp_path):
    root = write_belebele(tmp_path)
    path = root / "belebele" / "data" / "zho_Hans.jsonl"
    rows = path.read_text().splitlines()
    bad = json.loads(rows[3])
    bad["correct_answer_num"] = "7"
    rows[3] = json.dumps(bad)
    path.write_text("\n".join(rows) + "\n")
    res = runner.invoke(app, ["score", "--bench", "belebele", "--langs", "en,zh", "--data-dir", str(root),
                              "--predictions", str(tmp_path / "p.jsonl")])
    assert res.exit_code == 2
    lines = res.output.strip().splitlines()
    assert len(lines) == 1 and lines[0] == f"error: {path}:4: 'correct_answer_num' '7' is not 1-4", res.output


def test_malformed_parquet_row_is_one_line(tmp_path):
    root = write_mmlu_prox(tmp_path)
    file = root / "mmlu_prox" / "zh" / "test-00000-of-00001.parquet"
    rows = pq.read_table(file).to_pylist()
    rows[2]["answer"], rows[2]["answer_index"] = "Z", None
    pq.write_table(pa.Table.from_pylist(rows), file)
    res = runner.invoke(app, ["export", "lm-eval", "--bench", "mmlu-prox", "--langs", "en,zh", "--data-dir", str(root),
                              "--out", str(tmp_path / "tasks")])
    assert res.exit_code == 2
    lines = res.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {file}:3: 'answer' 'Z' is not one of the 10 options"), res.output


def test_subset_of_a_benchmark_without_subsets_is_one_line(tmp_path):
    res = runner.invoke(app, ["eval", "--bench", "cross-mmlu", "--subset", "cs", "--out", str(tmp_path)])
    assert res.exit_code == 2 and res.output.strip() == \
        "error: --subset cs: cross-mmlu has no subsets (global-mmlu has cs, ca)", res.output


# --- scoring: per-subset metrics ------------------------------------------------------------------------------------


def test_score_reports_each_subsets_metrics(tmp_path):
    root = write_global_mmlu(tmp_path)
    bench = load_benchmark("global-mmlu", "en,zh", data_dir=root)
    preds = _predictions(tmp_path / "p.jsonl", bench)
    lines = preds.read_text().splitlines()
    wrong = json.loads(lines[2])  # set 1 (CA), en: a wrong answer
    wrong["choice"] = (wrong["choice"] + 1) % 4
    lines[2] = json.dumps(wrong)
    preds.write_text("\n".join(lines) + "\n")
    res = runner.invoke(app, ["score", "--bench", "global-mmlu", "--langs", "en,zh", "--data-dir", str(root),
                              "--predictions", str(preds), "--out", str(tmp_path / "r.json")])
    assert res.exit_code == 0, res.output
    results = json.loads((tmp_path / "r.json").read_text())
    assert results["subsets"]["cs"]["n_sets"] == 2 and results["subsets"]["cs"]["consistency"]["2"] == 1.0
    assert results["subsets"]["ca"]["language_accuracy"] == {"en": 0.5, "zh": 1.0}
    assert results["subsets"]["ca"]["consistency"]["2"] == 0.5
    assert results["inputs"]["subset"] == "all" and results["inputs"]["alignment"]["in_every_language"] == 6
    res = runner.invoke(app, ["score", "--bench", "global-mmlu", "--langs", "en,zh", "--data-dir", str(root),
                              "--predictions", str(preds), "--subset", "cs", "--only-complete", "--out",
                              str(tmp_path / "cs.json")])
    assert res.exit_code == 0, res.output
    assert json.loads((tmp_path / "cs.json").read_text())["n_sets"] == 2


# --- every mode on a tiny random model ------------------------------------------------------------------------------


@pytest.mark.parametrize("mode, circular", [("loglik", False), ("cloze", False), ("loglik", True), ("generate", False)])
def test_every_mode_on_ten_options(tiny, tiny_dir, tmp_path, mode, circular):
    from crossin.evaluate import EvalConfig, run_eval
    from crossin.models.hf import model_identity

    model, tok = tiny
    root = write_mmlu_prox(tmp_path / "data")
    cfg = EvalConfig(model=str(tiny_dir), bench=["mmlu-prox"], langs=["en", "zh"], mode=mode, circular=circular,
                     data_dir=str(root), out=str(tmp_path / "out"), no_cache=True, n_boot=20, batch_size=2,
                     **({"max_new_tokens": 4} if mode == "generate" else {}))
    results = run_eval(cfg, model=model, tokenizer=tok, model_id=model_identity(str(tiny_dir), device="cpu"),
                       progress=False)["mmlu-prox"]
    assert results["n_sets"] == 4 and len(results["gold_distribution"]) == 10
    samples = [json.loads(x) for x in (tmp_path / "out" / "mmlu-prox" / "samples_mmlu-prox.jsonl").read_text().splitlines()]
    if mode == "generate":
        assert results["rankc"] is None
        assert set(results["answer_language"]["languages"]) == {"en", "zh"}
        assert results["requests"]["total"] == 8
    else:
        assert 0.0 <= results["rankc"]["overall"] <= 1.0 and "en-zh" in results["rankc"]["pairwise"]
        assert "rankc" in results["ci95"]
        assert len(samples[2]["option_scores"]) == 3  # question 101 has 3 options, scored as 3
        assert results["requests"]["total"] == (2 * (10 + 3 + 10 + 10) if circular else 8)


# --- export lm-eval --------------------------------------------------------------------------------------------------


def test_export_lm_eval_beside_lm_evals_own_tasks(tmp_path):
    import os

    import lm_eval
    from lm_eval.tasks import TaskManager

    from crossin.evaluate.requests import build_prompt

    root = write_mmlu_prox(write_belebele(tmp_path / "data"))
    res = runner.invoke(app, ["export", "lm-eval", "--bench", "belebele,mmlu-prox", "--langs", "en,zh", "--data-dir",
                              str(root), "--out", str(tmp_path / "tasks")])
    assert res.exit_code == 0, res.output
    os.environ.update({"HF_DATASETS_OFFLINE": "1", "HF_HUB_OFFLINE": "1"})
    # Ours are prefixed, so lm-eval's own belebele_* tasks stay what they are beside them (only lm-eval's belebele
    # folder is indexed: all of lm-eval's tasks take minutes).
    own = Path(lm_eval.__file__).parent / "tasks" / "belebele"
    manager = TaskManager(include_path=[str(tmp_path / "tasks"), str(own)], include_defaults=False)
    assert {"crossin_belebele_zh", "crossin_mmlu_prox_en", "belebele_zho_Hans"} <= set(manager.all_tasks)
    assert Path(manager.task_index["belebele_zho_Hans"].yaml_path).parent == own
    task = manager.load(["crossin_mmlu_prox_zh"])["tasks"]["crossin_mmlu_prox_zh"]
    docs = task.test_docs()
    bench = load_benchmark("mmlu-prox", "en,zh", data_dir=root)
    assert task.doc_to_text(docs[0]) == build_prompt(bench.sets[0].items["zh"], "loglik")
    assert task.doc_to_choice(docs[0]) == list("ABCDEFGHIJ") and task.doc_to_choice(docs[1]) == ["A", "B", "C"]
    assert task.doc_to_target(docs[3]) == 9
    bele = manager.load(["crossin_belebele_zh"])["tasks"]["crossin_belebele_zh"]
    assert "zho_Hans passage 0." in bele.doc_to_text(bele.test_docs()[0])  # the passage is in crossin's prompt


def test_ten_option_prompts_and_answers(tmp_path):
    from crossin.evaluate.requests import build_prompt
    from crossin.extract import extract_choice

    bench = load_benchmark("mmlu-prox", "en,zh", data_dir=write_mmlu_prox(tmp_path))
    item = bench.sets[0].items["en"]
    prompt = build_prompt(item, "loglik")
    assert "(J) en opt 0.9" in prompt and "(K)" not in prompt
    assert extract_choice("The answer is (J).", item.choices) == 9
    assert extract_choice("I", item.choices) == 8
    assert extract_choice("The answer is (J).", bench.sets[1].items["en"].choices) is None  # 3 options: no J


def test_lite_versions_read_the_same_layout(tmp_path):
    import shutil

    root = write_global_mmlu(tmp_path)
    shutil.copytree(root / "global_mmlu", root / "global_mmlu_lite")
    bench = load_benchmark("global-mmlu-lite", "en,zh", data_dir=root, subset="ca")
    assert bench.name == "global-mmlu-lite" and [s.id for s in bench.sets] == ["astronomy/test/1", "astronomy/test/4"]
    with pytest.raises(CrossinError, match="global-mmlu-lite has no am"):
        load_benchmark("global-mmlu-lite", "en,am", data_dir=root)
