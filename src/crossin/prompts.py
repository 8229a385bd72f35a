"""Prompt formats shared by training and evaluation, so the two cannot drift apart.

- `format_instruction`: an instruction sample (instruction, input) -> the prompt a model is tuned on;
  `alpaca` (default, as in the CrossIn code) or the tokenizer's chat template.
- `format_mcq` / `format_cloze`: the evaluation prompts (crossin's and SeaEval's templates, English or native
  words, optional few-shot examples), built with the same formatter;
- `tokenize_prompt(s)`: the one tokenizer call for both, so a prompt gets the same ids in training and eval.
"""

from __future__ import annotations

from .letters import LETTERS

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
# Two template families, so a run records exactly which wording it used (`--template N` / `--template seaeval:N`).
# crossin's own templates are *instructions*; a passage (Cross-LogiQA, Cross-XQuAD) goes in the formatter's
# `input`, so the evaluated prompt is built by `format_instruction`, exactly like a training prompt.
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
# SeaEval v0.1's five templates for Cross-MMLU, Cross-LogiQA and Cross-XQuAD, from SeaEval's public code:
# github.com/SeaEval/SeaEval src/dataset_src/cross_mmlu.py, cross_logiqa.py, cross_xquad.py (`prompt_template`).
# Each is an instruction then "Question:\n..", "Choices:\n..", "Answer:\n" (after "Context:\n.." when there is a
# passage), joined by a blank line or a single newline; stored as (instruction number, joiner) so the same layout
# can be written with another language's words (PROMPT_TEXTS). A test checks the English against SeaEval's strings.
SEAEVAL_TEMPLATES: dict[int, str] = {1: "\n\n", 2: "\n", 3: "\n", 4: "\n\n", 5: "\n\n"}
TEMPLATE_FAMILIES = ("crossin", "seaeval")
PROMPT_LANGS = ("en", "native")
# Cloze scoring shows no options: the option text itself is the continuation being scored.
CLOZE_TEMPLATE = "{question}"
# The plain format has no response header, so letter and cloze scoring need an explicit cue.
PLAIN_ANSWER_CUE = "Answer:"


def parse_template(value) -> tuple[str, int]:
    """"3" / 3 / "crossin:3" -> ("crossin", 3); "seaeval:2" -> ("seaeval", 2). ValueError for anything else."""
    text = str(value).strip().lower()
    family, _, number = text.rpartition(":")
    family = family or "crossin"
    table = MCQ_TEMPLATES if family == "crossin" else SEAEVAL_TEMPLATES if family == "seaeval" else None
    if table is None or not number.isdigit() or int(number) not in table:
        raise ValueError(f"unknown template {value!r}; choose from 1-5, crossin:1-5, seaeval:1-5 or all")
    return family, int(number)


def template_name(value) -> str:
    """The canonical name: crossin's templates stay "1".."5" (as before), SeaEval's are "seaeval:N"."""
    family, number = parse_template(value)
    return str(number) if family == "crossin" else f"{family}:{number}"


def family_templates(family: str) -> list[str]:
    """Every template of a family, by canonical name (`--template all`)."""
    table = MCQ_TEMPLATES if family == "crossin" else SEAEVAL_TEMPLATES
    return [template_name(f"{family}:{n}") for n in table]


def prompt_words(lang: str | None, prompt_lang: str = "en") -> dict:
    """Instruction and label words for an item in `lang` (English unless prompt_lang is native)."""
    from .prompt_texts import PROMPT_TEXTS

    if prompt_lang not in PROMPT_LANGS:
        raise ValueError(f"unknown prompt language {prompt_lang!r}; choose from {', '.join(PROMPT_LANGS)}")
    if prompt_lang == "en" or lang is None:
        return PROMPT_TEXTS["en"]
    if lang not in PROMPT_TEXTS:
        raise ValueError(f"no native prompt texts for {lang!r} (crossin/prompt_texts.py has {', '.join(PROMPT_TEXTS)})")
    return PROMPT_TEXTS[lang]


