"""The thinking part of a reasoning model's output: found, kept apart, never read as the answer.

Open reasoning models write their reasoning between delimiters before the answer: `<think>...</think>` (DeepSeek-R1,
Qwen3, QwQ; R1's chat template opens the tag in the prompt, so the output may start inside it and only close it),
`<thinking>`, `<reasoning>`, `<|begin_of_thought|>...<|end_of_thought|>` (Sky-T1, OpenThinker), `[THINK]...[/THINK]`
(Magistral), `◁think▷...◁/think▷` (Kimi), `<|START_THINKING|>...<|END_THINKING|>` (Command A) and gpt-oss's analysis
channel (`<|channel|>analysis<|message|>... <|channel|>final<|message|>`). Any other model: `think_end` names the
token that ends its thinking, as lm-eval's `think_end_token` does (an output without it is then all thinking, cut
off); it is also how to read an output whose opening tag was written by the chat template and that was cut off. Options are weighed and rejected in there, so the
rules read only what follows. A thinking part that is opened and never closed was cut off (the token limit): no
answer, counted apart ("cut_off").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# (opening, closing) delimiters; the opening one is optional (a chat template may have written it in the prompt).
DELIMITERS = (
    ("<think>", "</think>"), ("<thinking>", "</thinking>"), ("<reasoning>", "</reasoning>"),
    ("<|begin_of_thought|>", "<|end_of_thought|>"), ("[THINK]", "[/THINK]"), ("◁think▷", "◁/think▷"),
    ("<|START_THINKING|>", "<|END_THINKING|>"), ("<|channel|>analysis<|message|>", "<|channel|>final<|message|>"),
)
# What some formats write around the answer after the thinking (Sky-T1's solution tags, gpt-oss's end markers).
_ANSWER_WRAPPERS = re.compile(r"<\|(?:begin|end)_of_solution\|>|<\|(?:end|return|start)\|>(?:assistant)?|</?answer>")


@dataclass(frozen=True)
class Split:
    thinking: str  # "" when the output has no thinking part
    answer: str  # what the rules read: the output after the thinking (all of it when there is none)
    cut_off: bool = False  # the thinking was opened and never closed: no answer was written


def split_thinking(output: str, think_end: str | None = None) -> Split:
    """The output's thinking part and its answer. `think_end`: a model's own end-of-thinking token (it wins)."""
    if think_end and think_end not in output:
        return Split(output.strip(), "", cut_off=True)  # a model that always thinks first never closed it
    pairs = ((None, think_end),) if think_end else DELIMITERS
    for opening, closing in pairs:
        end = output.rfind(closing)  # the last one: a thinking part may quote the tag
        if end >= 0:
            start = output.find(opening) if opening else -1
            start = start + len(opening) if start >= 0 and start < end else 0
            answer = _ANSWER_WRAPPERS.sub(" ", output[end + len(closing):]).strip()
            return Split(output[start:end].strip(), answer)
        if opening and output.lstrip().startswith(opening):
            return Split(output.lstrip()[len(opening):].strip(), "", cut_off=True)
    return Split("", output)
