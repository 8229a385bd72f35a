"""Several servers behind one --base-url: two real `crossin serve` processes on the tiny model."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from crossin.errors import CrossinError
from crossin.evaluate import EvalConfig, run_eval
from crossin.models.servers import parse_base_urls

DATA_DIR = Path(os.environ["CROSSIN_DATA_DIR"])  # set by conftest.py


def _samples(folder: Path) -> dict:
    lines = (folder / "cross-mmlu" / "samples_cross-mmlu.jsonl").read_text().splitlines()
    return {(s["id"], s["lang"]): s for s in map(json.loads, lines)}


def test_base_url_lists_and_files(tmp_path):
    assert parse_base_urls("http://a:1/v1, http://b:2/v1/") == ["http://a:1/v1", "http://b:2/v1"]
    listing = tmp_path / "servers.txt"
    listing.write_text("# replicas\nhttp://a:1/v1\n\nhttp://b:2/v1  # second\n")
    assert parse_base_urls(str(listing)) == ["http://a:1/v1", "http://b:2/v1"]
    listing.write_text("http://a:1/v1\nb:2\n")
    with pytest.raises(CrossinError, match=f"{listing}:2: not an http"):
        parse_base_urls(str(listing))
    with pytest.raises(CrossinError, match="neither an http"):
        parse_base_urls(str(tmp_path / "missing.txt"))


def test_two_servers_share_the_work_and_a_killed_one_loses_nothing(tiny_dir, tmp_path):
    from conftest import start_server

    a_url, a = start_server("--model", str(tiny_dir), "--name", "tiny", "--device", "cpu", "--log-level", "warning")
    b_url, b = start_server("--model", str(tiny_dir), "--name", "tiny", "--device", "cpu", "--log-level", "warning")
    try:
        common = dict(model="openai:tiny", bench=["cross-mmlu"], langs=["en", "zh"], limit=8, mode="cloze",
                      batch_size=1, data_dir=str(DATA_DIR), n_boot=10)
        one = run_eval(EvalConfig(base_url=a_url, out=str(tmp_path / "one"), no_cache=True, **common),
                       progress=False)["cross-mmlu"]
        killed = []

        def kill_b(batches: int) -> None:
            if batches == 4 and not killed:  # mid-run: 4 of 16 questions answered
                b.kill()
                b.wait()
                killed.append(batches)

        two = run_eval(EvalConfig(base_url=f"{a_url},{b_url}", out=str(tmp_path / "two"),
                                  cache_dir=str(tmp_path / "cache"), **common), progress=False,
                       on_batch=kill_b)["cross-mmlu"]
        assert killed, "the run ended before the kill"
        served = {s["url"]: s for s in two["servers"]}
        assert served[a_url]["requests"] >= 2 and served[b_url]["requests"] >= 2  # both got requests
        assert served[a_url]["failed"] is None and served[b_url]["failed"]  # B reported as failed
        assert two["requests"] == {"total": 16, "cache_hits": 0, "computed": 16}  # nothing lost
        first, second = _samples(tmp_path / "one"), _samples(tmp_path / "two")
        assert first.keys() == second.keys() and len(first) == 16
        for key in first:
            assert second[key]["choice"] == first[key]["choice"]
            assert second[key]["option_scores"] == pytest.approx(first[key]["option_scores"], abs=1e-5)
        # The cache the two servers filled serves a rerun with the same list, dead server included.
        again = run_eval(EvalConfig(base_url=f"{a_url},{b_url}", out=str(tmp_path / "again"),
                                    cache_dir=str(tmp_path / "cache"), **common), progress=False)["cross-mmlu"]
        assert again["requests"] == {"total": 16, "cache_hits": 16, "computed": 0}
        assert one["language_accuracy"] == two["language_accuracy"] == again["language_accuracy"]
    finally:
        for proc in (a, b):
            if proc.poll() is None:
                proc.terminate()
                proc.wait(timeout=30)
