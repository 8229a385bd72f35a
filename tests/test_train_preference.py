"""`crossin train --method dpo|dco`: config checks, DPO (TRL) and DCO on a tiny model with resume, and DCO on the
embedded model's own disagreements (CPU): the dissenting language's chosen answer gains on the rejected one."""

import json

import pytest

from crossin.errors import CrossinError
from crossin.train import TrainConfig, train

TOY = [  # (en, zh, es question, options per language, gold)
    ("What is the capital of France?", "法国的首都是哪里？", "¿Cuál es la capital de Francia?",
     [("Paris", "巴黎", "París"), ("Rome", "罗马", "Roma"), ("Berlin", "柏林", "Berlín")], 0),
    ("Which animal barks?", "哪种动物会汪汪叫？", "¿Qué animal ladra?",
     [("cat", "猫", "gato"), ("dog", "狗", "perro"), ("fish", "鱼", "pez")], 1),
    ("What color is the sky on a clear day?", "晴天的天空是什么颜色？", "¿De qué color es el cielo en un día despejado?",
     [("green", "绿色", "verde"), ("red", "红色", "rojo"), ("blue", "蓝色", "azul")], 2),
    ("How many legs does a spider have?", "蜘蛛有几条腿？", "¿Cuántas patas tiene una araña?",
     [("six", "六", "seis"), ("eight", "八", "ocho"), ("four", "四", "cuatro")], 1),
    ("What do bees make?", "蜜蜂酿造什么？", "¿Qué producen las abejas?",
     [("milk", "牛奶", "leche"), ("silk", "丝", "seda"), ("honey", "蜂蜜", "miel")], 2),
    ("Which planet is closest to the Sun?", "哪颗行星离太阳最近？", "¿Qué planeta está más cerca del Sol?",
     [("Mercury", "水星", "Mercurio"), ("Mars", "火星", "Marte"), ("Jupiter", "木星", "Júpiter")], 0),
    ("What is frozen water called?", "冻结的水叫什么？", "¿Cómo se llama el agua congelada?",
     [("steam", "蒸汽", "vapor"), ("ice", "冰", "hielo"), ("sand", "沙", "arena")], 1),
    ("Which is the largest ocean?", "最大的海洋是哪个？", "¿Cuál es el océano más grande?",
     [("Atlantic", "大西洋", "Atlántico"), ("Indian", "印度洋", "Índico"), ("Pacific", "太平洋", "Pacífico")], 2),
]


def write_toy_pool(path):
    """A small parallel training pool in SeaEval's layout (short questions: cheap CPU steps)."""
    names = ("English", "Chinese", "Spanish")
    with open(path, "w", encoding="utf-8") as f:
        for i, (*questions, options, gold) in enumerate(TOY):
            row = {"id": f"toy-{i}"}
            for k, (name, q) in enumerate(zip(names, questions)):
                choices = [f"({'ABC'[j]}) {o[k]}" for j, o in enumerate(options)]
                row[name] = {"question": q, "choices": choices, "answer": choices[gold]}
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    return path


SMALL_LORA = dict(lora_r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"], modules_to_save=[],
                  warmup_ratio=0.0, lr_scheduler="constant")


@pytest.mark.parametrize("fields, message", [
    (dict(beta=0.5), "--beta is for --method dpo or dco"),
    (dict(method="dco", prompt_format="chat"), "--prompt-format is for --method sft"),
    (dict(method="dpo", sft={"neftune_noise_alpha": 5}), "--sft is for --method sft"),
])
def test_method_specific_fields_are_checked(fields, message):
    with pytest.raises(CrossinError, match=message):
        TrainConfig(data="x", out="y", **fields).validate()


def test_beta_defaults_per_method():
    assert TrainConfig(method="dpo").resolved_beta() == 0.1
    assert TrainConfig(method="dco").resolved_beta() == 1.0
    assert TrainConfig(method="dco", beta=2.0).resolved_beta() == 2.0


