"""Named evaluation protocols (`crossin eval --protocol NAME`): a set of EvalConfig values that together reproduce
someone's measurement, recorded in results.json with the source it follows.

`crossin-paper`: how the CrossIn paper's Table 3 was measured, read from the authors' evaluation code (their SeaEval
fork, github.com/Lingy12/my_seaeval): the prompt is their first template (`paper:1`: Question / Choices / Answer
blocks, "Content:" before a passage, no instruction line) sent as it is with the tokenizer's BOS (their
`_generate_llama_family` builds an [INST] wrapper but tokenizes the unwrapped input), greedy decoding of at most
128 new tokens (`Model(max_new_tokens=128)`; the base models' generation configs do not sample), answers mapped by
their rule (`--extractor crossin-paper`). The README's "The paper's protocol" lists where this differs from
SeaEval's published logs and from the paper's text.
"""

from __future__ import annotations

from ..errors import CrossinError

PROTOCOLS: dict[str, dict] = {
    "crossin-paper": {
        "settings": {"mode": "generate", "template": "paper:1", "prompt_format": "plain", "max_new_tokens": 128,
                     "extractor": "crossin-paper", "num_fewshot": 0, "prompt_lang": "en", "circular": False},
        # The authors' chat-model rows wrap the prompt: [INST] ... [/INST] for LLaMA-2-Chat, a user message for
        # ChatGPT. `prompt_format: chat` (the model's own template) is that wrapper, so it may replace `plain`.
        "may_change": {"prompt_format": ("chat",)},
        "source": {"repo": "Lingy12/my_seaeval", "commit": "2e134032c7bf443a22f00ec5fe9e195687bb4d57",
                   "files": {"prompt": "config/config.py (PROMPT_TEMPLATE[...][0], prompt index 1 in "
                                       "scripts/convert_lora_and_evaluate.sh)",
                             "generation": "src/model.py (_generate_llama_family, max_new_tokens=128)",
                             "answer mapping": "src/metric.py (Metric._compute_cross_mmlu)"},
                   "paper": "Lin et al. 2024, CrossIn (arXiv:2404.11932), Table 3"},
    },
}


def apply_protocol(config) -> None:
    """Set the protocol's values on `config` (an EvalConfig). A field set to something else is an error, so a run
    that says it follows the protocol does."""
    from ..config import differs

    if not config.protocol:
        return
    protocol = PROTOCOLS[config.protocol]
    for field, value in protocol["settings"].items():
        current = getattr(config, field)
        if current == value:
            continue
        if differs(config, field) and current not in protocol["may_change"].get(field, ()):
            raise CrossinError(f"--protocol {config.protocol} sets {field} = {value!r}; drop {field} = {current!r} "
                               "(or drop --protocol)")
        if not differs(config, field):
            setattr(config, field, value)


def protocol_block(config) -> dict | None:
    """results.json's `protocol`: its name, the values it set and the source it follows."""
    if not config.protocol:
        return None
    protocol = PROTOCOLS[config.protocol]
    return {"name": config.protocol, "settings": {k: getattr(config, k) for k in protocol["settings"]},
            "source": protocol["source"]}
