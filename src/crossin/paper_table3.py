"""The CrossIn paper's Table 3 (Lin et al. 2024, "CrossIn: An Efficient Instruction Tuning Approach for
Cross-Lingual Knowledge Alignment", arXiv:2404.11932, Table 3), every cell as printed, in percent.

Acc = accuracy, Consis = consistency between any three of the four languages (en, zh, vi, es; Section 3.1 takes a tolerance
of three languages as the default), AC3 = their harmonic mean. The paper prints one cell as
"74,9" (Mistral-7B-v0.1, CrossIn en2x, Cross-XQuAD Acc); it is 74.9 here. The paper does not say how many CrossIn
samples its Table 3 rows were tuned with.

`crossin report` puts these beside a run whose Table 3 label is a row's label (`label:` of an experiment arm) and,
for the tuned rows, whose base model is the row's base model (`paper_row`).
"""

from __future__ import annotations

CITATION = "Lin et al. 2024, CrossIn (arXiv:2404.11932), Table 3"
BENCHMARKS = ("cross-xquad", "cross-mmlu", "cross-logiqa")  # the table's column groups, in its order
METRICS = ("accuracy", "consistency", "ac3")  # Acc, Consis, AC3 of each group
GENERAL = ""  # the `base` of the general-LLM rows (evaluated as they are)

# (base model, row label): (Cross-XQuAD Acc, Consis, AC3, Cross-MMLU Acc, Consis, AC3, Cross-LogiQA Acc, Consis, AC3)
ROWS: dict[tuple[str, str], tuple[float, ...]] = {
    (GENERAL, "ChatGPT-3.5"): (90.6, 83.7, 87.0, 66.8, 51.8, 58.4, 53.3, 40.5, 46.0),
    (GENERAL, "LLaMA-2-7B-Chat"): (74.9, 67.5, 71.1, 40.1, 42.0, 41.1, 36.8, 43.5, 39.9),
    (GENERAL, "Mistral-7B-Instruct-v0.2"): (84.6, 72.2, 77.9, 49.0, 26.2, 34.1, 46.0, 38.5, 41.9),
    (GENERAL, "LLaMA-7B"): (40.3, 21.5, 28.0, 29.8, 27.8, 28.8, 27.6, 23.0, 25.1),
    (GENERAL, "m-LLaMA-7B"): (46.8, 41.1, 43.8, 26.7, 22.3, 24.3, 28.1, 22.0, 24.7),
    ("Gemma-2B", "Tuning w/ Alpaca"): (42.0, 49.7, 45.5, 36.0, 59.8, 45.0, 28.3, 63.8, 39.2),
    ("Gemma-2B", "Tuning w/ Platypus"): (60.8, 55.8, 58.2, 36.5, 29.7, 32.7, 36.4, 47.9, 41.3),
    ("Gemma-2B", "CrossIn en2x"): (60.1, 62.8, 61.5, 39.2, 43.0, 41.0, 39.5, 37.8, 38.6),
    ("Gemma-2B", "CrossIn x2en"): (54.2, 64.7, 59.0, 41.2, 57.8, 48.1, 36.8, 48.3, 41.8),
    ("Gemma-2B", "CrossIn x2x"): (53.3, 64.3, 58.3, 37.0, 54.5, 44.1, 39.6, 46.2, 42.6),
    ("Mistral-7B-v0.1", "Tuning w/ Alpaca"): (62.2, 52.9, 57.2, 36.2, 43.5, 39.5, 35.7, 33.8, 34.7),
    ("Mistral-7B-v0.1", "Tuning w/ Platypus"): (61.1, 33.2, 43.0, 38.8, 20.2, 26.5, 47.9, 29.8, 36.8),
    ("Mistral-7B-v0.1", "CrossIn en2x"): (74.9, 64.0, 69.0, 41.0, 41.5, 41.2, 44.6, 40.1, 42.2),
    ("Mistral-7B-v0.1", "CrossIn x2en"): (77.4, 63.8, 69.9, 34.8, 47.2, 40.1, 45.3, 42.5, 43.8),
    ("Mistral-7B-v0.1", "CrossIn x2x"): (78.6, 67.9, 72.9, 41.0, 42.3, 41.7, 48.9, 48.3, 48.6),
}


def paper_cells(base: str, label: str) -> dict[str, dict[str, float]] | None:
    """{benchmark: {metric: value as a fraction}} of the row, or None when the paper has no such row."""
    row = ROWS.get((base, label))
    if row is None:
        return None
    return {bench: {m: round(row[3 * b + i] / 100, 4) for i, m in enumerate(METRICS)}
            for b, bench in enumerate(BENCHMARKS)}


def paper_row(meta: dict) -> tuple[str, str] | None:
    """The paper's row a run of an experiment stands for (from its arm.json), or None.

    A general LLM: an eval_only arm whose label is the row's label. A tuned row: the label is the row's label and
    the base model's short name (`models: [NAME=ID]`, or the id's last part) is the paper's base model, any case."""
    label = meta.get("label") or ""
    if meta.get("eval_only"):
        return (GENERAL, label) if (GENERAL, label) in ROWS else None
    if not meta.get("recipe") or meta.get("recipe") == "zero-shot":
        return None
    model = str(meta.get("model_name") or str(meta.get("model") or "").rstrip("/").rsplit("/", 1)[-1]).lower()
    for base, row_label in ROWS:
        if base and base.lower() == model and row_label == label:
            return base, row_label
    return None
