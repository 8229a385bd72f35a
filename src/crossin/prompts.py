"""Prompt formats shared by training and evaluation, so the two cannot drift apart.

- `format_instruction`: an instruction sample (instruction, input) -> the prompt a model is tuned on;
  `alpaca` (default, as in the CrossIn code) or the tokenizer's chat template.
- `format_mcq` / `format_cloze`: the evaluation prompts (SeaEval-style templates), built with the same formatter;
- `tokenize_prompt(s)`: the one tokenizer call for both, so a prompt gets the same ids in training and eval.
"""

from __future__ import annotations

from .extract import LETTERS

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


def user_content(instruction: str, input: str = "") -> str:  # noqa: A002
    """The user turn of a chat sample: the instruction, then the input after a blank line when there is one."""
    return instruction if not (input and input.strip()) else f"{instruction}\n\n{input}"


def format_instruction(instruction: str, input: str = "", *, fmt: str = "alpaca", tokenizer=None) -> str:  # noqa: A002
    """The prompt text that precedes the response. The response (plus EOS) is appended by the caller."""
    if fmt == "alpaca":
        if input and input.strip():
            return ALPACA_PROMPT_WITH_INPUT.format(instruction=instruction, input=input)
        return ALPACA_PROMPT.format(instruction=instruction)
    if fmt == "chat":
        if tokenizer is None or not getattr(tokenizer, "chat_template", None):
            raise ValueError("prompt format 'chat' needs a tokenizer with a chat template")
        messages = [{"role": "user", "content": user_content(instruction, input)}]
        return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    if fmt == "plain":
        return instruction if not (input and input.strip()) else f"{instruction}\n\n{input}\n"
    raise ValueError(f"unknown prompt format {fmt!r}; choose from {', '.join(PROMPT_FORMATS)}")


# --- Multiple-choice prompts for evaluation (crossin eval) -------------------------------------------------------
# SeaEval-style fixed instructions, numbered so a run records exactly which wording it used (`--template N`).
# Each is the *instruction*; a passage (Cross-LogiQA, Cross-XQuAD) goes in the formatter's `input`, so the
# evaluated prompt is built by `format_instruction`, exactly like a training prompt.
MCQ_TEMPLATES: dict[int, str] = {
    1: "Respond to the question by selecting the most appropriate answer.\n\nQuestion: {question}\n\nChoices:\n{choices}",
    2: "Answer the following multiple-choice question. Reply with the letter of the correct option only.\n\n"
       "{question}\n\n{choices}",
    3: "Read the question and choose the best answer from the options below.\n\nQuestion: {question}\nOptions:\n{choices}\n\n"
       "Answer with (A), (B), (C) or (D).",
    4: "{question}\n{choices}\nWhich option is correct?",
    5: "Here is a multiple-choice question. Think about it, then give the final answer as \"The answer is (X)\".\n\n"
       "Question: {question}\n{choices}",
}
# Cloze scoring shows no options: the option text itself is the continuation being scored.
CLOZE_TEMPLATE = "{question}"
# The plain format has no response header, so letter and cloze scoring need an explicit cue.
PLAIN_ANSWER_CUE = "Answer:"


def format_choices(choices, letters: str = LETTERS) -> str:
    return "\n".join(f"({letters[i]}) {c}" for i, c in enumerate(choices))


def format_mcq(question: str, choices, context: str | None = None, *, template: int = 1, fmt: str = "alpaca",
               tokenizer=None) -> str:
    """The prompt for a multiple-choice item with lettered options (loglik and generate modes)."""
    prompt = format_instruction(mcq_instruction(question, choices, template), context or "", fmt=fmt, tokenizer=tokenizer)
    return _with_cue(prompt, fmt)


def mcq_instruction(question: str, choices, template: int = 1) -> str:
    """Template `template` filled with the question and its lettered options (no format, no context)."""
    if template not in MCQ_TEMPLATES:
        raise ValueError(f"unknown template {template}; choose from {', '.join(map(str, MCQ_TEMPLATES))}")
    return MCQ_TEMPLATES[template].format(question=question.strip(), choices=format_choices(choices))


def format_cloze(question: str, context: str | None = None, *, fmt: str = "alpaca", tokenizer=None) -> str:
    """The prompt an option's text is scored after (cloze mode)."""
    prompt = format_instruction(CLOZE_TEMPLATE.format(question=question.strip()), context or "", fmt=fmt, tokenizer=tokenizer)
    return _with_cue(prompt, fmt)


def _with_cue(prompt: str, fmt: str) -> str:
    return prompt.rstrip("\n") + "\n" + PLAIN_ANSWER_CUE if fmt == "plain" else prompt


def tokenize_prompt(tokenizer, prompt: str) -> list[int]:
    """Prompt ids exactly as training and evaluation both see them.

    The tokenizer adds BOS unless the text already starts with it (a chat template usually writes its own),
    so a prompt never carries two BOS tokens.
    """
    bos = getattr(tokenizer, "bos_token", None)
    add_special = not (bos and prompt.startswith(bos))
    return tokenizer(prompt, add_special_tokens=add_special)["input_ids"]


def tokenize_prompts(tokenizer, prompts) -> list[list[int]]:
    return [tokenize_prompt(tokenizer, p) for p in prompts]

