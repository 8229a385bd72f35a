"""`crossin serve` as a real process on a tiny random model: routes, validation, echo log-probabilities, many
concurrent clients, and a long request that must not hold up a short one."""

from __future__ import annotations

import json
import threading
import time

import httpx
import pytest
import torch

from conftest import start_server

CAP = 512


@pytest.fixture(scope="module")
def server(tiny_dir):
    url, proc = start_server("--model", str(tiny_dir), "--name", "tiny", "--max-tokens-cap", str(CAP),
                             "--log-level", "warning", "--device", "cpu")
    yield url
    proc.terminate()
    proc.wait(timeout=30)


def post(url, path, body, timeout=60):
    return httpx.post(url + path, content=body if isinstance(body, bytes) else json.dumps(body),
                      headers={"Content-Type": "application/json"}, timeout=timeout)


@pytest.mark.parametrize("path, body", [
    ("/chat/completions", b"{not json"),
    ("/chat/completions", {"messages": []}),
    ("/chat/completions", {"messages": [1, 2]}),
    ("/chat/completions", {"messages": [{"role": "user", "content": "hi"}], "max_tokens": -1}),
    ("/chat/completions", {"messages": [{"role": "user", "content": "hi"}], "max_tokens": 0}),
    ("/completions", {"prompt": 3}),
    ("/completions", {"prompt": ""}),
    ("/completions", {"prompt": "hi", "max_tokens": 0}),
    ("/completions", {"prompt": "hi", "max_tokens": 10**9}),
    ("/completions", {"prompt": "hi", "logprobs": 1000}),
    ("/completions", {"prompt": "hi", "temperature": -1}),
    ("/completions", {"prompt": [10**9]}),
])
def test_bad_requests_get_http_400_with_a_message(server, path, body):
    response = post(server, path, body)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["message"]


def test_routes(server):
    assert httpx.get(server + "/models").json()["data"][0]["id"] == "tiny"
    assert httpx.post(server + "/nowhere", json={}).status_code == 404
    chat = post(server, "/chat/completions", {"messages": [{"role": "user", "content": "Q?"}], "max_tokens": 3})
    assert chat.status_code == 200 and chat.json()["usage"]["completion_tokens"] <= 3


def test_echo_logprobs_are_the_models_token_logprobs(server, tiny):
    model, tok = tiny
    text = "Question: what is the capital of France?\nAnswer: Paris"
    got = post(server, "/completions", {"prompt": text, "echo": True, "logprobs": 2, "max_tokens": 1}).json()
    block = got["choices"][0]["logprobs"]
    ids = tok(text).input_ids
    with torch.inference_mode():
        logp = model(input_ids=torch.tensor([ids])).logits[0].float().log_softmax(-1)
    want = [logp[i - 1, ids[i]].item() for i in range(1, len(ids))] + [logp[-1].max().item()]
    assert block["token_logprobs"][0] is None and len(block["token_logprobs"]) == len(ids) + 1
    assert block["token_logprobs"][1:] == pytest.approx(want, abs=1e-4)
    # Each token's offset is where its text starts in the prompt (the BOS has none of its own).
    tokens, offsets = block["tokens"][1:len(ids)], block["text_offset"][1:len(ids)]
    assert "".join(tokens) == text and block["text_offset"][0] == 0
    assert offsets == [len("".join(tokens[:i])) for i in range(len(tokens))]
    assert got["choices"][0]["text"].startswith(text) and len(block["top_logprobs"][1]) == 2


