"""crossin train: masking on real samples, data errors, config, module checks, memorisation, padding-free loss,
tied embeddings round trip and resume on tiny random models (seconds)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import torch

from crossin.config import build_config
from crossin.errors import CrossinError
from crossin.prompts import format_instruction
from crossin.train import TrainConfig, train
from crossin.prompts import tokenize_prompt
from crossin.train.data import IGNORE_INDEX, Sample, build_dataset, encode_sample, load_samples

REPO = Path(__file__).resolve().parents[1]
GEMMA_CHAT = (
    "{{ bos_token }}{% for m in messages %}<start_of_turn>{{ 'model' if m['role'] == 'assistant' else m['role'] }}\n"
    "{{ m['content'] }}<end_of_turn>\n{% endfor %}{% if add_generation_prompt %}<start_of_turn>model\n{% endif %}"
)


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def real_tokenizer():
    from crossin.models.hf import load_tokenizer

    return load_tokenizer("gemma-3-270m")


@pytest.fixture(scope="module")
def real_samples(alpaca_dir):
    """The first rows of the shared English and Chinese Alpaca, with and without an input field."""
    out = []
    for lang in ("en", "zh"):
        rows, _ = load_samples(alpaca_dir / f"{lang}.jsonl", limit=40)
        out += [rows[0], next(r for r in rows if r.input.strip())]
    return out


# ---------------------------------------------------------------- masking (acceptance)

@pytest.mark.parametrize("fmt", ["alpaca", "chat"])
def test_masking_real_samples(real_tokenizer, real_samples, fmt):
    tok = real_tokenizer
    if fmt == "chat":
        import copy

        tok = copy.deepcopy(real_tokenizer)
        tok.chat_template = GEMMA_CHAT
    for s in real_samples:
        row = encode_sample(s, tok, fmt)
        ids, labels = row["input_ids"], row["labels"]
        prompt = format_instruction(s.instruction, s.input, fmt=fmt, tokenizer=tok)
        # the prompt ids are exactly what eval feeds the model (tokenizer call on the prompt, BOS once)
        n_prompt = len(tokenize_prompt(tok, prompt))
        assert ids[:n_prompt] == tok(prompt, add_special_tokens=fmt != "chat")["input_ids"]
        assert ids.count(tok.bos_token_id) == 1
        assert all(x == IGNORE_INDEX for x in labels[:n_prompt])
        assert all(x != IGNORE_INDEX for x in labels[n_prompt:])
        assert labels[n_prompt:] == ids[n_prompt:]
        assert labels[-1] == tok.eos_token_id and ids[-1] == tok.eos_token_id
        supervised = tok.decode(labels[n_prompt:-1])
        assert supervised.startswith(s.output.strip()[:20])
        assert tok.decode(ids[:n_prompt]) == (prompt if fmt == "chat" else "<bos>" + prompt)
        if fmt == "chat":
            assert supervised.endswith("<end_of_turn>\n")  # the turn end is learned too


def test_truncation_keeps_start_and_drops_unsupervised(real_tokenizer):
    s = Sample("Say something long.", "", "word " * 200, "x:1")
    full = encode_sample(s, real_tokenizer)
    cut = encode_sample(s, real_tokenizer, max_length=40)
    assert cut["input_ids"] == full["input_ids"][:40] and len(cut["labels"]) == 40
    assert encode_sample(s, real_tokenizer, max_length=5) is None
    ds, stats = build_dataset([s, s], real_tokenizer, max_length=40)
    assert len(ds) == 2 and stats["tokens"] == 80


# ---------------------------------------------------------------- data errors

@pytest.mark.parametrize("line, message", [
    ('{"instruction": "a", "input": ""}', "'output' is missing"),
    ('{"instruction": "a", "output": 3}', "'output' is not a string"),
    ('{"instruction": "a", "output": "  "}', "empty output"),
    ('{"instruction": "a", "output": "b"', "invalid JSON"),
    ('[1, 2]', "expected a JSON object"),
    ('{"messages": [{"role": "assistant", "content": "x"}]}', "expected one user and one assistant"),
])
def test_malformed_data_names_file_and_line(tmp_path, line, message):
    path = tmp_path / "train.jsonl"
    path.write_text('{"instruction": "ok", "input": "", "output": "fine"}\n' + line + "\n", encoding="utf-8")
    (tmp_path / "manifest.json").write_text("{}", encoding="utf-8")  # a finished `crossin data build` folder
    with pytest.raises(CrossinError) as e:
        load_samples(tmp_path)
    assert e.value.path == str(path) and e.value.line == 2
    assert message in str(e.value)


def test_messages_format_and_folder_resolution(tmp_path):
    rows = [{"messages": [{"role": "user", "content": f"q{i}"}, {"role": "assistant", "content": f"a{i}"}]}
            for i in range(3)]
    (tmp_path / "messages.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    with pytest.raises(CrossinError, match="incomplete data folder"):  # no manifest: a build cut short
        load_samples(tmp_path)
    (tmp_path / "manifest.json").write_text("{}", encoding="utf-8")
    samples, path = load_samples(tmp_path, limit=2)
    assert path.name == "messages.jsonl" and [(s.instruction, s.output) for s in samples] == [("q0", "a0"), ("q1", "a1")]
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "manifest.json").write_text("{}", encoding="utf-8")
    with pytest.raises(CrossinError, match="no train.jsonl"):
        load_samples(tmp_path / "empty")
    with pytest.raises(CrossinError, match="not found"):
        load_samples(tmp_path / "nope.jsonl")


# ---------------------------------------------------------------- config

def test_paper_config_values_and_overrides():
    cfg = build_config(TrainConfig, REPO / "configs/train/paper.yaml", {"lora_r": "32", "target_modules": "q_proj,v_proj"})
    assert (cfg.learning_rate, cfg.effective_batch_size, cfg.num_epochs) == (1e-4, 16, 1.0)
    assert (cfg.lora_alpha, cfg.lora_dropout, cfg.warmup_ratio, cfg.weight_decay) == (128, 0.05, 0.03, 0.0)
    assert cfg.modules_to_save == ["embed_tokens", "lm_head"] and cfg.optimizer == "adamw_torch"
    assert cfg.lora_r == 32 and cfg.target_modules == ["q_proj", "v_proj"]
    # the paper's values are also the dataclass defaults, so the YAML and the code cannot disagree
    default = TrainConfig()
    paper = build_config(TrainConfig, REPO / "configs/train/paper.yaml")
    assert {k: getattr(paper, k) for k in vars(paper) if k != "limit"} == {k: getattr(default, k) for k in vars(default) if k != "limit"}
    build_config(TrainConfig, REPO / "configs/train/cpu_small.yaml")
    with pytest.raises(CrossinError, match="lora_rank"):
        build_config(TrainConfig, None, {"lora_rank": "8"})


def test_config_key_typo_suggests_the_field(tmp_path):
    yaml_file = tmp_path / "t.yaml"
    yaml_file.write_text("learning_rte: 0.1\nlora_r: 8\nzzz_qqq: 1\n")
    with pytest.raises(CrossinError) as e:
        build_config(TrainConfig, yaml_file)
    message = str(e.value)
    assert "did you mean learning_rte -> learning_rate?" in message and str(yaml_file) in message
    assert "zzz_qqq ->" not in message  # no suggestion when nothing is close
    assert "known:" not in message and "gradient_checkpointing" not in message  # the suggestion only, not 34 fields
    with pytest.raises(CrossinError, match="known: adam_beta1, adam_beta2"):  # nothing close: the list helps
        build_config(TrainConfig, None, {"zzz_qqq": "1"})
    with pytest.raises(CrossinError, match="did you mean lora_rr -> lora_r"):
        build_config(TrainConfig, None, {"lora_rr": "8"})


def test_cpu_hint_and_the_estimate_measured_from_the_first_step(tiny_setup, tmp_path):
    """No constant: the hint names the quick config, and the time estimate is the first step's measured time
    times the steps left, printed once after that step."""
    import re

    from typer.testing import CliRunner

    from crossin.cli import app
    from crossin.train.trainer import cpu_hint

    paper = build_config(TrainConfig, REPO / "configs/train/paper.yaml")
    hint = cpu_hint(paper, gpu=False)
    assert "configs/train/cpu_small.yaml" in hint and not re.search(r"\d+ s\b", hint)
    assert cpu_hint(paper, gpu=True) is None
    assert cpu_hint(build_config(TrainConfig, REPO / "configs/train/cpu_small.yaml"), gpu=False) is None
    model, data = tiny_setup
    res = CliRunner().invoke(app, ["train", "--model", str(model), "--data", str(data), "--out", str(tmp_path / "o"),
                                   "--max-steps", "3", "--lora-r", "64", "--limit", "8"])
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    if not torch.cuda.is_available():  # the CLI prints the hint once, before training
        assert text.count("use --config configs/train/cpu_small.yaml") == 1
    found = re.findall(r"step 1 of 3 took ([\d.]+) s; the 2 left: about (\d+) s at that pace", text)
    assert len(found) == 1, res.output
    first, rest = float(found[0][0]), int(found[0][1])
    assert rest == round(2 * first)
    runtime = json.loads((tmp_path / "o" / "train_config.json").read_text())["result"]["train_runtime_s"]
    assert 0 <= first <= runtime + 0.1  # printed to 0.1 s: a tiny model's step can show as 0.0


def test_train_prints_its_config_one_field_a_line(tiny_setup, tmp_path):
    from typer.testing import CliRunner

    from crossin.cli import app

    res = CliRunner().invoke(app, ["train", "--data", str(tmp_path / "missing"), "--out", str(tmp_path / "o"),
                                   "--config", str(REPO / "configs/train/cpu_small.yaml")], terminal_width=200)
    lines = res.output.splitlines()
    assert lines[0].startswith("crossin train (fields not listed: the paper's defaults")
    assert any(re.fullmatch(r"  lora_r +8", line) for line in lines)
    assert any(re.fullmatch(r"  limit +64", line) for line in lines)
    assert not any("{" in line for line in lines)  # not one dict line
    assert not any(line.strip().startswith("learning_rate") for line in lines)  # the paper's default: not listed


def test_gradient_accumulation_reaches_effective_batch():
    from crossin.train.trainer import accumulation

    assert accumulation(TrainConfig(per_device_batch_size=4), 1) == (4, 4)
    assert accumulation(TrainConfig(per_device_batch_size=4), 2) == (4, 2)
    assert accumulation(TrainConfig(per_device_batch_size=32), 1) == (16, 1)
    with pytest.raises(CrossinError, match="not a multiple"):
        accumulation(TrainConfig(per_device_batch_size=3), 1)


# ---------------------------------------------------------------- tiny models

def _tiny_tokenizer(texts: list[str]):
    """A word-level tokenizer over `texts` (a few hundred ids) so tiny models train in milliseconds."""
    from tokenizers import Tokenizer, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    tk = Tokenizer(models.WordLevel(unk_token="<unk>"))
    tk.pre_tokenizer = pre_tokenizers.Whitespace()
    tk.train_from_iterator(texts, trainers.WordLevelTrainer(special_tokens=["<pad>", "<eos>", "<bos>", "<unk>"]))
    tk.post_processor = processors.TemplateProcessing(single="<bos> $A", special_tokens=[("<bos>", 2)])
    return PreTrainedTokenizerFast(tokenizer_object=tk, bos_token="<bos>", eos_token="<eos>", pad_token="<pad>",
                                   unk_token="<unk>")


def _samples(n=8):
    topics = ["red apples", "blue sky", "green grass", "white snow", "black night", "yellow sun", "grey rain",
              "pink roses", "brown earth", "silver moon"]
    return [{"instruction": f"Describe the {t} in one sentence.", "input": "" if i % 2 else f"Context {i}",
             "output": f"The {t} number {i} is lovely and calm today."} for i, t in enumerate(topics[:n])]


def _build_tiny(root: Path, arch: str) -> tuple[Path, Path]:
    from transformers import Gemma3ForCausalLM, Gemma3TextConfig, LlamaConfig, LlamaForCausalLM

    from crossin.prompts import ALPACA_PROMPT, ALPACA_PROMPT_WITH_INPUT

    rows = _samples(8)
    tok = _tiny_tokenizer([ALPACA_PROMPT, ALPACA_PROMPT_WITH_INPUT] + [" ".join(r.values()) for r in rows])
    special = dict(pad_token_id=tok.pad_token_id, eos_token_id=tok.eos_token_id, bos_token_id=tok.bos_token_id,
                   tie_word_embeddings=True, vocab_size=len(tok))
    torch.manual_seed(0)
    if arch == "gemma3":
        model = Gemma3ForCausalLM(Gemma3TextConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                                   num_attention_heads=2, num_key_value_heads=1, head_dim=16,
                                                   sliding_window=512, **special))
    else:
        # Gemma's q/k norms keep a tiny random model's attention too flat to learn to copy in a few steps
        model = LlamaForCausalLM(LlamaConfig(hidden_size=128, intermediate_size=256, num_hidden_layers=2,
                                             num_attention_heads=4, num_key_value_heads=4, **special))
    model.save_pretrained(root / "model")
    tok.save_pretrained(root / "model")
    data = root / "train.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return root / "model", data


@pytest.fixture(scope="module")
def tiny_setup(tmp_path_factory):
    """(model folder, data file): a 2-layer Gemma 3 with tied embeddings and a word-level tokenizer."""
    return _build_tiny(tmp_path_factory.mktemp("tiny"), "gemma3")


@pytest.fixture(scope="module")
def tiny_llama(tmp_path_factory):
    return _build_tiny(tmp_path_factory.mktemp("llama"), "llama")


def _cfg(model, data, out, **kw) -> TrainConfig:
    base = dict(model=str(model), data=str(data), out=str(out), lora_r=4, lora_alpha=8, lora_dropout=0.0,
                effective_batch_size=4, per_device_batch_size=2, learning_rate=1e-2, warmup_ratio=0.0,
                save_steps=1000, seed=3)
    base.update(kw)
    return TrainConfig(**base)


def _log(out: Path) -> list[dict]:
    return [json.loads(x) for x in (out / "train_log.jsonl").read_text().splitlines()]


def test_target_module_typo_is_an_error(tiny_setup, tmp_path):
    model, data = tiny_setup
    with pytest.raises(CrossinError, match="p_proj") as e:
        train(_cfg(model, data, tmp_path / "o", target_modules=["q_proj", "p_proj"]))
    assert "q_proj" not in str(e.value).split(";")[0]  # only the missing one is named as missing
    with pytest.raises(CrossinError, match="embed_token"):
        train(_cfg(model, data, tmp_path / "o2", modules_to_save=["embed_token"]))


def test_cli_typo_exits_2_with_one_line(tiny_setup, tmp_path):
    from typer.testing import CliRunner

    from crossin.cli import app

    model, data = tiny_setup
    result = CliRunner().invoke(app, ["train", "--model", str(model), "--data", str(data), "--out", str(tmp_path / "o"),
                                      "--target-modules", "q_proj,p_proj", "--lora-r", "2"])
    assert result.exit_code == 2
    assert "error:" in result.output and "p_proj" in result.output and "Traceback" not in result.output


def test_memorises_8_samples_and_writes_outputs(tiny_llama, tmp_path):
    """Learning test: the loss on the 8 training samples falls below 0.1, measured independently of the log."""
    from crossin.models.hf import load_model_and_tokenizer

    model_dir, data = tiny_llama
    out = tmp_path / "run"
    adapter = train(_cfg(model_dir, data, out, num_epochs=50, effective_batch_size=8, per_device_batch_size=8,
                         learning_rate=3e-3, lr_scheduler="constant", logging_steps=5, lora_r=16, lora_alpha=32))
    log = _log(out)
    assert log[0]["loss"] > 3 and log[-1]["loss"] < 0.1
    assert all(r["tokens_per_s"] > 0 and r["learning_rate"] > 0 for r in log)
    assert (out / "loss.png").stat().st_size > 5000
    record = json.loads((out / "train_config.json").read_text())
    assert record["seed"] == 3 and record["derived"]["ensure_weight_tying"] is True
    assert record["result"]["global_step"] == 50 and record["data"]["samples"] == 8

    # teacher-forced loss of the reloaded adapter on the same samples (prompt masked), through the eval loader
    model, tok = load_model_and_tokenizer(str(model_dir), adapter=adapter, device="cpu")
    samples, _ = load_samples(data)
    losses = []
    for s in samples:
        row = encode_sample(s, tok)
        ids, labels = torch.tensor([row["input_ids"]]), torch.tensor([row["labels"]])
        with torch.no_grad():
            losses.append(model(input_ids=ids, labels=labels).loss.item())
    assert max(losses) < 0.15 and sum(losses) / len(losses) < 0.1


def test_padding_free_loss_equals_padded(tiny_setup, tmp_path):
    """Concatenating a batch without padding (position_ids restart per sample) gives the padded batch's loss."""
    model_dir, data = tiny_setup
    losses = {}
    for padding_free in (True, False):
        from crossin.train.trainer import build_trainer

        trainer = build_trainer(_cfg(model_dir, data, tmp_path / str(padding_free), padding_free=padding_free,
                                     per_device_batch_size=4))
        batch = trainer.data_collator([trainer.train_dataset[i] for i in range(4)])
        assert ("position_ids" in batch) == padding_free and ("attention_mask" in batch) != padding_free
        trainer.model.eval()
        with torch.no_grad():
            losses[padding_free] = trainer.compute_loss(trainer.model, dict(batch)).item()
    assert losses[True] == pytest.approx(losses[False], abs=1e-5)


