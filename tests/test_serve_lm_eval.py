"""lm-evaluation-harness's `local-completions` pointed at a real `crossin serve` gives the log-likelihoods of its
own `hf` backend on the same (tiny) model: the echo + logprobs contract lm-eval relies on. `add_bos_token=True`:
lm-eval's hf backend puts Gemma's BOS first, local-completions does on request."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from conftest import start_server
from crossin.lmeval.export import ExportConfig, export_lm_eval

OFFLINE = {"HF_DATASETS_OFFLINE": "1", "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}


def lm_eval(tmp_path, tasks, name, model, model_args):
    out = tmp_path / name
    run = subprocess.run([sys.executable, "-m", "lm_eval", "--model", model, "--model_args", model_args,
                          "--include_path", str(tasks), "--tasks", "cross_mmlu_en", "--limit", "3", "--log_samples",
                          "--output_path", str(out), "--device", "cpu", "--batch_size", "4"],
                         env={**os.environ, **OFFLINE}, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stderr[-3000:]
    [samples] = out.rglob("samples_cross_mmlu_en_*.jsonl")
    rows = [json.loads(line) for line in samples.read_text(encoding="utf-8").splitlines()]
    return {row["doc_id"]: [r[0][0] for r in row["resps"]] for row in rows}


def test_local_completions_through_crossin_serve_matches_lm_evals_hf_backend(tiny_dir, tmp_path, data_dir):
    tasks = tmp_path / "tasks"
    export_lm_eval(ExportConfig(bench=["cross-mmlu"], langs=["en"], out=str(tasks), limit=3, mode="cloze",
                                data_dir=str(data_dir)))
    url, proc = start_server("--model", str(tiny_dir), "--name", "tiny", "--device", "cpu", "--log-level", "warning")
    try:
        served = lm_eval(tmp_path, tasks, "served", "local-completions",
                         f"model=tiny,base_url={url}/completions,tokenizer_backend=huggingface,"
                         f"tokenizer={tiny_dir},add_bos_token=True,num_concurrent=2,max_retries=1")
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    local = lm_eval(tmp_path, tasks, "local", "hf", f"pretrained={tiny_dir},dtype=float32")
    assert served.keys() == local.keys() and len(local) == 3
    for doc in local:
        assert [float(x) for x in served[doc]] == pytest.approx([float(x) for x in local[doc]], abs=1e-3), doc
