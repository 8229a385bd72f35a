"""Text in, token ids out and back: prompts as the model sees them, and OpenAI's log-probability blocks."""

from __future__ import annotations

from .engine import Job


def messages_to_prompt(messages: list[dict], tokenizer, add_generation_prompt: bool = True) -> str:
    """The tokenizer's chat template when it has one; a base model gets the message texts as they are."""
    if getattr(tokenizer, "chat_template", None):
        return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=add_generation_prompt)
    return "\n\n".join(str(m.get("content") or "") for m in messages)


def encode_with_offsets(tokenizer, text: str, add_special_tokens: bool = True) -> tuple[list[int], list[int]]:
    """Token ids exactly as `tokenize_prompt` makes them (one BOS, also when the text starts with it), with each
    token's character offset in `text`."""
    bos = getattr(tokenizer, "bos_token", None)
    special = add_special_tokens and not (bos and text.startswith(bos))
    enc = tokenizer(text, add_special_tokens=special, return_offsets_mapping=True)
    return enc["input_ids"], [start for start, _ in enc["offset_mapping"]]


def piece_texts(tokenizer, ids: list[int]) -> list[str]:
    """Each token's own text (special tokens spelled out), in one call."""
    return tokenizer.batch_decode([[t] for t in ids], skip_special_tokens=False)


def running_offsets(pieces: list[str], start: int = 0) -> list[int]:
    out, at = [], start
    for p in pieces:
        out.append(at)
        at += len(p)
    return out


def token_offsets(tokenizer, ids: list[int], text: str) -> list[int]:
    """Character offsets of token-id prompts in their decoded text: the tokenizer's own when re-encoding the text
    gives the same ids, else running lengths of the token texts (linear either way)."""
    again, offsets = encode_with_offsets(tokenizer, text, add_special_tokens=bool(ids) and ids[0] == tokenizer.bos_token_id)
    if again == ids:
        return offsets
    pieces = tokenizer.batch_decode([[t] for t in ids], skip_special_tokens=True)
    return running_offsets(pieces)


def completion_logprobs(tokenizer, job: Job, prompt_text: str, offsets: list[int], echo: bool, top_k: int) -> dict:
    """OpenAI's legacy `logprobs` object: per token its text, log-probability, top alternatives and text offset."""
    result = job.scores
    n = len(job.ids)
    start = 0 if echo else n
    ids = job.ids + job.generated
    pieces = piece_texts(tokenizer, ids[start:])
    generated_pieces = tokenizer.batch_decode([[t] for t in job.generated], skip_special_tokens=True)
    all_offsets = list(offsets) + running_offsets(generated_pieces, len(prompt_text) if echo else 0)
    top = None
    if top_k:
        wanted = sorted({i for t in result.top[start:] if t for i, _ in t[:top_k]})
        names = dict(zip(wanted, piece_texts(tokenizer, wanted)))
        top = [None if t is None else {names[i]: v for i, v in t[:top_k]} for t in result.top[start:]]
    return {"tokens": pieces, "token_logprobs": result.logprobs[start:len(ids)], "top_logprobs": top,
            "text_offset": all_offsets[start:]}


def chat_logprobs(tokenizer, job: Job, top_k: int) -> dict:
    """OpenAI's chat `logprobs`: {"content": [{token, logprob, bytes, top_logprobs}]} for the generated tokens."""
    n = len(job.ids)
    pieces = piece_texts(tokenizer, job.generated)
    tops = job.scores.top[n:n + len(job.generated)]
    wanted = sorted({i for t in tops if t for i, _ in t[:top_k]})
    names = dict(zip(wanted, piece_texts(tokenizer, wanted)))
    content = []
    for piece, lp, top in zip(pieces, job.scores.logprobs[n:], tops):
        content.append({"token": piece, "logprob": lp, "bytes": list(piece.encode("utf-8", "replace")),
                        "top_logprobs": [{"token": names[i], "logprob": v,
                                          "bytes": list(names[i].encode("utf-8", "replace"))}
                                         for i, v in (top or [])[:top_k]]})
    return {"content": content}