def test_compact_loss_equals_trl_loss(tiny_setup, tmp_path):
    from crossin.train.trainer import build_trainer

    model_dir, data = tiny_setup
    values, logged = {}, {}
    for impl in ("compact", "trl"):
        trainer = build_trainer(_cfg(model_dir, data, tmp_path / impl, loss_impl=impl, per_device_batch_size=4))
        batch = trainer.data_collator([trainer.train_dataset[i] for i in range(4)])
        trainer.model.eval()
        with torch.no_grad():
            values[impl] = trainer.compute_loss(trainer.model, dict(batch)).item()
            trainer.model.train()  # the logged metrics of a training step: token accuracy and tokens seen
            for _ in range(2):
                trainer.compute_loss(trainer.model, dict(batch))
        trainer.log({"loss": values[impl]})
        logged[impl] = {k: trainer.state.log_history[-1][k] for k in ("mean_token_accuracy", "num_tokens")}
    assert values["compact"] == pytest.approx(values["trl"], rel=1e-5)
    # the compact loss logs what TRL's does, through the public log() (tests/test_private_apis.py)
    tokens = batch["attention_mask"].sum() if "attention_mask" in batch else batch["input_ids"].numel()
    assert logged["compact"]["num_tokens"] == logged["trl"]["num_tokens"] == 2 * int(tokens)
    assert logged["compact"]["mean_token_accuracy"] == pytest.approx(logged["trl"]["mean_token_accuracy"], abs=1e-6)