@pytest.mark.parametrize("repeat", [1, 40])  # 40: a prompt over CHUNK_TOKENS, run piece by piece
def test_logprob_start_len_reads_only_from_there(server, tiny, repeat):
    """SGLang's `logprob_start_len` (what crossin's client sends): the same numbers from that token on, null before;
    with max_tokens 0 letter variants (one token after a shared context) are read at the context's end."""
    _, tok = tiny
    context = tok(" ".join(["Question: which one is right?"] * repeat) + "\nAnswer:").input_ids
    letters = [tok(x, add_special_tokens=False).input_ids for x in ("A", " B", " C", "D")]
    assert "logprob_start_len" in httpx.get(server + "/models").json()["data"][0]
    start = len(context) - 2
    # Letters alone (no suffix pass), and with a two-token continuation (a suffix pass over the shared context).
    for prompts in ([context + ids for ids in letters], [context + ids for ids in letters[:2] + [letters[0] * 2]]):
        full = post(server, "/completions", {"prompt": prompts, "echo": True, "logprobs": 1, "max_tokens": 1}).json()
        part = post(server, "/completions", {"prompt": prompts, "echo": True, "logprobs": 1, "max_tokens": 0,
                                             "logprob_start_len": start}).json()
        for a, b, ids in zip(full["choices"], part["choices"], prompts):
            want, got = a["logprobs"]["token_logprobs"], b["logprobs"]["token_logprobs"]
            assert len(got) == len(ids) and got[:start] == [None] * start
            assert got[start:] == pytest.approx(want[start:len(ids)], abs=1e-5)
            assert b["logprobs"]["top_logprobs"][start - 1] is None and b["logprobs"]["top_logprobs"][start]


def test_thirty_two_concurrent_clients_are_all_answered(server):
    results: list = [None] * 32

    def client(i):
        if i % 2:
            body = {"prompt": f"Item {i}: the answer is", "max_tokens": 4}
            results[i] = post(server, "/completions", body).json()["choices"][0]["text"]
        else:
            body = {"prompt": f"Item {i}", "echo": True, "logprobs": 1, "max_tokens": 1}
            results[i] = post(server, "/completions", body).json()["choices"][0]["logprobs"]["token_logprobs"]

    threads = [threading.Thread(target=client, args=(i,)) for i in range(32)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert all(r is not None for r in results)
    # Batched with 31 others, a request gets what it gets alone.
    alone = post(server, "/completions", {"prompt": "Item 3: the answer is", "max_tokens": 4}).json()
    assert alone["choices"][0]["text"] == results[3]


def test_a_huge_or_long_request_does_not_hold_up_the_next(server):
    started = time.perf_counter()
    refused = post(server, "/completions", {"prompt": "hi", "max_tokens": 10**9})
    assert refused.status_code == 400 and str(CAP) in refused.json()["error"]["message"]
    long_done: dict = {}

    def long_request():
        body = {"prompt": "Tell me everything.", "max_tokens": CAP, "ignore_eos": True}
        t0 = time.perf_counter()
        long_done["tokens"] = post(server, "/completions", body, timeout=300).json()["usage"]["completion_tokens"]
        long_done["s"] = time.perf_counter() - t0

    thread = threading.Thread(target=long_request)
    thread.start()
    time.sleep(1.0)  # the long generation is running
    t0 = time.perf_counter()
    short = post(server, "/completions", {"prompt": "hi", "max_tokens": 2})
    short_s = time.perf_counter() - t0
    thread.join(timeout=300)
    assert short.status_code == 200 and long_done["tokens"] == CAP
    assert short_s < 5 and short_s < long_done["s"] / 3, (short_s, long_done, time.perf_counter() - started)


def test_stop_strings_end_generation(server):
    """A stop string ends the generation where it is written (not after max_tokens) and is cut from the text."""
    free = post(server, "/completions", {"prompt": "Item 5: the answer is", "max_tokens": 40, "ignore_eos": True}).json()
    text = free["choices"][0]["text"]
    stop = text[len(text) // 2:len(text) // 2 + 3] or text[:1]
    assert stop.strip(), text
    cut = post(server, "/completions", {"prompt": "Item 5: the answer is", "max_tokens": 40, "ignore_eos": True,
                                        "stop": [stop]}).json()
    assert cut["choices"][0]["text"] == text[:text.index(stop)] and cut["choices"][0]["finish_reason"] == "stop"
    assert cut["usage"]["completion_tokens"] < free["usage"]["completion_tokens"]
