"""Round trip on the real embedded Gemma 3 270M (tied embeddings, modules_to_save embed_tokens + lm_head):
train a few steps, save, reload through the eval loader (`crossin eval --adapter`), and compare option scores
with the in-memory model, also after merging."""

from __future__ import annotations

import gc
import json

import pytest

pytestmark = pytest.mark.model


def _short_samples(alpaca_dir, n=4):
    rows = []
    with open(alpaca_dir / "en.jsonl", encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            if len(r["instruction"]) < 60 and len(r["output"]) < 50 and not r["input"]:
                rows.append(r)
            if len(rows) == n:
                return rows
    raise AssertionError("not enough short samples")


def test_adapter_roundtrip_same_option_scores(alpaca_dir, tmp_path):

    from crossin.benchmarks import load_benchmark
    from crossin.evaluate import score_options
    from crossin.models.hf import load_model_and_tokenizer
    from crossin.train import TrainConfig
    from crossin.train.trainer import build_trainer, save_adapter

    data = tmp_path / "train.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in _short_samples(alpaca_dir, n=2)), encoding="utf-8")
    # the paper's recipe (all projections + embed_tokens/lm_head in full), scaled down: rank 2, 1 step of 2 samples;
    # a high learning rate so that one step moves the option scores measurably
    cfg = TrainConfig(model="gemma-3-270m", data=str(data), out=str(tmp_path / "run"), lora_r=2, lora_alpha=4,
                      effective_batch_size=2, per_device_batch_size=2, max_steps=1, learning_rate=2e-3,
                      warmup_ratio=0.0, max_length=96, save_steps=1000, precision="fp32")
    trainer = build_trainer(cfg)
    trainer.train()
    trainer.optimizer = None  # free the Adam states (2 x 670 MB for the embeddings) before loading two more models
    gc.collect()
    adapter = tmp_path / "run" / "adapter"
    save_adapter(trainer, adapter)

    bench = load_benchmark("cross_mmlu", "en,zh", limit=1)
    model, tok = trainer.model.eval(), trainer.processing_class
    in_memory = score_options(model, tok, bench, mode="loglik")
    with model.disable_adapter():
        base = score_options(model, tok, bench, mode="loglik")
    del trainer, model
    gc.collect()

    def max_diff(a, b):
        assert a.keys() == b.keys()
        return max(abs(x - y) for k in a for x, y in zip(a[k], b[k]))

    assert max_diff(in_memory, base) > 1e-3  # the adapter changed the model, so the comparison below can fail

    reloaded, tok2 = load_model_and_tokenizer("gemma-3-270m", adapter=adapter, device="cpu", dtype="fp32")
    assert max_diff(score_options(reloaded, tok2, bench, mode="loglik"), in_memory) < 1e-4
    del reloaded
    gc.collect()
    merged, tok3 = load_model_and_tokenizer("gemma-3-270m", adapter=adapter, device="cpu", dtype="fp32", merge=True)
    assert merged.get_input_embeddings().weight is merged.get_output_embeddings().weight
    assert max_diff(score_options(merged, tok3, bench, mode="loglik"), in_memory) < 1e-4