def test_tied_embeddings_roundtrip_and_merge(tiny_setup, tmp_path):
    """After training, the in-memory model, the reloaded adapter and the merged model give the same logits,
    the adapter stores one embedding matrix, and the merged model is still tied."""
    from safetensors.torch import load_file
    from transformers import AutoModelForCausalLM

    from crossin.models.adapter import load_adapter
    from crossin.train.trainer import build_trainer, save_adapter

    model_dir, data = tiny_setup
    cfg = _cfg(model_dir, data, tmp_path / "tied", max_steps=3, learning_rate=5e-2)
    trainer = build_trainer(cfg)
    trainer.train()
    base = trainer.model.get_base_model()
    assert base.get_input_embeddings().weight is base.get_output_embeddings().weight  # still one matrix
    save_adapter(trainer, tmp_path / "adapter")
    saved = load_file(tmp_path / "adapter" / "adapter_model.safetensors")
    # PEFT's layout: the tied matrix under both names PEFT's loader asks for
    embed = saved["base_model.model.model.embed_tokens.weight"]
    assert torch.equal(embed, base.get_input_embeddings().weight.detach())
    assert torch.equal(saved["base_model.model.lm_head.weight"], embed)
    # the tied-once form stores it once, under a file name only crossin reads; reading puts the second name back
    trainer.adapter_format = "tied-once"
    save_adapter(trainer, tmp_path / "compact")
    assert sorted(p.name for p in (tmp_path / "compact").iterdir()) == [
        "adapter_config.json", "adapter_model.tied-once.safetensors"]
    compact = load_file(tmp_path / "compact" / "adapter_model.tied-once.safetensors")
    assert "base_model.model.lm_head.weight" not in compact and compact.keys() < saved.keys()
    assert not any(p.name.startswith("tokenizer") for p in (tmp_path / "adapter").iterdir())
    from crossin.io import normal_mode

    assert all(p.stat().st_mode & 0o777 == normal_mode() for p in (tmp_path / "adapter").iterdir())  # not 0600

    ids = torch.tensor([trainer.train_dataset[0]["input_ids"]])
    trainer.model.eval()
    with torch.no_grad():
        trained = trainer.model(input_ids=ids).logits
        fresh = AutoModelForCausalLM.from_pretrained(model_dir).eval()
        untrained = fresh(input_ids=ids).logits
        again_compact = load_adapter(AutoModelForCausalLM.from_pretrained(model_dir), tmp_path / "compact")
        again_compact = again_compact.eval()(input_ids=ids).logits
        reloaded = load_adapter(fresh, tmp_path / "adapter").eval()
        again = reloaded(input_ids=ids).logits
        rb = reloaded.get_base_model()
        assert rb.get_input_embeddings().weight is rb.get_output_embeddings().weight
        merged = reloaded.merge_and_unload()
        merged_logits = merged(input_ids=ids).logits
    assert (trained - untrained).abs().max() > 1e-2  # training changed the model
    assert (again - trained).abs().max() < 1e-5 and (again_compact - trained).abs().max() < 1e-5
    assert (merged_logits - trained).abs().max() < 1e-4
    assert merged.get_input_embeddings().weight is merged.get_output_embeddings().weight


