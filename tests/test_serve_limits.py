"""`crossin serve` against hostile and malformed requests, as a real process on a tiny random model: every
malformed body is a 400 with a message, unknown models a 404 in vLLM's shape, huge stop lists and long prompts are
refused or served in bounded time and memory while a short request is answered, bad flags fail before the model
loads; and the prefix-grouped scorer equals full forward passes."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time

import httpx
import pytest
import torch

from conftest import start_server

MAX_PROMPT = 3000


@pytest.fixture(scope="module")
def server(tiny_dir):
    url, proc = start_server("--model", str(tiny_dir), "--name", "tiny", "--log-level", "warning", "--device", "cpu",
                             "--max-prompt-tokens", str(MAX_PROMPT))
    yield url, proc
    proc.terminate()
    proc.wait(timeout=30)


def post(url, path, body, timeout=60):
    return httpx.post(url + path, content=body if isinstance(body, bytes) else json.dumps(body),
                      headers={"Content-Type": "application/json"}, timeout=timeout)


def rss_mb(pid: int) -> float:
    for line in open(f"/proc/{pid}/status", encoding="ascii"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


HI = [{"role": "user", "content": "hi"}]


@pytest.mark.parametrize("path, body", [
    ("/completions", {"prompt": "hi", "seed": 2 ** 64}),                               # out of a torch long
    ("/chat/completions", {"messages": [{"role": "user", "content": [{"type": "text", "text": 5}]}]}),
    ("/completions", b'{"prompt": "a\\ud800b"}'),                                      # lone surrogate
    ("/chat/completions", b'{"messages": [{"role": "user", "content": "\\udfff"}]}'),
    ("/completions", {"prompt": "hi", "temperature": "0.5"}),                          # wrong types
    ("/completions", {"prompt": "hi", "echo": 1}),
    ("/completions", {"prompt": "hi", "max_tokens": 1.5}),
    ("/completions", {"prompt": [1.5, 2]}),
    ("/completions", {"prompt": [[1, 2], "x"]}),
    ("/chat/completions", {"messages": [{"role": 5, "content": "hi"}]}),
    ("/chat/completions", {"messages": HI, "logprobs": "yes"}),
    ("/completions", {"prompt": "hi", "max_tokenz": 5}),                               # unknown field
    ("/chat/completions", {"messages": HI, "functions": []}),
    ("/completions", {"prompt": "hi", "stream": True}),                                # not implemented
    ("/completions", {"prompt": "hi", "n": 2}),
    ("/completions", {"prompt": "hi", "logit_bias": {"5": 10}}),
    ("/completions", {"prompt": "hi", "presence_penalty": 0.5}),
    ("/chat/completions", {"messages": HI, "top_logprobs": 2}),
    ("/completions", {"prompt": "hi", "stop": ["x"] * 400}),                           # over the stop cap
    ("/completions", {"prompt": "hi", "stop": "y" * 300}),
    ("/completions", {"prompt": ["hi"] * 2000}),
    ("/completions", {"prompt": "word " * (MAX_PROMPT + 10), "max_tokens": 1}),        # over --max-prompt-tokens
    ("/completions", {"prompt": [5] * (MAX_PROMPT + 1)}),
    ("/completions", {"prompt": [5] * 100, "max_tokens": 8192}),                       # over the context length
    ("/tokenize", {"prompt": "hi", "messages": HI}),
    ("/tokenize", {"prompt": 3}),
    ("/detokenize", {"tokens": [10 ** 9]}),
    ("/detokenize", {"tokens": [-1]}),
])
def test_every_malformed_body_is_http_400_with_a_message(server, path, body):
    url, _ = server
    response = post(url.removesuffix("/v1") if path.endswith("tokenize") else url, path, body)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["message"] and error["code"] == 400 and error["type"] == "BadRequestError"


def test_unknown_model_is_404_in_vllms_shape(server):
    url, _ = server
    for path, body in (("/completions", {"model": "nope", "prompt": "hi"}),
                       ("/chat/completions", {"model": "nope", "messages": HI})):
        response = post(url, path, body)
        assert response.status_code == 404
        error = response.json()["error"]
        assert error["type"] == "NotFoundError" and error["param"] == "model" and "`nope` does not exist" in error["message"]
    assert post(url, "/completions", {"model": "tiny", "prompt": "hi", "max_tokens": 1}).status_code == 200


def test_tokenize_speaks_vllms_dialect(server, tokenizer):
    url, _ = server
    root = url.removesuffix("/v1")
    text = "Question: what is the capital of France?"
    got = post(root, "/tokenize", {"model": "tiny", "prompt": text}).json()
    assert got["tokens"] == tokenizer(text).input_ids and got["count"] == len(got["tokens"])
    assert got["max_model_len"] == 8192 and got["tokens"][0] == tokenizer.bos_token_id
    bare = post(root, "/tokenize", {"prompt": text, "add_special_tokens": False, "return_token_strs": True}).json()
    assert bare["tokens"] == got["tokens"][1:] and "".join(bare["token_strs"]) == text
    assert post(root, "/detokenize", {"tokens": bare["tokens"]}).json() == {"prompt": text}
    chat = post(root, "/tokenize", {"messages": [{"role": "user", "content": text}]}).json()
    assert chat["tokens"] == bare["tokens"]  # no chat template: the text; the template would bring its own BOS


def test_huge_stop_lists_are_refused_and_allowed_ones_cost_little(server):
    """400 stop strings: 400 at once. 16 long ones (the cap) on a 300-token generation: served in seconds, while a
    short request sent meanwhile is answered within seconds."""
    url, _ = server
    t0 = time.perf_counter()
    refused = post(url, "/completions", {"prompt": "hi", "max_tokens": 300, "stop": [f"s{i}" for i in range(400)]})
    assert refused.status_code == 400 and "16" in refused.json()["error"]["message"]
    assert time.perf_counter() - t0 < 2
    long_stops = [f"never-written-{i}-" + "z" * 200 for i in range(16)]
    done: dict = {}

    def generate():
        t = time.perf_counter()
        r = post(url, "/completions", {"prompt": "Tell me", "max_tokens": 300, "ignore_eos": True, "stop": long_stops},
                 timeout=120)
        done["s"], done["tokens"] = time.perf_counter() - t, r.json()["usage"]["completion_tokens"]

    thread = threading.Thread(target=generate)
    thread.start()
    time.sleep(0.5)
    t = time.perf_counter()
    short = post(url, "/completions", {"prompt": "hi", "max_tokens": 2})
    short_s = time.perf_counter() - t
    thread.join(120)
    assert short.status_code == 200 and short_s < 5, short_s
    assert done["tokens"] == 300 and done["s"] < 60, done


def test_a_long_scoring_prompt_is_served_in_bounded_memory_beside_a_short_request(server, tiny):
    """A 2,900-token echo request runs piece by piece (256 tokens each): a short request sent meanwhile is answered
    in seconds; the long one's log-probabilities equal one full forward pass; the server's memory stays bounded."""
    url, proc = server
    model, tok = tiny
    words = " ".join(f"w{i % 97}" for i in range(6000))
    ids = tok(words).input_ids[:MAX_PROMPT - 100]
    before = rss_mb(proc.pid)
    result: dict = {}

    def score_long():
        t = time.perf_counter()
        result["body"] = post(url, "/completions", {"prompt": ids, "echo": True, "logprobs": 1, "max_tokens": 0},
                              timeout=300).json()
        result["s"] = time.perf_counter() - t

    thread = threading.Thread(target=score_long)
    thread.start()
    time.sleep(0.2)
    t = time.perf_counter()
    short = post(url, "/completions", {"prompt": "hi", "max_tokens": 1, "echo": True, "logprobs": 1})
    short_s = time.perf_counter() - t
    thread.join(300)
    after = rss_mb(proc.pid)
    assert short.status_code == 200 and short_s < 5, short_s
    got = result["body"]["choices"][0]["logprobs"]["token_logprobs"]
    with torch.inference_mode():
        logp = model(input_ids=torch.tensor([ids])).logits[0].float().log_softmax(-1)
    want = [logp[i - 1, ids[i]].item() for i in range(1, len(ids))]
    assert got[0] is None and got[1:] == pytest.approx(want, abs=1e-4)
    assert after - before < 400, (before, after)
    # Over --max-prompt-tokens: refused at once.
    long_text = " ".join(["word"] * 6000)
    t = time.perf_counter()
    refused = post(url, "/completions", {"prompt": long_text, "echo": True, "logprobs": 1, "max_tokens": 0})
    assert refused.status_code == 400 and "--max-prompt-tokens" in refused.json()["error"]["message"]
    assert time.perf_counter() - t < 5


@pytest.mark.parametrize("flags, says", [
    (["--port", "-1"], "--port"),
    (["--log-level", "bogus"], "--log-level"),
    (["--device", "bogus"], "--device"),
    (["--lora-modules", "nameonly"], "name=PATH"),
    (["--lora-modules", "a=/nonexistent/adapter"], "adapter_config.json"),
    (["--lora-modules", "a=x", "stray"], "stray"),
])
def test_bad_serve_flags_fail_in_one_line_before_the_model_loads(tiny_dir, flags, says):
    t0 = time.perf_counter()
    run = subprocess.run([sys.executable, "-m", "crossin", "serve", "--model", str(tiny_dir), *flags],
                         capture_output=True, text=True, timeout=60)
    elapsed = time.perf_counter() - t0
    lines = run.stderr.strip().splitlines()
    assert run.returncode == 2 and len(lines) == 1 and lines[0].startswith("error:") and says in lines[0], run.stderr
    assert "Traceback" not in run.stderr and elapsed < 15, elapsed


# --- the engine itself (in-process, the real model code) ---------------------------------------------------------

def test_prefix_grouped_scores_equal_full_forward_passes(tiny):
    """Options that share tokens beyond the prompt, a lone sequence and duplicates: one batch, every echo
    log-probability, top-1 and next token as a full forward pass of each sequence gives them."""
    from crossin.serve.scoring import Scorer

    model, tok = tiny
    prompt = "Question: which city is the capital of France? Answer:"
    texts = [prompt + c for c in (" Paris", " Paris is big", " Par", " Lyon", " Lyon")] + ["Something else entirely"]
    seqs = [tok(t).input_ids for t in texts]
    scored = Scorer(model, tok.pad_token_id).score(seqs, 2)
    for seq, result in zip(seqs, scored):
        with torch.inference_mode():
            logp = model(input_ids=torch.tensor([seq])).logits[0].float().log_softmax(-1)
        want = [logp[i - 1, seq[i]].item() for i in range(1, len(seq))]
        assert result.logprobs[0] is None and result.logprobs[1:] == pytest.approx(want, abs=1e-4)
        assert [i for i, _ in result.top[1]] == logp[0].topk(2).indices.tolist()
        assert result.next[0] == logp[-1].argmax().item()


def test_the_unsplit_head_fallback_echoes_the_same(tiny, monkeypatch):
    """The server's Scorer on hf_ops.LMReader without a split head (the model's own logits, chunked the same way):
    the same echo log-probabilities, top-k and next token as with the split head."""
    from crossin.evaluate import hf_ops
    from crossin.serve.scoring import Scorer

    model, tok = tiny
    seqs = [tok("Question: the capital of France? Answer:" + c).input_ids for c in (" Paris", " Lyon is", " B")]
    want = Scorer(model, tok.pad_token_id).score(seqs, 2)
    monkeypatch.setattr(hf_ops, "split_head", lambda model, pad_id: None)
    scorer = Scorer(model, tok.pad_token_id)
    got = scorer.score(seqs, 2)
    assert scorer.lm.split is None
    for g, w in zip(got, want):
        assert g.logprobs[0] is None and g.logprobs[1:] == pytest.approx(w.logprobs[1:], abs=1e-5)
        assert [[i for i, _ in t] for t in g.top[1:]] == [[i for i, _ in t] for t in w.top[1:]]
        assert g.next[0] == w.next[0] and g.next[1] == pytest.approx(w.next[1], abs=1e-5)


def test_one_failing_job_does_not_fail_the_others_in_its_batch(tiny):
    """A job whose token id is past the embedding table (HTTP checks keep it out; here it reaches the engine)
    fails alone; the jobs batched with it get their answers."""
    from crossin.serve.engine import Engine, Job

    model, tok = tiny
    engine = Engine(model, tok)
    good = [Job(tok(f"Item {i}: the answer").input_ids, 1, score=True) for i in range(3)]
    bad = Job([tok.bos_token_id, 10 ** 6], 1, score=True)
    engine._queue.put(good[0])
    engine._queue.put(bad)
    for job in good[1:]:
        engine._queue.put(job)
    for job in good:
        assert job.future.result(timeout=60).scores.logprobs[0] is None
    with pytest.raises(IndexError):
        bad.future.result(timeout=60)


def test_chat_logprobs_are_the_generated_tokens(server):
    """Chat `logprobs` is implemented, not ignored: greedy tokens are each position's top alternative."""
    url, _ = server
    body = {"messages": [{"role": "user", "content": "Name a city."}], "max_tokens": 5, "ignore_eos": True,
            "logprobs": True, "top_logprobs": 2}
    got = post(url, "/chat/completions", body).json()
    content = got["choices"][0]["logprobs"]["content"]
    assert len(content) == got["usage"]["completion_tokens"] == 5
    assert "".join(c["token"] for c in content) == got["choices"][0]["message"]["content"]
    for c in content:
        assert len(c["top_logprobs"]) == 2 and c["logprob"] <= 0
        assert c["top_logprobs"][0]["token"] == c["token"] and c["top_logprobs"][0]["logprob"] == pytest.approx(c["logprob"])
    plain = post(url, "/chat/completions", {**body, "logprobs": False, "top_logprobs": None}).json()
    assert plain["choices"][0]["logprobs"] is None
