"""The unread share is shown where accuracy is shown, with a warning above 5% in any language (issue 32)."""

import numpy as np
from rich.console import Console

from crossin.cli.app import results_table
from crossin.extraction import ExtractorSpec, extraction_block, extraction_warnings
from crossin.extract import Reading
from crossin.metrics import UNPARSED, compute_metrics

LANGS = ["en", "zh"]


def _render(results) -> str:
    console = Console(width=200, record=True)
    console.print(results_table(results))
    return console.export_text()


def test_table_shows_the_unread_share_and_warns_above_five_percent():
    rng = np.random.default_rng(0)
    gold = rng.integers(0, 4, 40)
    pred = np.stack([gold, gold], axis=1)
    pred[:3, 1] = UNPARSED  # 7.5% of zh unread
    results = compute_metrics(pred, gold, LANGS, 4, n_boot=10)
    assert any(w.startswith("unread answers above 5% (zh 8%)") and "lower bounds" in w for w in results["warnings"])
    text = _render(results)
    assert "3 (7.5%)" in text and "0 (0.0%)" in text and "unread answers above 5%" in text
    pred[:3, 1] = gold[:3]
    pred[:2, 1] = UNPARSED  # 5%: no warning
    assert not any("unread" in w for w in compute_metrics(pred, gold, LANGS, 4, n_boot=10)["warnings"])


def test_extraction_block_counts_the_unread_share_and_cut_offs():
    readings = [("en", Reading(1, rule="final")), ("en", Reading(None, rule="cut_off", cut_off=True)),
                ("zh", Reading(None)), ("zh", Reading(2, rule="judge"))]
    block = extraction_block(ExtractorSpec("crossin"), LANGS, readings)
    assert block["unread_share"] == {"en": 0.5, "zh": 0.5} and block["cut_off"] == {"en": 1, "zh": 0}
    warnings = extraction_warnings(block)
    assert any("--max-new-tokens" in w for w in warnings) and any("lower bounds" in w for w in warnings)
    assert "read_by" not in block