def test_resume_continues_exactly(tiny_setup, tmp_path):
    """Interrupted after a checkpoint and resumed == one uninterrupted run (same adapter weights, one log)."""
    from safetensors.torch import load_file

    model_dir, data = tiny_setup
    kw = dict(lr_scheduler="constant", save_steps=2, per_device_batch_size=2, effective_batch_size=2)
    full = train(_cfg(model_dir, data, tmp_path / "full", max_steps=4, **kw))
    out = tmp_path / "cut"
    first = train(_cfg(model_dir, data, out, max_steps=2, **kw))
    import shutil

    # a checkpoint holds what resume reads (PEFT's adapter files), no tokenizer
    assert sorted(p.name for p in (out / "checkpoints" / "checkpoint-2").iterdir()) == [
        "adapter_config.json", "adapter_model.safetensors", "optimizer.pt", "rng_state.pth", "scheduler.pt",
        "trainer_state.json"]
    assert "base_model.model.lm_head.weight" in load_file(out / "checkpoints/checkpoint-2/adapter_model.safetensors")
    shutil.rmtree(first)  # as if the run had died after checkpoint-2 ...
    with open(out / "train_log.jsonl", "a") as log:
        log.write('{"step": 3, "loss": 1.0}\n{"step": 4, "lo')  # ... in step 4, mid-way through writing its log line
    with pytest.raises(CrossinError, match="--resume"):
        train(_cfg(model_dir, data, out, max_steps=4, **kw))
    with pytest.raises(CrossinError, match="different config"):
        train(_cfg(model_dir, data, out, max_steps=4, resume=True, lora_r=8, **kw))
    resumed = train(_cfg(model_dir, data, out, max_steps=4, resume=True, **kw))
    a, b = load_file(full / "adapter_model.safetensors"), load_file(resumed / "adapter_model.safetensors")
    assert a.keys() == b.keys()
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=1e-5, atol=1e-6)
    assert [r["step"] for r in _log(out)] == [1, 2, 3, 4]
    # a finished run resumes to its adapter without training again
    assert train(_cfg(model_dir, data, out, max_steps=4, resume=True, **kw)) == resumed


