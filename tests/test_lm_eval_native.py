"""`crossin score --lm-eval-samples` on lm-eval's own tasks of the parallel benchmarks (global_mmlu_full_*,
mmlu_prox_*, belebele_*): documents aligned across languages by the dataset's ids, crossin's metrics, RankC."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from crossin.cli import app
from crossin.lmeval.native import native_task
from test_lm_eval import lm_eval_then_score  # lm-eval itself on the embedded model, then crossin score

runner = CliRunner()
STAMP = "2026-01-01T00-00-00.000001"


def _samples(folder: Path, task: str, entries: list[tuple[dict, object]]) -> None:
    """lm-eval's samples_<task>_<date>.jsonl: one line per doc (doc_id, doc, filtered_resps, filter)."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = []
    for i, (doc, resps) in enumerate(entries):
        lines.append(json.dumps({"doc_id": i, "doc": doc, "target": 0, "filtered_resps": resps, "filter": "none"},
                                ensure_ascii=False))
    (folder / f"samples_{task}_{STAMP}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _lls(choice: int, n: int = 4) -> list[list[str]]:
    return [[str(-1.0 if k == choice else -3.0 - k), "False"] for k in range(n)]


def _gm_doc(subject: str, i: int, answer: str, label: str) -> dict:
    return {"sample_id": f"{subject}/test/{i}", "subject": subject, "question": "q", "option_a": "a", "option_b": "b",
            "option_c": "c", "option_d": "d", "answer": answer, "cultural_sensitivity_label": label}


def test_task_names_are_lm_evals():
    assert native_task("global_mmlu_full_zh_high_school_world_history") == ("global-mmlu", "zh")
    assert native_task("global_mmlu_fil_social_sciences") == ("global-mmlu-lite", "fil")
    assert native_task("mmlu_prox_lite_sw_computer_science") == ("mmlu-prox-lite", "sw")
    assert native_task("mmlu_prox_ja_math") == ("mmlu-prox", "ja")
    assert native_task("belebele_zho_Hant") == ("belebele", "zh-Hant")
    assert native_task("belebele_tgl_Latn") == ("belebele", "fil")
    assert native_task("hellaswag") is None and native_task("belebele_xxx_Latn") is None


def test_global_mmlu_subject_tasks_join_by_sample_id(tmp_path):
    run = tmp_path / "lm" / "model"
    golds = {("anatomy", 0): "A", ("anatomy", 1): "B", ("astronomy", 0): "C", ("astronomy", 1): "D"}
    labels = {("anatomy", 0): "CS", ("anatomy", 1): "CA", ("astronomy", 0): "CS", ("astronomy", 1): "-"}
    en = {("anatomy", 0): 0, ("anatomy", 1): 1, ("astronomy", 0): 2, ("astronomy", 1): 0}  # 3 of 4 right
    zh = {("anatomy", 0): 0, ("anatomy", 1): 2, ("astronomy", 0): 2, ("astronomy", 1): 0}  # 2 of 4, agrees on 3
    for lang, picks in (("en", en), ("zh", zh)):
        for subject in ("anatomy", "astronomy"):
            order = (1, 0) if lang == "zh" else (0, 1)  # zh's docs in another order: alignment is by id
            _samples(run, f"global_mmlu_full_{lang}_{subject}",
                     [(_gm_doc(subject, i, golds[(subject, i)], labels[(subject, i)]), _lls(picks[(subject, i)]))
                      for i in order])
    res = runner.invoke(app, ["score", "--lm-eval-samples", str(tmp_path / "lm"), "--out", str(tmp_path / "r.json")])
    assert res.exit_code == 0, res.output
    results = json.loads((tmp_path / "r.json").read_text())
    assert results["inputs"]["benchmark"] == "global-mmlu" and results["n_sets"] == 4
    assert results["language_accuracy"] == {"en": 0.75, "zh": 0.5}
    assert results["consistency"]["2"] == 0.75
    assert results["rankc"]["pairwise"]["en-zh"] < 1.0 and "rankc" in results["ci95"]
    assert results["subsets"]["cs"]["n_sets"] == 2 and results["subsets"]["cs"]["consistency"]["2"] == 1.0
    assert results["subsets"]["ca"]["consistency"]["2"] == 0.0
    assert len(results["inputs"]["lm_eval_samples"]) == 4


def test_mmlu_prox_generate_answers_are_read_as_letters(tmp_path):
    def doc(i, k):
        return {"question_id": 7 + i, "question": "q", "answer": "ABCDEFGHIJ"[i], "answer_index": i, "category": "law",
                **{f"option_{j}": (f"o{j}" if j < k else None) for j in range(10)}}

    _samples(tmp_path, "mmlu_prox_en_law", [(doc(0, 10), ["A"]), (doc(1, 10), ["B"]), (doc(2, 3), ["[invalid]"])])
    _samples(tmp_path, "mmlu_prox_de_law", [(doc(0, 10), ["J"]), (doc(1, 10), ["B"]), (doc(2, 3), ["E"])])
    res = runner.invoke(app, ["score", "--lm-eval-samples", str(tmp_path), "--out", str(tmp_path / "r.json")])
    assert res.exit_code == 0, res.output
    results = json.loads((tmp_path / "r.json").read_text())
    assert results["languages"] == ["en", "de"]
    assert results["language_accuracy"] == pytest.approx({"en": 2 / 3, "de": 1 / 3})
    assert results["unparsed"] == {"en": 1, "de": 1}  # [invalid], and E for a 3-option question
    assert results["consistency"]["2"] == pytest.approx(1 / 3) and results["rankc"] is None


@pytest.mark.parametrize("case, expected", [
    ("no_id", "cannot align global_mmlu_full_zh_anatomy: its docs have no sample_id"),
    ("disjoint", "cannot align global-mmlu: no document id (sample_id) is in every language"),
    ("one_language", "global-mmlu: samples of one language only (en)"),
])
def test_a_task_that_cannot_be_aligned_is_one_line(tmp_path, case, expected):
    _samples(tmp_path, "global_mmlu_full_en_anatomy", [(_gm_doc("anatomy", 0, "A", "CS"), _lls(0))])
    if case == "no_id":
        doc = _gm_doc("anatomy", 0, "A", "CS")
        del doc["sample_id"]
        _samples(tmp_path, "global_mmlu_full_zh_anatomy", [(doc, _lls(0))])
    elif case == "disjoint":
        _samples(tmp_path, "global_mmlu_full_zh_anatomy", [(_gm_doc("anatomy", 5, "A", "CS"), _lls(0))])
    res = runner.invoke(app, ["score", "--lm-eval-samples", str(tmp_path)])
    assert res.exit_code == 2
    lines = res.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and expected in lines[0], res.output


# --- lm-eval itself on a belebele-shaped task -------------------------------------------------------------------------


def _belebele_task(folder: Path, flores: str, rows: list[dict]) -> None:
    """A local copy of lm-eval's own belebele_<flores> task: its template (the installed lm-eval's
    belebele/_default_template_yaml, included by path) over a JSONL file in Belebele's published row layout."""
    import lm_eval

    template = Path(lm_eval.__file__).parent / "tasks" / "belebele" / "_default_template_yaml"
    data = folder / f"{flores}.jsonl"
    data.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    spec = {"include": str(template), "task": f"belebele_{flores}", "dataset_path": "json",
            "dataset_kwargs": {"data_files": {"test": str(data)}}, "test_split": "test", "fewshot_split": "test"}
    (folder / f"belebele_{flores}.yaml").write_text(yaml.safe_dump(spec), encoding="utf-8")


@pytest.mark.model
def test_lm_eval_belebele_samples_give_lm_evals_accuracy_and_consistency(tmp_path):
    from test_parallel_benchmarks import belebele_rows

    tasks = tmp_path / "tasks"
    tasks.mkdir()
    en, zh = belebele_rows("eng_Latn", 4), belebele_rows("zho_Hans", 4)
    for i, row in enumerate(zh):
        row.update(question=f"第{i}题是什么？", flores_passage=f"这是第{i // 2}段。")
    _belebele_task(tasks, "eng_Latn", en)
    _belebele_task(tasks, "zho_Hans", list(reversed(zh)))  # another order: documents must be matched by id
    lm, ours = lm_eval_then_score(tasks, "belebele_eng_Latn,belebele_zho_Hans", tmp_path)
    assert ours["n_sets"] == 4 and ours["languages"] == ["en", "zh"] and ours["inputs"]["benchmark"] == "belebele"
    for lang, flores in (("en", "eng_Latn"), ("zh", "zho_Hans")):
        assert ours["language_accuracy"][lang] == pytest.approx(lm[f"belebele_{flores}"]["acc,none"])
    # Consistency from the samples, matched by (link, question_number) by hand.
    picks = {}
    for path in (tmp_path / "lm").rglob("samples_*.jsonl"):
        for line in path.read_text().splitlines():
            obj = json.loads(line)
            lls = [float(r[0]) for r in obj["filtered_resps"]]
            picks.setdefault(path.name.split("_")[2], {})[(obj["doc"]["link"], obj["doc"]["question_number"])] = \
                lls.index(max(lls))
    agree = sum(picks["eng"][key] == picks["zho"][key] for key in picks["eng"]) / 4
    assert ours["consistency"]["2"] == pytest.approx(agree)
    assert 0.0 <= ours["rankc"]["overall"] <= 1.0 and ours["rankc"]["chance"] == pytest.approx(0.3768, abs=1e-4)
