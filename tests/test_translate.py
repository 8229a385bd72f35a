"""crossin data translate without a server: pieces and checks, language tokens per model family, and the hf engine
on a tiny randomly initialised MarianMT written by the test (alignment, failures, round trip, resume, CLI errors)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crossin.cli.app import app
from crossin.data.translate import TranslateConfig, translate_corpus
from crossin.data.translate.engines import OpenAIEngine, Request, model_family, target_token
from crossin.data.translate.protect import FAILURE_REASONS, check_piece, split_pieces
from crossin.errors import CrossinError

DATA_DIR = Path(os.environ["CROSSIN_DATA_DIR"])  # set by conftest.py

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_pieces_keep_code_whitespace_and_protected_lines_verbatim():
    text = "  Run this:\n```python\nprint('hi')  # a comment\n```\nhttps://example.com/a\n\nThen say {name}. \n"
    pieces = split_pieces(text, per_line=False)
    assert "".join(p for _, p in pieces) == text
    sent = [p for todo, p in pieces if todo]
    assert sent == ["Run this:", "https://example.com/a\n\nThen say {name}."]  # the code block is never sent
    lines = split_pieces("One.\nTwo {x}.\n{x}\n\n42\nThree", per_line=True)
    assert "".join(p for _, p in lines) == "One.\nTwo {x}.\n{x}\n\n42\nThree"
    assert [p for todo, p in lines if todo] == ["One.", "Two {x}.", "Three"]
    assert split_pieces("", per_line=False) == []


@pytest.mark.parametrize("source,output,finish,reason", [
    ("Say hello.", "Di hola.", "stop", None),
    ("Say hello.", "", "stop", "empty"),
    ("Say hello.", "   \n", "stop", "empty"),
    ("Say hello.", "Di hola y", "length", "cut_short"),
    ("Say hello.", "", "rejected", "rejected"),
    ("Say hello.", "I'm sorry, but I cannot help with that.", "stop", "refusal"),
    ("I'm sorry for the delay.", "I'm sorry por el retraso.", "stop", None),  # the source itself apologises
    ("Visit https://example.com/x?a=1 now.", "Visita https://example.com/x now.", "stop", "protected"),
    ("Visit https://example.com/x?a=1.", "Visita https://example.com/x?a=1.", "stop", None),
    ("Call `run()` with {name} {{id}}.", "Llama `run()` con {nombre} {{id}}.", "stop", "protected"),
    ("Call `run()` with {name}.", "Llama a `run()` con {name}.", "stop", None),
    ("Add 12 and 7.", "Suma 12 y siete.", "stop", "protected"),
    ("Add 1,000 and 7.", "Suma 1.000 y 7.", "stop", None),  # digit groups survive other separators
    ("Explain why the sky is blue in simple words.", "Explain why the sky is blue in simple words.", "stop",
     "wrong_language"),
    ("Explain why the sky is blue in simple words.", "This explains why the sky looks blue to us.", "stop",
     "wrong_language"),
    ("Explain why the sky is blue in simple words.", "Explica con palabras sencillas por qué el cielo es azul.",
     "stop", None),
])
def test_check_piece(source, output, finish, reason):
    from crossin.answer_lang import LangId

    langid = LangId(("en", "es"))
    got, detail = check_piece(source, output, finish, detect=langid.detect, target="es")
    assert got == reason, detail
    assert got is None or got in FAILURE_REASONS


def test_language_tokens_per_model_family():
    nllb = {"eng_Latn": 1, "spa_Latn": 2, "zho_Hans": 3}
    assert model_family("m2m_100", nllb) == "nllb" and target_token("nllb", "zh", nllb) == "zho_Hans"
    m2m = {"__en__": 1, "__tl__": 2}
    assert model_family("m2m_100", m2m) == "m2m100" and target_token("m2m100", "fil", m2m) == "__tl__"
    assert target_token("marian", "es", {"hola": 1}) is None  # a fixed-pair model (opus-mt-en-es)
    assert target_token("marian", "es", {">>spa<<": 1, ">>fra<<": 2}) == ">>spa<<"
    assert target_token("marian", "zh", {">>cmn_Hans<<": 1}) == ">>cmn_Hans<<"
    with pytest.raises(CrossinError, match="no language token for 'vi'"):
        target_token("marian", "vi", {">>spa<<": 1})
    with pytest.raises(CrossinError, match="unsupported"):
        model_family("t5", {})


def test_openai_answers_are_cut_at_stop_strings():
    engine = OpenAIEngine(base_url="http://x/v1", model="m", prompt="{text}", max_tokens=8, temperature=0,
                          retry_temperature=0.7, seed=0, concurrency=1, stop=["\n"])
    reply = engine._reply({"message": {"content": " Hola amigo.\nFrench: Salut"}, "finish_reason": "length"})
    assert (reply.text, reply.finish) == (" Hola amigo.", "stop")
    reply = engine._reply({"message": {"content": " Hola amigo y"}, "finish_reason": "length"})
    assert reply.finish == "length"
    body = engine.body(Request("Hi {target}", "en", "es", 1))  # the text is not a template
    assert body["messages"][0]["content"] == "Hi {target}" and body["seed"] == 1 and body["temperature"] == 0.7


# ------------------------------------------------------------------------------------------------ hf engine, tiny model

@pytest.fixture(scope="module")
def tiny_marian(tmp_path_factory) -> Path:
    """A 1-layer MarianMT with >>en<< / >>es<< / >>vi<< tokens and a byte-level BPE. Large random weights and an EOS
    bias make its answers depend on the input and end at different lengths: some finish, some are cut short, some are empty."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from tokenizers.processors import TemplateProcessing
    from transformers import MarianConfig, MarianMTModel, PreTrainedTokenizerFast

    raw = Tokenizer(models.BPE())
    raw.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    raw.decoder = decoders.ByteLevel()
    text = [line for _, line in zip(range(100), (DATA_DIR / "cross_mmlu" / "test.jsonl").open(encoding="utf-8"))]
    raw.train_from_iterator(text, trainers.BpeTrainer(
        vocab_size=400, special_tokens=["<pad>", "</s>", "<unk>", ">>en<<", ">>es<<", ">>vi<<"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    raw.post_processor = TemplateProcessing(single="$A </s>", special_tokens=[("</s>", raw.token_to_id("</s>"))])
    tok = PreTrainedTokenizerFast(tokenizer_object=raw, eos_token="</s>", pad_token="<pad>", unk_token="<unk>")
    torch.manual_seed(0)
    config = MarianConfig(vocab_size=len(tok), d_model=32, encoder_layers=1, decoder_layers=1,
                          encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=32, decoder_ffn_dim=32,
                          max_position_embeddings=256, init_std=1.0, pad_token_id=tok.pad_token_id,
                          eos_token_id=tok.eos_token_id, decoder_start_token_id=tok.pad_token_id,
                          forced_eos_token_id=tok.eos_token_id)  # as the opus-mt models: the EOS forced at max length
    model = MarianMTModel(config).eval()
    model.final_logits_bias[0, tok.eos_token_id] = 12.0
    folder = tmp_path_factory.mktemp("marian")
    model.save_pretrained(folder)
    tok.save_pretrained(folder)
    return folder


SAMPLES = [
    {"instruction": "Say hello to my friend.", "input": "", "output": "Hello, my friend!"},
    {"instruction": "What is the capital of France?", "input": "", "output": "Paris is the capital of France."},
    {"instruction": "Greet the person.", "input": "My name is {name}.", "output": "Hi {name}, welcome!"},
    {"instruction": "Print it:\n```\nprint(1)\n```", "input": "", "output": "1"},
    {"instruction": "Name a colour.", "input": "", "output": "Blue."},
    {"instruction": "Open https://example.com/docs and read it.", "input": "", "output": "Done."},
]


def write_input(path: Path, samples=SAMPLES) -> Path:
    path.write_text("".join(json.dumps(s) + "\n" for s in samples), encoding="utf-8")
    return path


def outputs(folder: Path, langs=("es", "vi")) -> dict[str, str]:
    names = ["en.jsonl", "failures.jsonl"] + [f"{lang}{s}.jsonl" for lang in langs for s in ("", "_translation_score")]
    return {name: (folder / name).read_text(encoding="utf-8") for name in names}


def test_hf_engine_alignment_failures_round_trip_and_resume(tiny_marian, tmp_path):
    src = write_input(tmp_path / "alpaca_en.json")
    def cfg(out, **kw):
        return TranslateConfig(input=str(src), target_langs=["es", "vi"], engine="hf", model=str(tiny_marian),
                               max_tokens=10, batch_size=4, round_trip=True, out=str(out), **kw)

    folder = translate_corpus(cfg(tmp_path / "a"), progress=False)
    manifest = json.loads((folder / "manifest.json").read_text())
    ids = [r["id"] for r in read_jsonl(folder / "en.jsonl")]
    assert ids == [f"alpaca-{i:05d}" for i in range(len(SAMPLES))]  # ids given by position, as `data build` does
    failures = read_jsonl(folder / "failures.jsonl")
    reasons = set()
    for lang in ("es", "vi"):
        written = read_jsonl(folder / f"{lang}.jsonl")
        failed = [f["id"] for f in failures if f["lang"] == lang]
        # Every id is written or failed, never both, in input order.
        assert sorted([r["id"] for r in written] + failed) == ids
        assert not {r["id"] for r in written} & set(failed)
        assert [r["id"] for r in written] == [i for i in ids if i in {r["id"] for r in written}]
        assert manifest["counts"][lang] == {"samples": len(ids), "written": len(written), "failed": len(failed)}
        assert sum(manifest["failures"][lang].values()) == len(failed)
        reasons |= {f["reason"] for f in failures if f["lang"] == lang}
        by_id = {r["id"]: r for r in written}
        for i, s in zip(ids, SAMPLES):
            if i in by_id:
                row = by_id[i]
                assert (row["input"] == "") == (s["input"] == "")  # empty fields stay empty
                if "```" in s["instruction"]:
                    assert row["instruction"].endswith("\n```\nprint(1)\n```")  # the code block untouched
                assert row["output"] != s["output"] or s["output"] == "1"  # '1' has no letters: kept, not sent
        scores = read_jsonl(folder / f"{lang}_translation_score.jsonl")
        assert [s["id"] for s in scores] == [r["id"] for r in written]
        assert all(0 <= s["chrf"] <= 100 and s["score"] <= s["chrf"] / 100 + 1e-9 for s in scores)
    # The URL sample can only fail: a random model cannot reproduce the URL (retried once with beam search).
    assert [f["reason"] for f in failures if f["id"] == ids[5]][:1] in (["protected"], ["cut_short"], ["empty"])
    assert reasons <= set(FAILURE_REASONS) and len(reasons) >= 2
    assert 0 < sum(c["written"] for c in manifest["counts"].values()) < 2 * len(ids)
    assert manifest["input"]["sha256"] and manifest["engine_identity"]["model"] == str(tiny_marian)
    assert manifest["requests"]["cached"] == 0 and manifest["requests"]["sent"] > 0

    # Rerun in the same folder: everything from the cache (the model is not even loaded), same files.
    first = outputs(folder)
    again = translate_corpus(cfg(tmp_path / "a"), progress=False)
    assert json.loads((again / "manifest.json").read_text())["requests"]["sent"] == 0
    assert outputs(again) == first
    # A fresh run with other chunks and batches gives the same files: nothing depends on how work was cut.
    other = translate_corpus(cfg(tmp_path / "b", chunk=2), progress=False)
    assert outputs(other) == first


def test_translated_folder_feeds_data_build(tiny_marian, tmp_path):
    src = write_input(tmp_path / "en.jsonl", [{**s, "id": f"s{i}"} for i, s in enumerate(SAMPLES)])
    out = tmp_path / "corpus"
    result = CliRunner().invoke(app, ["data", "translate", "--input", str(src.parent), "--to", "es", "--engine", "hf",
                                      "--model", str(tiny_marian), "--max-tokens", "10", "--out", str(out),
                                      "--no-progress"])
    assert result.exit_code == 0, result.output
    written = {r["id"]: r for r in read_jsonl(out / "es.jsonl")}
    assert written and f"es: {len(written)}/{len(SAMPLES)} written" in result.output
    mix = tmp_path / "mix"
    result = CliRunner().invoke(app, ["data", "build", "--parallel", str(out), "--recipe", "x2x", "--n", "8",
                                      "--no-langid", "--min-score", "0", "--out", str(mix)])
    assert result.exit_code == 0, result.output
    manifest = json.loads((mix / "manifest.json").read_text())
    assert manifest["corpus"]["valid"]["es"] == len(written)
    rows = read_jsonl(mix / "train.jsonl")
    es_outputs = {r["output"] for r in written.values()}
    assert any(r["output"] in es_outputs for r in rows)  # translated answers made it into the mix


def test_cli_errors_are_one_line(tmp_path):
    src = write_input(tmp_path / "en.jsonl")
    cases = [
        (["--input", str(src), "--out", str(tmp_path / "o"), "--model", "m", "--base-url", "http://x/v1"],
         "no target languages"),
        (["--input", str(src), "--to", "en", "--out", str(tmp_path / "o"), "--model", "m", "--base-url", "http://x/v1"],
         "also a target"),
        (["--input", str(src), "--to", "es", "--out", str(tmp_path / "o"), "--model", "m"], "needs --base-url"),
        (["--input", str(tmp_path / "nope.jsonl"), "--to", "es", "--out", str(tmp_path / "o"), "--model", "m",
          "--engine", "hf"], "nope.jsonl: file not found"),
        (["--input", str(tmp_path), "--to", "xx", "--out", str(tmp_path / "o"), "--model", "m"], "unknown language"),
    ]
    for args, message in cases:
        result = CliRunner().invoke(app, ["data", "translate", *args])
        assert result.exit_code == 2, result.output
        assert message in result.output and "Traceback" not in result.output
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"instruction": "a", "output": "b"}\n{"instruction": 3, "output": "b"}\n')
    result = CliRunner().invoke(app, ["data", "translate", "--input", str(bad), "--to", "es", "--engine", "hf",
                                      "--model", "m", "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and f"{bad}:2:" in result.output
