"""Training and evaluation tokenize prompts through one function: one BOS, whatever the prompt format."""

import pytest

from crossin.models.hf import load_tokenizer
from crossin.prompts import format_instruction, tokenize_prompt, tokenize_prompts

CHAT = "{{ bos_token }}{% for m in messages %}<start_of_turn>{{ m['role'] }}\n{{ m['content'] }}<end_of_turn>\n{% endfor %}<start_of_turn>model\n"


@pytest.fixture(scope="module")
def tok():
    return load_tokenizer("gemma-3-270m")


@pytest.mark.parametrize("fmt", ["alpaca", "chat", "plain"])
def test_exactly_one_bos(tok, fmt):
    tok.chat_template = CHAT
    prompt = format_instruction("Name three colours.", "", fmt=fmt, tokenizer=tok)
    ids = tokenize_prompt(tok, prompt)
    assert ids[0] == tok.bos_token_id
    assert ids.count(tok.bos_token_id) == 1
    assert tokenize_prompts(tok, [prompt, prompt]) == [ids, ids]


def test_chat_template_text_starts_with_bos(tok):
    tok.chat_template = CHAT
    prompt = format_instruction("Hi", fmt="chat", tokenizer=tok)
    assert prompt.startswith(tok.bos_token)
    # Plain tokenizer call would have doubled it: this is the case the shared function exists for.
    assert tok(prompt)["input_ids"][:2] == [tok.bos_token_id, tok.bos_token_id]


def test_server_tokenizes_chat_prompts_with_one_bos(tok):
    """`crossin serve` feeds the model the same ids as local eval: a chat template's BOS is not doubled, and the
    completions route (which also needs each token's text offset) makes the same ids."""
    from crossin.serve.render import encode_with_offsets, messages_to_prompt

    tok.chat_template = CHAT
    prompt = messages_to_prompt([{"role": "user", "content": "Hi"}], tok)
    ids, offsets = encode_with_offsets(tok, prompt)
    assert ids == tokenize_prompt(tok, prompt) and ids.count(tok.bos_token_id) == 1 and len(offsets) == len(ids)
    plain = "Question: 2 + 2?\nAnswer:"
    ids, offsets = encode_with_offsets(tok, plain)
    assert ids == tokenize_prompt(tok, plain) and ids.count(tok.bos_token_id) == 1
    assert offsets[0] == 0 and offsets == sorted(offsets)


def test_batched_tokenization_keeps_each_prompts_ids_and_order(tok):
    """tokenize_prompts encodes in batched calls, split by whether a prompt already starts with BOS."""
    tok.chat_template = CHAT
    prompts = [format_instruction(q, fmt=fmt, tokenizer=tok) for q in ("Hi", "¿Qué hora es?", "你好吗？", "")
               for fmt in ("alpaca", "chat", "plain")]
    assert any(p.startswith(tok.bos_token) for p in prompts) and not all(p.startswith(tok.bos_token) for p in prompts)
    assert tokenize_prompts(tok, prompts) == [tokenize_prompt(tok, p) for p in prompts]
    assert tokenize_prompts(tok, []) == []


def test_attention_scope_leaves_out_cudnn_on_cuda_only():
    """cuDNN's SDPA builds a plan per new shape (seconds per eval on a GPU); the scope turns it off, then back on."""
    import torch

    from crossin.models.hf import attention_without_cudnn

    before = torch.backends.cuda.cudnn_sdp_enabled()
    with attention_without_cudnn(torch.device("cuda")):
        assert not torch.backends.cuda.cudnn_sdp_enabled()
        assert torch.backends.cuda.flash_sdp_enabled() and torch.backends.cuda.mem_efficient_sdp_enabled()
    assert torch.backends.cuda.cudnn_sdp_enabled() == before
    with attention_without_cudnn("cuda:1"):
        assert not torch.backends.cuda.cudnn_sdp_enabled()
    with attention_without_cudnn(torch.device("cpu")):
        assert torch.backends.cuda.cudnn_sdp_enabled() == before
