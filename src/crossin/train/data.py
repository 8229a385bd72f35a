"""Training samples: read alpaca or chat JSONL, format with the prompt shared with eval, tokenize, mask the prompt.

A sample's tokens are `prompt_ids + response_ids + [EOS]`, the prompt tokenized on its own exactly as
`crossin eval` tokenizes it, so the model is trained on the very token sequence it sees at inference.
Labels are -100 on the prompt; the response and the EOS are learned.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import CrossinError
from ..io import iter_jsonl
from ..prompts import format_instruction, tokenize_prompt, user_content

IGNORE_INDEX = -100


@dataclass(frozen=True)
class Sample:
    instruction: str
    input: str
    output: str
    where: str  # file:line, for error messages


def resolve_data_file(data: str | Path) -> Path:
    """A JSONL file, or a folder from `crossin data build` (train.jsonl preferred, else messages.jsonl)."""
    path = Path(data)
    if path.is_dir():
        if not (path / "manifest.json").is_file():
            # `crossin data build` writes manifest.json last: without it the folder is a build that was cut short.
            raise CrossinError("incomplete data folder (no manifest.json, which `crossin data build` writes last); "
                               "rebuild it, or pass the JSONL file itself", path=str(path))
        for name in ("train.jsonl", "messages.jsonl"):
            if (path / name).exists():
                return path / name
        raise CrossinError("no train.jsonl or messages.jsonl in the data folder", path=str(path))
    if not path.exists():
        raise CrossinError("training data not found", path=str(path))
    return path


def _text_field(obj: dict, key: str, path: Path, lineno: int, required: bool = True) -> str:
    value = obj.get(key, None if required else "")
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        what = "missing" if key not in obj else f"not a string ({type(value).__name__})"
        raise CrossinError(f"field {key!r} is {what}", path=str(path), line=lineno)
    return value


def _from_messages(messages, path: Path, lineno: int) -> tuple[str, str]:
    """Single-turn chat row -> (instruction, output); a system message is not supported by the shared prompt."""
    if not isinstance(messages, list) or not all(isinstance(m, dict) for m in messages):
        raise CrossinError("'messages' must be a list of {role, content} objects", path=str(path), line=lineno)
    roles = [m.get("role") for m in messages]
    if roles != ["user", "assistant"]:
        raise CrossinError(f"expected one user and one assistant message, got roles {roles}", path=str(path),
                           line=lineno)
    contents = [m.get("content") for m in messages]
    if not all(isinstance(c, str) for c in contents):
        raise CrossinError("message 'content' must be a string", path=str(path), line=lineno)
    return contents[0], contents[1]


def load_samples(data: str | Path, limit: int | None = None) -> tuple[list[Sample], Path]:
    """Read alpaca (`instruction`, `input`, `output`) or chat (`messages`) rows; errors name file:line."""
    path = resolve_data_file(data)
    samples: list[Sample] = []
    for lineno, obj in iter_jsonl(path):
        if "messages" in obj:
            instruction, output = _from_messages(obj["messages"], path, lineno)
            inp = ""
        else:
            instruction = _text_field(obj, "instruction", path, lineno)
            inp = _text_field(obj, "input", path, lineno, required=False)
            output = _text_field(obj, "output", path, lineno)
        if not instruction.strip():
            raise CrossinError("empty instruction", path=str(path), line=lineno)
        if not output.strip():
            raise CrossinError("empty output (nothing to learn)", path=str(path), line=lineno)
        samples.append(Sample(instruction, inp, output, f"{path}:{lineno}"))
        if limit is not None and len(samples) >= limit:
            break
    if not samples:
        raise CrossinError("no training samples", path=str(path))
    return samples, path


def completion_text(sample: Sample, prompt: str, fmt: str, tokenizer) -> str:
    """The text after the prompt: the response, plus the chat template's end-of-turn marker in chat format."""
    if fmt != "chat":
        return sample.output
    full = tokenizer.apply_chat_template(
        [{"role": "user", "content": user_content(sample.instruction, sample.input)},
         {"role": "assistant", "content": sample.output}], tokenize=False
    )
    if not full.startswith(prompt):
        raise CrossinError("the chat template renders the prompt differently with and without the answer; "
                           "use --prompt-format alpaca", path=sample.where)
    return full[len(prompt):]


def encode_sample(sample: Sample, tokenizer, fmt: str = "alpaca", max_length: int | None = None) -> dict | None:
    """-> {input_ids, labels} (prompt labels -100, EOS last), or None when truncation leaves no response token."""
    try:  # an unknown format is refused here too, with the same message
        prompt = format_instruction(sample.instruction, sample.input, fmt=fmt, tokenizer=tokenizer)
    except ValueError as e:  # e.g. 'chat' with a tokenizer that has no chat template (a base model)
        raise CrossinError(str(e)) from None
    prompt_ids = tokenize_prompt(tokenizer, prompt)
    response_ids = tokenizer(completion_text(sample, prompt, fmt, tokenizer), add_special_tokens=False)["input_ids"]
    eos = tokenizer.eos_token_id
    if not response_ids or response_ids[-1] != eos:
        response_ids = response_ids + [eos]
    input_ids = prompt_ids + response_ids
    labels = [IGNORE_INDEX] * len(prompt_ids) + response_ids
    if max_length is not None and len(input_ids) > max_length:
        input_ids, labels = input_ids[:max_length], labels[:max_length]
        if all(x == IGNORE_INDEX for x in labels):
            return None
    return {"input_ids": input_ids, "labels": labels}


def build_dataset(samples: list[Sample], tokenizer, fmt: str = "alpaca", max_length: int | None = None):
    """A `datasets.Dataset` of input_ids/labels (already tokenized, so TRL keeps our labels) + stats."""
    from datasets import Dataset

    rows, dropped = [], 0
    for sample in samples:
        row = encode_sample(sample, tokenizer, fmt, max_length)
        if row is None:
            dropped += 1
        else:
            rows.append(row)
    if not rows:
        raise CrossinError(f"every sample's prompt is longer than max_length={max_length}")
    stats = {
        "samples": len(rows),
        "dropped_too_long": dropped,
        "tokens": sum(len(r["input_ids"]) for r in rows),
        "supervised_tokens": sum(sum(1 for x in r["labels"] if x != IGNORE_INDEX) for r in rows),
    }
    return Dataset.from_list(rows), stats


def load_training_data(cfg, tokenizer) -> tuple[object, dict]:
    """(the method's training dataset, its stats) from cfg.data."""
    if cfg.method == "sft":
        samples, _ = load_samples(cfg.data, cfg.limit)
        return build_dataset(samples, tokenizer, cfg.prompt_format, cfg.max_length)
    from .preference import build_preference_dataset, load_rows

    rows, _ = load_rows(cfg.data, cfg.method, cfg.limit)
    return build_preference_dataset(rows, cfg.method, tokenizer, cfg.max_length)


def training_file(cfg) -> Path:
    """The file cfg.data names (the JSONL itself, or the right file of a data folder)."""
    if cfg.method == "sft":
        return resolve_data_file(cfg.data)
    from .preference import resolve_pairs_file

    return resolve_pairs_file(cfg.data, cfg.method)