def test_cli_trains_with_yaml_and_flag_overrides(tiny_setup, tmp_path):
    from typer.testing import CliRunner

    from crossin.cli import app

    model, data = tiny_setup
    out = tmp_path / "cli"
    result = CliRunner().invoke(app, ["train", "--model", str(model), "--data", str(data), "--out", str(out),
                                      "--config", str(REPO / "configs/train/cpu_small.yaml"), "--max-steps", "1",
                                      "--lora-r", "2", "--effective-batch-size=4", "--per-device-batch-size", "4"])
    assert result.exit_code == 0, result.output
    record = json.loads((out / "train_config.json").read_text())
    assert record["config"]["lora_r"] == 2 and record["config"]["limit"] == 64  # flag over YAML, YAML over default
    assert record["derived"]["gradient_accumulation_steps"] == 1 and record["result"]["global_step"] == 1
    assert json.loads((out / "adapter" / "adapter_config.json").read_text())["r"] == 2
    assert len(_log(out)) == 1


def test_no_checkpointing_future_warning_in_train_or_adapter_load(tiny_setup, tmp_path):
    """transformers' deprecation of gradient_checkpointing is not shown on every train and adapter eval."""
    import warnings

    from crossin.models.hf import load_model_and_tokenizer

    model, data = tiny_setup
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        adapter = train(_cfg(model, data, tmp_path / "o", max_steps=1, modules_to_save=[]))
        load_model_and_tokenizer(str(model), adapter=str(adapter))
    found = [str(w.message) for w in caught if "checkpointing" in str(w.message)]
    assert found == []