def _rows(tmp_path):
    dpo = tmp_path / "calm.jsonl"
    dco = tmp_path / "dco.jsonl"
    with open(dpo, "w") as f, open(dco, "w") as g:
        for i in range(4):
            f.write(json.dumps({"prompt": f"Question {i}?\nAnswer:", "chosen": " yes", "rejected": " no"}) + "\n")
            g.write(json.dumps({"prompt_1": f"Question {i}?\nAnswer:", "chosen_1": " yes", "rejected_1": " no",
                                "prompt_2": f"Pregunta {i}?\nAnswer:", "chosen_2": " sí", "rejected_2": " no"}) + "\n")
    return dpo, dco


@pytest.mark.parametrize("method", ["dpo", "dco"])
def test_preference_methods_train_an_adapter_and_resume(tmp_path, tiny_dir, method, one_torch_thread):
    dpo, dco = _rows(tmp_path)
    out = tmp_path / method
    cfg = dict(method=method, model=str(tiny_dir), data=str(dpo if method == "dpo" else dco), out=str(out),
               effective_batch_size=2, per_device_batch_size=2, learning_rate=1e-2, save_steps=1, **SMALL_LORA)
    train(TrainConfig(max_steps=2, **cfg))
    record = json.loads((out / "train_config.json").read_text())
    assert record["config"]["method"] == method and record["result"]["global_step"] == 2
    assert (out / "adapter" / "adapter_config.json").is_file()
    losses = [json.loads(line)["loss"] for line in (out / "train_log.jsonl").read_text().splitlines()]
    assert len(losses) == 2 and all(loss == loss for loss in losses)
    # resume: a finished run is refused without --resume, and a longer run continues from its checkpoint
    with pytest.raises(CrossinError, match="already holds a trained adapter"):
        train(TrainConfig(max_steps=2, **cfg))
    import shutil

    shutil.rmtree(out / "adapter")
    train(TrainConfig(max_steps=3, resume=True, **cfg))
    assert json.loads((out / "train_config.json").read_text())["result"]["global_step"] == 3


def margins(model, tokenizer, records, lang: int):
    """log P(chosen) - log P(rejected) after record's prompt in language `lang` (1 or 2)."""
    import torch

    from crossin.train.dco import collate, sequence_logps, tokenize_record

    with torch.no_grad():
        logps = sequence_logps(model, collate([tokenize_record(tokenizer, r) for r in records],
                                              tokenizer.pad_token_id))
    c1, r1, c2, r2 = logps.chunk(4)
    return (c1 - r1) if lang == 1 else (c2 - r2)


@pytest.mark.model
def test_dco_on_the_embedded_models_own_disagreements(tmp_path):
    """Pairs from the embedded model's cross-lingual disagreements on a toy pool, a few DCO steps: in the
    dissenting language the majority's (chosen) answer gains log-probability on that language's own (rejected)
    one, as the DCO loss asks (its term |d_2 - beta m_1| with m_1 > 0). With the loss's sign flipped it loses."""
    from crossin.data.pairs import PairsConfig, make_pairs
    from crossin.models.adapter import load_adapter
    from crossin.models.hf import load_pretrained

    pool = write_toy_pool(tmp_path / "pool.jsonl")
    pairs = make_pairs(PairsConfig(pool=str(pool), langs=["en", "zh", "es"], mode="cloze", prompt_format="plain",
                                   exclude=[], out=str(tmp_path / "pairs")), log=lambda _: None)
    manifest = json.loads((pairs / "manifest.json").read_text())
    records = [json.loads(line) for line in (pairs / "dco.jsonl").read_text().splitlines()]
    assert manifest["counts"]["dco_records"] == len(records) >= 2
    assert all(r["vote"][r["lang_2"]] == r["rejected_index"] != r["chosen_index"] == r["vote"][r["lang_1"]]
               for r in records)

    model, tokenizer = load_pretrained("gemma-3-270m", dtype="fp32")
    before_1, before_2 = margins(model, tokenizer, records, 1), margins(model, tokenizer, records, 2)
    # the vote was on the summed log-probability (cloze_norm none): the partner prefers chosen, the dissenter not
    assert (before_1 > 0).all() and (before_2 < 0).all()

    out = tmp_path / "dco"
    train(TrainConfig(method="dco", data=str(pairs), out=str(out), effective_batch_size=len(records),
                      per_device_batch_size=len(records), max_steps=3, learning_rate=1e-3, **SMALL_LORA))
    tuned = load_adapter(model, out / "adapter")
    after_2 = margins(tuned, tokenizer, records, 2)
    gained = (after_2 - before_2)
    assert gained.mean() > 0.1, (before_2.tolist(), after_2.tolist())