def format_choices(choices, letters: str = LETTERS) -> str:
    return "\n".join(f"({letters[i]}) {c}" for i, c in enumerate(choices))


def mcq_instruction(question: str, choices, template=1, *, words: dict | None = None, context: str | None = None) -> str:
    """The template filled with the question and its lettered options (no format).

    `choices=None` leaves the options out (cloze). crossin templates leave out the context too (it goes in the
    formatter's input); SeaEval templates put it in the text, as SeaEval does.
    """
    family, number = parse_template(template)
    w = words or prompt_words(None)
    q = question.strip()
    if family == "seaeval":
        parts = [w["instructions"][number - 1]]
        if context:
            parts.append(f"{w['context']}:\n{context}")
        parts.append(f"{w['question']}:\n{q}")
        if choices is not None:
            parts.append(f"{w['choices']}:\n{format_choices(choices)}")
        return SEAEVAL_TEMPLATES[number].join(parts + [f"{w['answer']}:\n"])
    if choices is None:
        return CLOZE_TEMPLATE.format(question=q)
    if w != prompt_words(None):  # another language's words
        if number != 1:  # only template 1 has a translation (it is SeaEval's first instruction)
            raise ValueError(f"native prompts exist for crossin template 1 and seaeval:1-5, not template {number}")
        return f"{w['instructions'][0]}\n\n{w['question']}: {q}\n\n{w['choices']}:\n{format_choices(choices)}"
    return MCQ_TEMPLATES[number].format(question=q, choices=format_choices(choices))


def format_mcq(question: str, choices, context: str | None = None, *, template=1, fmt: str = "alpaca",
               tokenizer=None, words: dict | None = None, shots: list[tuple[str, str, str]] = (),
               system: str | None = None, multiturn: bool = True) -> str:
    """The prompt for a multiple-choice item with lettered options (loglik and generate modes)."""
    return _format_item(question, choices, context, template, fmt, tokenizer, words, shots, system, multiturn)


def format_cloze(question: str, context: str | None = None, *, template=1, fmt: str = "alpaca", tokenizer=None,
                 words: dict | None = None, shots: list[tuple[str, str, str]] = (), system: str | None = None,
                 multiturn: bool = True) -> str:
    """The prompt an option's text is scored after (cloze mode)."""
    return _format_item(question, None, context, template, fmt, tokenizer, words, shots, system, multiturn)


def item_turn(question: str, choices, context: str | None, template=1, words: dict | None = None) -> tuple[str, str]:
    """(instruction, input) of one item: what `format_instruction` wraps (and a few-shot example repeats)."""
    family, _ = parse_template(template)
    instruction = mcq_instruction(question, choices, template, words=words, context=context)
    return instruction, (context or "") if family == "crossin" else ""


def _format_item(question, choices, context, template, fmt, tokenizer, words, shots, system=None,
                 multiturn=True) -> str:
    instruction, input_ = item_turn(question, choices, context, template, words)
    cue = (words or prompt_words(None))["answer"] + ":"
    return format_with_shots(instruction, input_, fmt=fmt, tokenizer=tokenizer, shots=shots, cue=cue, system=system,
                             multiturn=multiturn)


def chat_messages(instruction: str, input: str = "", *, shots=(), system: str | None = None,  # noqa: A002
                  multiturn: bool = True) -> list[dict]:
    """The chat turns of an item: the system prompt (lm-eval's --system_instruction), then the solved examples as
    earlier user/assistant turns (`multiturn`, lm-eval's --fewshot_as_multiturn) or inside the one user turn, each
    followed by its response and a blank line, then the item."""
    messages = [{"role": "system", "content": system}] if system else []
    if multiturn:
        for s_instruction, s_input, response in shots:
            messages += [{"role": "user", "content": user_content(s_instruction, s_input)},
                         {"role": "assistant", "content": response}]
        head = ""
    else:
        head = "".join(f"{user_content(si, sin)}\n{response}\n\n" for si, sin, response in shots)
    return [*messages, {"role": "user", "content": head + user_content(instruction, input)}]