def test_adapter_save_and_load_ask_no_hub_and_warn_nothing(tiny_setup, tmp_path):
    """PEFT's vocabulary check looked the base up on the Hub by the name the user gave (`gemma-3-270m`) and warned
    twice ("Unable to fetch remote file", "Could not find a config file") on every checkpoint and adapter save; its
    load said the base was "renamed" to the converted folder on every adapter eval."""
    import warnings

    from peft import LoraConfig, get_peft_model

    from crossin.models.adapter import load_adapter, save_adapter_weights, tied_copies
    from crossin.models.hf import load_pretrained

    model, _ = tiny_setup
    config = LoraConfig(r=2, target_modules=["q_proj"], modules_to_save=["embed_tokens", "lm_head"],
                        ensure_weight_tying=True)  # as crossin trains a tied model: the matrix stored once
    peft_model = get_peft_model(load_pretrained(str(model))[0], config)
    peft_model.peft_config["default"].base_model_name_or_path = "gemma-3-270m"  # a name, not a folder
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for form in ("peft", "tied-once"):
            save_adapter_weights(peft_model, tmp_path / form, form=form)
            assert bool(tied_copies(tmp_path / form)) == (form == "tied-once")
            load_adapter(load_pretrained(str(model))[0], tmp_path / form)  # PEFT: "base ... was renamed" before
    assert [str(w.message) for w in caught] == []


