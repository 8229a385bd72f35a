"""MMMLU and X-CSQA (the parallel multiple-choice benchmarks DCO reports on) from small local files in each
dataset's published layout, aligned by the dataset's own ids; scored with consistency like the others."""

from __future__ import annotations

import csv
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from crossin.benchmarks import load_benchmark
from crossin.errors import CrossinError


def write_mmmlu(root: Path, configs=("ZH_CN", "DE_DE"), n=5) -> Path:
    """<root>/mmmlu/test/mmlu_<CONFIG>.csv as OpenAI publishes them (unnamed index column first); DE_DE reversed."""
    (root / "mmmlu" / "test").mkdir(parents=True)
    for config in configs:
        rows = [{"": str(i), "Question": f"{config} q{i}?", "A": f"{config} a{i}", "B": f"{config} b{i}",
                 "C": f"{config} c{i}", "D": f"{config} d{i}", "Answer": "ABCD"[i % 4], "Subject": "astronomy"}
                for i in range(n)]
        if config == "DE_DE":
            rows.reverse()
        with open(root / "mmmlu" / "test" / f"mmlu_{config}.csv", "w", encoding="utf-8", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    return root


def write_xcsqa(root: Path, configs=("X-CSQA-en", "X-CSQA-jap"), n=4) -> Path:
    """<root>/xcsr/<config>/validation/0000.parquet (the Hub's parquet export of INK-USC/xcsr), its nested columns."""
    for config in configs:
        rows = [{"id": f"q{i}", "lang": config[7:],
                 "question": {"stem": f"{config} stem {i}?",
                              "choices": {"label": list("ABCDE"), "text": [f"{config} {x}{i}" for x in "vwxyz"]}},
                 "answerKey": "ABCDE"[i % 5]} for i in range(n)]
        (root / "xcsr" / config / "validation").mkdir(parents=True)
        pq.write_table(pa.Table.from_pylist(rows), root / "xcsr" / config / "validation" / "0000.parquet")
    return root


def test_mmmlu_aligns_languages_by_row_index(tmp_path):
    bench = load_benchmark("mmmlu", "zh,de", data_dir=write_mmmlu(tmp_path))
    assert [s.id for s in bench.sets] == ["0", "1", "2", "3", "4"]
    third = bench.sets[2]
    assert third.items["de"].question == "DE_DE q2?" and third.items["zh"].choices[3] == "ZH_CN d2"
    assert third.gold == 2 and bench.n_choices == 4
    with pytest.raises(CrossinError, match="mmmlu has no en"):
        load_benchmark("mmmlu", "en,zh", data_dir=tmp_path)


def test_xcsqa_reads_the_parquet_export_with_five_options(tmp_path):
    bench = load_benchmark("x-csqa", "en,ja", data_dir=write_xcsqa(tmp_path))
    assert [s.id for s in bench.sets] == ["q0", "q1", "q2", "q3"]
    assert bench.sets[3].items["ja"].question == "X-CSQA-jap stem 3?"  # Japanese is the config X-CSQA-jap
    assert bench.sets[3].items["en"].choices == tuple(f"X-CSQA-en {x}3" for x in "vwxyz")
    assert bench.sets[3].gold == 3 and bench.n_choices == 5


def test_scored_with_consistency_like_the_others(tmp_path):
    from crossin.results import score

    bench = load_benchmark("x-csqa", "en,ja", data_dir=write_xcsqa(tmp_path))
    # en right everywhere, ja right on q0 and q1 only (answers q2, q3: option 0)
    pred = {"en": [s.gold for s in bench.sets], "ja": [0, 1, 0, 0]}
    import numpy as np

    matrix = np.array([pred["en"], pred["ja"]]).T
    results = score(bench, matrix, seed=0, n_boot=50)
    assert results["accuracy"] == pytest.approx(6 / 8)
    assert results["consistency"]["2"] == pytest.approx(2 / 4)


def test_malformed_xcsqa_row_is_one_line(tmp_path):
    root = write_xcsqa(tmp_path, configs=("X-CSQA-en",))
    rows = [{"id": "q9", "lang": "en", "question": {"stem": "s?", "choices": {"label": ["A"], "text": ["only"]}},
             "answerKey": "A"}]
    pq.write_table(pa.Table.from_pylist(rows), root / "xcsr" / "X-CSQA-en" / "validation" / "0000.parquet")
    with pytest.raises(CrossinError, match="2-10 strings"):
        load_benchmark("x-csqa", "en", data_dir=root)
