"""The helpers several packages share, each checked once here: the thread-pool loop of the HTTP clients, the lazy
registry (benchmarks, backends, translation engines), token-row padding, and the headline k of every table."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from crossin.errors import CrossinError
from crossin.evaluate.hf_ops import pad_rows
from crossin.metrics import compute_metrics, headline_k
from crossin.registry import Registry
from crossin.threads import map_concurrent


def test_map_concurrent_keeps_order_runs_workers_at_once_and_reports_in_the_callers_thread():
    running, peak, lock = [0], [0], threading.Lock()

    def slow(x):
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.02 * (5 - x % 5))  # later items finish first
        with lock:
            running[0] -= 1
        return x * x

    seen = []
    out = map_concurrent(slow, list(range(10)), workers=3,
                         on_result=lambda i, v: seen.append((i, v, threading.current_thread())))
    assert out == [x * x for x in range(10)]
    assert peak[0] == 3
    assert sorted(i for i, _, _ in seen) == list(range(10)) and all(v == i * i for i, v, _ in seen)
    assert {t for _, _, t in seen} == {threading.current_thread()}
    assert map_concurrent(slow, [], workers=4) == []


def test_map_concurrent_raises_the_first_error_and_starts_nothing_more():
    started = []

    def fail_on_two(x):
        started.append(x)
        if x == 2:
            raise CrossinError("server gone")
        time.sleep(0.05)
        return x

    with pytest.raises(CrossinError, match="server gone"):
        map_concurrent(fail_on_two, list(range(50)), workers=2)
    assert len(started) < 50


def test_registry_imports_a_lazy_entry_on_first_use_only():
    code = ("from crossin.registry import Registry\nimport sys\n"
            "r = Registry('thing', {'json': 'json.decoder:JSONDecoder'})\n"
            "r.register_lazy('csv', 'csv:DictReader')\n"
            "assert 'csv' in r and list(r) == ['csv', 'json'] and 'csv' not in sys.modules\n"
            "import csv\nassert r.get('csv') is csv.DictReader\n")
    subprocess.run([sys.executable, "-c", code], check=True)
    r = Registry("engine", {"hf": "crossin.data.translate.engines:HFEngine"})
    r.register("plain", int)
    assert r.get("plain") is int and r.get("hf").__name__ == "HFEngine"
    with pytest.raises(CrossinError) as e:
        r.get("nope")
    assert str(e.value) == "unknown engine 'nope'; known: hf, plain"


def test_the_three_registries_answer_unknown_names_with_the_known_ones():
    from crossin.benchmarks import get_spec
    from crossin.data.translate.config import ENGINES
    from crossin.evaluate.backend import BACKENDS

    for registry, known in ((BACKENDS, "hf, openai"), (ENGINES, "hf, openai")):
        with pytest.raises(CrossinError, match=f"; known: {known}$"):
            registry.get("vllm")
    with pytest.raises(CrossinError, match="unknown benchmark 'nope'; known: belebele, cross-logiqa"):
        get_spec("nope")
    assert get_spec("Cross_XQuAD-built").name == "cross-xquad-built"


def test_pad_rows_right_and_left():
    ids, mask = pad_rows([[5, 6, 7], [8], []], pad_id=0)
    assert ids.tolist() == [[5, 6, 7], [8, 0, 0], [0, 0, 0]] and mask.tolist() == [[1, 1, 1], [1, 0, 0], [0, 0, 0]]
    ids, mask = pad_rows([[5, 6, 7], [8]], pad_id=-1, left=True)
    assert ids.tolist() == [[5, 6, 7], [-1, -1, 8]] and mask.tolist() == [[1, 1, 1], [0, 0, 1]]
    assert str(ids.dtype) == str(mask.dtype) == "torch.int64"


@pytest.mark.parametrize("n_langs, k", [(1, None), (2, 2), (3, 3), (7, 3)])
def test_headline_k_is_3_or_every_language_when_fewer(n_langs, k):
    assert headline_k(n_langs) == k


def test_every_summary_shows_the_headline_k():
    """The `--template all` summary, the lm_eval block's group row and the report table read the same k."""
    from crossin.benchmarks import MCQ, Benchmark, ParallelSet
    from crossin.evaluate import EvalConfig
    from crossin.evaluate.template_summary import headline
    from crossin.lmeval.results import lm_eval_block
    from crossin.report.loading import Run

    pred = np.array([[0, 0], [1, 2], [3, 3]])
    results = compute_metrics(pred, np.array([0, 1, 2]), ["en", "zh"], 4, n_boot=20)
    assert headline(results)["consistency@3"] == results["consistency"]["2"]
    assert Run("r", "b", "folder", results).metric("ac3") == results["ac3"]["2"]
    bench = Benchmark("cross-mmlu", ("en", "zh"),
                      [ParallelSet(f"s{i}", {lang: MCQ("q", ("a", "b", "c", "d"), i) for lang in ("en", "zh")})
                       for i in range(3)])
    samples = [{"id": f"s{i}", "lang": lang, "gold": i, "choice": int(pred[i, j])}
               for i in range(3) for j, lang in enumerate(("en", "zh"))]
    group = lm_eval_block(EvalConfig(model="m", mode="generate"), bench, samples, results)["results"]["cross_mmlu"]
    assert group["kappa@2,none"] == results["kappa"]["2"] and "kappa@3,none" not in group
