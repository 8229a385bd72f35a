"""The chat protocol flags users know from lm-eval (--apply_chat_template = --prompt-format chat, --system_instruction =
--system-prompt, --fewshot_as_multiturn), in process and for a server alike, recorded in results.json: the tiny model
given a Gemma-style chat template, in process and behind `crossin serve` (which applies it to the turns sent)."""

import json
import os
import subprocess
import sys

import pytest

from crossin.benchmarks import load_benchmark
from crossin.evaluate.requests import build_requests
from crossin.prompts import decode_messages

from conftest import start_server

SYSTEM = "You are a careful examiner. Reply with one letter."
# Gemma's turn markers; the system turn goes first as its own user-side block (enough to see every turn).
TEMPLATE = ("{% for m in messages %}<start_of_turn>{{ 'model' if m['role'] == 'assistant' else m['role'] }}\n"
            "{{ m['content'] }}<end_of_turn>\n{% endfor %}{% if add_generation_prompt %}<start_of_turn>model\n{% endif %}")


@pytest.fixture(scope="module")
def chat_dir(tiny_dir, tmp_path_factory):
    """The tiny model's folder, its tokenizer given a chat template."""
    import shutil

    folder = tmp_path_factory.mktemp("tiny_chat") / "m"
    shutil.copytree(tiny_dir, folder)
    cfg_path = folder / "tokenizer_config.json"
    cfg = json.loads(cfg_path.read_text(encoding="utf-8"))
    cfg["chat_template"] = TEMPLATE
    cfg_path.write_text(json.dumps(cfg), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def bench(data_dir):
    return load_benchmark("cross-mmlu", ["en", "zh"], data_dir=str(data_dir), limit=3)


def _one(bench, **kw):
    return build_requests(bench, "generate", num_fewshot=1, fewshot_pool=bench.sets, seed=0, **kw)[0].prompt


def test_system_prompt_and_fewshot_turns_in_process(bench, chat_dir):
    from crossin.models.hf import load_tokenizer

    tok = load_tokenizer(str(chat_dir))
    multi = _one(bench, prompt_format="chat", tokenizer=tok, system=SYSTEM)
    single = _one(bench, prompt_format="chat", tokenizer=tok, system=SYSTEM, multiturn=False)
    plain = _one(bench, prompt_format="chat", tokenizer=tok)
    assert SYSTEM in multi and SYSTEM in single and SYSTEM not in plain
    assert multi.count("<start_of_turn>model") == 2  # the example's answer is a model turn, then the item's
    assert single.count("<start_of_turn>model") == 1 and single.count("<start_of_turn>user") == 1
    assert multi.count("<start_of_turn>system") == single.count("<start_of_turn>system") == 1
    alpaca = _one(bench, prompt_format="alpaca", system=SYSTEM)
    assert alpaca.startswith(SYSTEM + "\n\n")  # no chat template: written before the prompt, as lm-eval does


def test_a_server_gets_the_same_turns(bench):
    messages = decode_messages(_one(bench, prompt_format="chat", api=True, system=SYSTEM))
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user"] and messages[0]["content"] == SYSTEM
    single = decode_messages(_one(bench, prompt_format="chat", api=True, system=SYSTEM, multiturn=False))
    assert [m["role"] for m in single] == ["system", "user"]
    # no system prompt and no examples: the one user turn as before (cached prompts stay valid)
    bare = build_requests(bench, "generate", prompt_format="chat", api=True)[0].prompt
    assert decode_messages(bare) is None


def test_in_process_and_server_answer_alike_and_record_the_protocol(tmp_path, data_dir, chat_dir):
    url, proc = start_server("--model", str(chat_dir), "--name", "g", "--log-level", "warning", "--device", "cpu")
    try:
        common = ["--bench", "cross-mmlu", "--langs", "en,zh", "--limit", "2", "--mode", "generate",
                  "--max-new-tokens", "5", "--prompt-format", "chat", "--system-prompt", SYSTEM, "--num-fewshot", "1",
                  "--n-boot", "10", "--data-dir", str(data_dir)]
        env = {**os.environ, "CROSSIN_CACHE": str(tmp_path / "cc")}
        outs = {}
        for name, model in (("local", ["--model", str(chat_dir), "--device", "cpu"]),
                            ("server", ["--model", "openai:g", "--base-url", url])):
            run = subprocess.run([sys.executable, "-m", "crossin", "eval", *model, *common, "--out",
                                  str(tmp_path / name)], capture_output=True, text=True, env=env)
            assert run.returncode == 0, run.stderr
            results = json.loads((tmp_path / name / "cross-mmlu" / "results.json").read_text(encoding="utf-8"))
            assert results["chat_protocol"] == {"chat_template": True, "system_prompt": SYSTEM,
                                                "fewshot_as_multiturn": True}
            assert results["config"]["system_prompt"] == SYSTEM
            samples = (tmp_path / name / "cross-mmlu").glob("samples*.jsonl")
            outs[name] = [json.loads(line) for f in samples for line in f.read_text().splitlines()]
        assert len(outs["local"]) == 4 and SYSTEM in outs["local"][0]["prompt"]
        assert all(s["read_by"] == "" if s["choice"] is None else s["read_by"] for s in outs["local"])
        assert [s["output"] for s in outs["local"]] == [s["output"] for s in outs["server"]]
    finally:
        proc.terminate()
        proc.wait(timeout=30)