def test_model_load_has_no_progress_bar_of_its_own(tiny_setup, capfd):
    """transformers' "Loading weights" bar would nest inside crossin's eval bar; it is off during the load only."""
    from transformers.utils import logging as hf_logging

    from crossin.models.hf import load_model_and_tokenizer

    model, _ = tiny_setup
    assert hf_logging.is_progress_bar_enabled()
    load_model_and_tokenizer(str(model))
    captured = capfd.readouterr()
    assert "Loading weights" not in captured.err + captured.out
    assert hf_logging.is_progress_bar_enabled()  # restored for the user's own code


def test_training_reports_to_tensorboard_and_the_adapter_has_a_model_card(tiny_setup, tmp_path):
    """--report-to tensorboard: one event file under <out>/tensorboard/<run_name>/ with the loss of every logged step
    (what train_log.jsonl has); the adapter folder's README.md is a Hub model card (huggingface_hub reads its front
    matter) with the hyperparameters, and the files beside it are PEFT's."""
    from huggingface_hub import ModelCard
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    model, data = tiny_setup
    out = tmp_path / "tb"
    adapter = train(_cfg(model, data, out, max_steps=2, report_to="tensorboard", run_name="grid/arm-a"))
    events = list((out / "tensorboard" / "grid" / "arm-a").glob("events.out.tfevents.*"))
    assert len(events) == 1, list(out.rglob("events.out.tfevents.*"))
    scalars = EventAccumulator(str(events[0])).Reload()
    losses = [(e.step, e.value) for e in scalars.Scalars("train/loss")]
    assert losses == [(r["step"], pytest.approx(r["loss"], rel=1e-6)) for r in _log(out)] and len(losses) == 2
    assert sorted(p.name for p in adapter.iterdir()) == ["README.md", "adapter_config.json", "adapter_model.safetensors"]
    card = ModelCard.load(adapter / "README.md")
    assert card.data.library_name == "peft" and "crossin" in card.data.tags
    assert card.data.base_model is None  # a local folder has no Hub id to name
    assert "| lora_r | 4 |" in card.text and "| optimizer steps | 2 |" in card.text and "PeftModel.from_pretrained" in card.text
    assert "# grid/arm-a" in card.text


def test_report_to_is_checked_before_anything_loads(tiny_setup, tmp_path):
    import importlib.util

    model, data = tiny_setup
    with pytest.raises(CrossinError, match="report_to"):
        train(_cfg(model, data, tmp_path / "x", report_to="mlflowx"))
    if importlib.util.find_spec("wandb") is None:  # a tracker that is not installed: said before the model loads
        with pytest.raises(CrossinError, match="wandb is not installed"):
            train(_cfg(model, data, tmp_path / "x", report_to="wandb"))
    assert not (tmp_path / "x").exists()
