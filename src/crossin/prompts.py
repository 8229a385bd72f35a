"""Prompt formats shared by training and evaluation, so the two cannot drift apart.

- `format_instruction`: an instruction sample (instruction, input) -> the prompt a model is tuned on;
  `alpaca` (default, as in the CrossIn code) or the tokenizer's chat template.
- MCQ prompts for evaluation live next to it (see crossin.evaluate); they use the same formatter.
"""

from __future__ import annotations

ALPACA_PROMPT = (
    "Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n"
    "### Instruction:\n{instruction}\n\n### Response:\n"
)
ALPACA_PROMPT_WITH_INPUT = (
    "Below is an instruction that describes a task, paired with an input that provides further context. "
    "Write a response that appropriately completes the request.\n\n"
    "### Instruction:\n{instruction}\n\n### Input:\n{input}\n\n### Response:\n"
)
PROMPT_FORMATS = ("alpaca", "chat", "plain")


def format_instruction(instruction: str, input: str = "", *, fmt: str = "alpaca", tokenizer=None) -> str:  # noqa: A002
    """The prompt text that precedes the response. The response (plus EOS) is appended by the caller."""
    if fmt == "alpaca":
        if input and input.strip():
            return ALPACA_PROMPT_WITH_INPUT.format(instruction=instruction, input=input)
        return ALPACA_PROMPT.format(instruction=instruction)
    if fmt == "chat":
        if tokenizer is None or not getattr(tokenizer, "chat_template", None):
            raise ValueError("prompt format 'chat' needs a tokenizer with a chat template")
        content = instruction if not (input and input.strip()) else f"{instruction}\n\n{input}"
        return tokenizer.apply_chat_template([{"role": "user", "content": content}], tokenize=False, add_generation_prompt=True)
    if fmt == "plain":
        return instruction if not (input and input.strip()) else f"{instruction}\n\n{input}\n"
    raise ValueError(f"unknown prompt format {fmt!r}; choose from {', '.join(PROMPT_FORMATS)}")