def format_with_shots(instruction: str, input: str = "", *, fmt: str = "alpaca", tokenizer=None,  # noqa: A002
                      shots=(), cue: str | None = PLAIN_ANSWER_CUE, system: str | None = None,
                      multiturn: bool = True) -> str:
    """`format_instruction` preceded by solved examples (instruction, input, response), each in the same format.

    chat: the turns of `chat_messages` (a system prompt, the examples as earlier user/assistant turns or, with
    `multiturn` off, inside the user turn); alpaca and plain: each example is its prompt followed by its response
    and a blank line, after the system prompt and a blank line (as lm-eval writes it without a chat template). The
    plain format's answer cue is added unless the text ends with one (or `cue` is None: a chat server's user turn).
    """
    if fmt == "chat" and (shots or system):
        if tokenizer is None or not getattr(tokenizer, "chat_template", None):
            raise ValueError("prompt format 'chat' needs a tokenizer with a chat template")
        messages = chat_messages(instruction, input, shots=shots, system=system, multiturn=multiturn)
        return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    head = f"{system}\n\n" if system else ""
    for s_instruction, s_input, response in shots:
        prompt = _with_cue(format_instruction(s_instruction, s_input, fmt=fmt, tokenizer=tokenizer), fmt, cue)
        head += prompt + ("" if prompt[-1:].isspace() else " ") + response + "\n\n"
    return head + _with_cue(format_instruction(instruction, input, fmt=fmt, tokenizer=tokenizer), fmt, cue)


def _with_cue(prompt: str, fmt: str, cue: str | None = PLAIN_ANSWER_CUE) -> str:
    if fmt != "plain" or cue is None or prompt.rstrip().endswith(cue):  # SeaEval's templates end with their own "Answer:"
        return prompt
    return prompt.rstrip("\n") + "\n" + cue


def tokenize_prompt(tokenizer, prompt: str) -> list[int]:
    """Prompt ids exactly as training and evaluation both see them.

    The tokenizer adds BOS unless the text already starts with it (a chat template usually writes its own),
    so a prompt never carries two BOS tokens.
    """
    bos = getattr(tokenizer, "bos_token", None)
    add_special = not (bos and prompt.startswith(bos))
    return tokenizer(prompt, add_special_tokens=add_special)["input_ids"]


def tokenize_prompts(tokenizer, prompts) -> list[list[int]]:
    """`tokenize_prompt` for many prompts, in one batched call per BOS case (a fast tokenizer encodes a batch in
    parallel: 4,760 Cross-XQuAD prompts one by one cost ~1.7 s on the H200 machine's CPU)."""
    prompts = list(prompts)
    bos = getattr(tokenizer, "bos_token", None)
    out: list[list[int]] = [[] for _ in prompts]
    for add_special in (True, False):
        picked = [i for i, p in enumerate(prompts) if (not (bos and p.startswith(bos))) == add_special]
        if picked:
            ids = tokenizer([prompts[i] for i in picked], add_special_tokens=add_special)["input_ids"]
            for i, row in zip(picked, ids):
                out[i] = row
    return out



# A server's chat turns, carried in a request's prompt string (so the eval cache keys on them like any prompt) when
# they are more than one user turn: a system prompt or few-shot examples as turns. `decode_messages` reads it back.
MESSAGES_PREFIX = "\x1echat-messages\x1e"


def encode_messages(messages: list[dict]) -> str:
    import json

    return MESSAGES_PREFIX + json.dumps(messages, ensure_ascii=False)


def decode_messages(prompt: str) -> list[dict] | None:
    import json

    return json.loads(prompt[len(MESSAGES_PREFIX):]) if prompt.startswith(MESSAGES_PREFIX) else None