def test_dco_continues_an_sft_adapter_against_it_as_reference(tmp_path, tiny_dir, one_torch_thread):
    """--adapter: the SFT stage's adapter is trained further (its own LoRA settings), the reference being the
    model with it merged: at the first step policy = reference, so the loss is |m_2| + |m_1| of the SFT model."""
    import torch

    from crossin.models.adapter import load_adapter
    from crossin.models.hf import load_pretrained
    from crossin.train.dco import collate, sequence_logps, tokenize_record

    sft_rows = tmp_path / "sft.jsonl"
    sft_rows.write_text("".join(json.dumps({"instruction": f"Say {w}", "input": "", "output": w}) + "\n"
                                for w in ("yes", "no", "maybe", "sí")), encoding="utf-8")
    common = dict(model=str(tiny_dir), effective_batch_size=4, per_device_batch_size=4, learning_rate=1e-2,
                  max_steps=2)
    # no LoRA dropout, so that policy and reference are the same function at the first step
    sft = train(TrainConfig(data=str(sft_rows), out=str(tmp_path / "sft"), lora_dropout=0.0, **common, **SMALL_LORA))
    _, dco = _rows(tmp_path)
    with pytest.raises(CrossinError, match="--lora-r does nothing with --adapter"):
        TrainConfig(method="dco", data=str(dco), out="x", adapter=str(sft), lora_r=8).validate()
    out = tmp_path / "dco"
    train(TrainConfig(method="dco", data=str(dco), out=str(out), adapter=str(sft), warmup_ratio=0.0, **common))
    assert json.loads((out / "adapter" / "adapter_config.json").read_text())["r"] == 4
    first = json.loads((out / "train_log.jsonl").read_text().splitlines()[0])["loss"]
    model, tokenizer = load_pretrained(str(tiny_dir), dtype="fp32")
    merged = load_adapter(model, sft)
    records = [json.loads(line) for line in dco.read_text().splitlines()]
    with torch.no_grad():
        c1, r1, c2, r2 = sequence_logps(merged, collate([tokenize_record(tokenizer, r) for r in records],
                                                        tokenizer.pad_token_id)).chunk(4)
    assert first == pytest.approx(((c1 - r1).abs() + (c2 - r2).abs()).mean().item(), rel=1e-4)


def test_dpo_prompts_are_tokenized_as_evaluation_tokenizes_them(tokenizer):
    """TRL adds the tokenizer's BOS to the prompt: a prompt already starting with one (a chat template's) keeps one."""
    from trl.data_utils import _tokenize

    from crossin.prompts import tokenize_prompt
    from crossin.train.preference import build_preference_dataset

    for prompt in ("Question?\nAnswer:", "<bos>Question?\nAnswer:"):
        ds, _ = build_preference_dataset([{"prompt": prompt, "chosen": " A", "rejected": " B"}], "dpo", tokenizer, 64)
        ids = _tokenize(tokenizer, ds[0]["prompt"])["input_ids"]
        assert ids == tokenize_prompt(tokenizer, prompt) and ids.count(tokenizer.bos_token_id) == 1
