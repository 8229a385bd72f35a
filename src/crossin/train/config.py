"""`TrainConfig`: every hyperparameter of a LoRA instruction-tuning run, defaults = the CrossIn paper's settings.

Read from YAML (`configs/train/paper.yaml`) and overridden by flags (`--lora-r 32`), see `crossin.config`.
"""

from __future__ import annotations

import difflib
import importlib
from dataclasses import dataclass

from ..config import arg, check_fields, differs, refuse_no_ops
from ..errors import CrossinError
from ..dtypes import DTYPES
from ..prompts import PROMPT_FORMATS
from ..models.adapter import ADAPTER_FORMATS
TRACKERS = ("none", "tensorboard", "wandb", "trackio")  # TrainingArguments.report_to values crossin tests or documents

PAPER_TARGET_MODULES = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
PAPER_MODULES_TO_SAVE = ["embed_tokens", "lm_head"]
PRECISIONS = ("auto", "bf16", "fp16", "fp32")
LOSS_IMPLS = ("auto", "trl", "compact")
METHODS = ("sft", "dpo", "dco")
DEFAULT_BETA = {"dpo": 0.1, "dco": 1.0}  # TRL's DPOConfig default; DCO's authors' train_script.py default
# TrainConfig fields whose trl.SFTConfig (TrainingArguments) name differs: crossin's YAMLs and flags keep theirs.
# Every other field named as an SFTConfig field goes to it unchanged (train.trainer.sft_arguments).
SFT_NAMES = {"num_epochs": "num_train_epochs", "optimizer": "optim", "lr_scheduler": "lr_scheduler_type",
             "warmup_ratio": "warmup_steps"}  # transformers 5: warmup_steps < 1 is a ratio of the total steps
# SFTConfig fields crossin derives from the config and the run layout; `sft` may set any other one.
SET_BY_CROSSIN = {
    "output_dir": "<out>/checkpoints", "per_device_train_batch_size": "from effective_batch_size and "
    "per_device_batch_size", "gradient_accumulation_steps": "from effective_batch_size and per_device_batch_size",
    "data_seed": "= seed", "bf16": "from precision", "fp16": "from precision",
    "activation_checkpointing": "= gradient_checkpointing", "save_strategy": "steps, for --resume",
    "remove_unused_columns": "the tokenized dataset's columns",
}


def transformers_name(enum: str, default: str):
    """A field check (`arg(valid=...)`): the value must be a name of transformers' `enum` ("module:Class"), which is
    imported (seconds) only for a value other than the field's default."""
    def problem(value: str) -> str | None:
        if value == default:
            return None
        module, _, name = enum.partition(":")
        allowed = [n.value for n in getattr(importlib.import_module(module), name)]
        if value in allowed:
            return None
        guess = difflib.get_close_matches(value, allowed, n=1)
        return f"{value!r} is not a transformers {name} name" + (f"; did you mean {guess[0]}?" if guess
                                                                else f" ({', '.join(allowed)})")
    return problem


# transformers' attention kernels, or a Hub kernel (org/repo[:function]); anything else fails only at model load
ATTENTION_NAMES = r"eager|sdpa|flash_attention_[234]|flex_attention|paged\|eager|[\w.-]+/[\w.-]+(:[\w.-]+)?"


@dataclass
class TrainConfig:
    # what to train on, where to write
    method: str = arg("sft", choices=METHODS, help="sft (instruction tuning on --data rows), dpo (TRL's DPOTrainer on "
                                                   "prompt/chosen/rejected rows, e.g. CALM pairs from `crossin data "
                                                   "pairs`) or dco (Direct Consistency Optimization on its records).")
    model: str = arg("gemma-3-270m", help="Base model: the embedded `gemma-3-270m`, a local folder or a Hub id.")
    data: str = arg("", help="Training data: a folder with train.jsonl (or messages.jsonl), or a JSONL file; "
                             "alpaca rows (instruction, input, output) or chat rows (messages).")
    out: str = arg("", help="Output folder: adapter/, checkpoints/, train_log.jsonl, loss.png, train_config.json.")
    prompt_format: str = arg("alpaca", choices=PROMPT_FORMATS, help="Prompt format shared with `crossin eval`: alpaca (the CrossIn code's "
                                            "template), chat (the tokenizer's chat template) or plain.")
    max_length: int = arg(1024, min=2, help="Longest tokenized sample (prompt + response + EOS); longer ones are cut at the "
                                     "end, and dropped when no response token is left.")
    limit: int | None = arg(None, min=1, help="Train on the first N samples only (quick runs); None = all.")

    # optimisation (paper: lr 1e-4, effective batch 16, 1 epoch, warmup 3%, no weight decay, AdamW)
    learning_rate: float = arg(1e-4, above=0, help="Peak learning rate.")
    effective_batch_size: int = arg(16, min=1, help="Samples per optimizer step over all devices; reached by gradient "
                                             "accumulation when per_device_batch_size x devices is smaller.")
    per_device_batch_size: int = arg(4, min=1, help="Samples per forward pass on each device.")
    num_epochs: float = arg(1.0, above=0, help="Passes over the data.")
    max_steps: int = arg(-1, min=1, choices=(-1,), help="Stop after this many optimizer steps (-1 = as many as num_epochs gives).")
    warmup_ratio: float = arg(0.03, min=0, below=1, help="Fraction of the steps with a linear learning-rate warmup.")
    lr_scheduler: str = arg("cosine", valid=transformers_name("transformers.trainer_utils:SchedulerType", "cosine"),
                            help="Learning-rate schedule after warmup: a transformers SchedulerType name (cosine, "
                                 "linear, constant, ...).")
    weight_decay: float = arg(0.0, min=0, help="AdamW weight decay.")
    optimizer: str = arg("adamw_torch", valid=transformers_name("transformers.training_args:OptimizerNames",
                                                                "adamw_torch"),
                         help="Optimizer: a transformers OptimizerNames name (`optim`); the paper uses AdamW.")
    adam_beta1: float = arg(0.9, min=0, below=1, help="AdamW beta1.")
    adam_beta2: float = arg(0.999, min=0, below=1, help="AdamW beta2.")
    max_grad_norm: float = arg(1.0, min=0, help="Gradient clipping norm (0 = off).")
    seed: int = arg(42, min=0, max=2**32 - 1, help="Seed for LoRA initialisation, data order and dropout; recorded in train_config.json.")

    # LoRA (paper: r 64, alpha 128, dropout 0.05, all projections, embeddings and LM head trained in full)
    lora_r: int = arg(64, min=1, help="LoRA rank.")
    lora_alpha: int = arg(128, above=0, help="LoRA alpha (scale = alpha / r).")
    lora_dropout: float = arg(0.05, min=0, below=1, help="Dropout on the LoRA input.")
    target_modules: list[str] = arg(PAPER_TARGET_MODULES, pattern=r"[\w.]+", help="Module names that get LoRA adapters; each must "
                                                               "match at least one module of the model.")
    modules_to_save: list[str] = arg(PAPER_MODULES_TO_SAVE, pattern=r"[\w.]+", help="Modules trained in full and saved with the adapter; "
                                                                 "tied input/output embeddings stay tied.")

    # precision and speed
    precision: str = arg("auto", choices=PRECISIONS, help="Mixed precision: auto (bf16 where the GPU has it, else fp32), bf16, fp16, fp32.")
    model_dtype: str = arg("fp32", choices=tuple(DTYPES), help="dtype of the loaded base weights (fp32 keeps full-precision master weights "
                                        "for embed_tokens/lm_head; bf16 halves memory on large models).")
    padding_free: bool = arg(True, help="Concatenate each batch into one sequence without padding (position_ids mark "
                                        "the samples, attention stays within a sample); faster on short samples.")
    gradient_checkpointing: bool = arg(False, help="Recompute activations in the backward pass: less memory, ~30% "
                                                   "slower.")
    loss_impl: str = arg("auto", choices=LOSS_IMPLS, help="Loss kernel: trl (TRL's fused LM head, fast with Triton on GPU), compact "
                                      "(logits only at response positions, fast on CPU) or auto (trl on CUDA, "
                                      "else compact).")
    attn_implementation: str = arg("sdpa", pattern=ATTENTION_NAMES, help="Attention kernel: sdpa, eager, flash_attention_2, ...")

    adapter: str | None = arg(None, help="Continue training this LoRA adapter (e.g. an SFT stage's) instead of a new "
                                         "one; its own rank, alpha and modules apply. dpo/dco: the reference model "
                                         "is the model with this adapter merged.")

    # preference methods (dpo, dco)
    beta: float | None = arg(None, above=0, help="dpo: the KL temperature, 0.1 when not given (TRL's); dco: the "
                                                 "direction hyperparameter, 1.0 when not given (the languages meet "
                                                 "halfway).")

    # bookkeeping
    logging_steps: int = arg(1, min=1, help="Optimizer steps between log lines (train_log.jsonl and the progress bar).")
    save_steps: int = arg(100, min=1, help="Optimizer steps between checkpoints (for --resume).")
    save_total_limit: int = arg(2, min=1, help="Checkpoints kept (older ones are deleted).")
    resume: bool = arg(False, help="Continue from the last checkpoint in <out>/checkpoints.")
    adapter_format: str = arg("peft", choices=ADAPTER_FORMATS, help="Adapter files: peft (PEFT's own, read by "
                              "PeftModel.from_pretrained, vLLM and the Hub) or tied-once (a tied embedding matrix "
                              "stored once, half the size with trained embeddings; only crossin reads it).")
    report_to: str = arg("none", choices=TRACKERS, help="Experiment tracker for the training logs (TRL's report_to): "
                         "tensorboard writes <out>/tensorboard/<run_name>/; wandb and trackio use their own settings "
                         "(WANDB_MODE=offline etc.).")
    run_name: str = arg("", help="The run's name in the tracker (default: the --out folder's name); an experiment "
                        "names each run <experiment>/<arm>/seed<seed>.")
    # (a lambda: sft_problem, defined below the class, reads its fields)
    sft: dict = arg({}, valid=lambda sft: sft_problem(sft), help="Any other trl.SFTConfig field (TrainingArguments' included), passed through unchanged "
                             "(YAML), e.g. {neftune_noise_alpha: 5, logging_first_step: true}.")

    def validate(self) -> None:
        """Every check of a training config, before the model or the data loads (for configs made in code too)."""
        check_fields(self)
        self.check_combinations()
        if tracker_problem(self.report_to):
            raise CrossinError(f"report_to: {tracker_problem(self.report_to)}")
        if not self.data:
            raise CrossinError("no training data given (--data)")
        if not self.out:
            raise CrossinError("no output folder given (--out)")

    def resolved_beta(self) -> float | None:
        return None if self.method == "sft" else (self.beta if self.beta is not None else DEFAULT_BETA[self.method])

    def check_combinations(self) -> None:
        """Options that would change nothing together are one-line errors (before the model loads)."""
        preference = self.method != "sft"
        refuse_no_ops([
            (not preference and self.beta is not None, "--beta is for --method dpo or dco"),
            *((self.adapter is not None and differs(self, name),
               f"--{name.replace('_', '-')} does nothing with --adapter (the adapter's own LoRA settings apply)")
              for name in ("lora_r", "lora_alpha", "lora_dropout", "target_modules", "modules_to_save")),
            *((preference and differs(self, name),
               f"--{name.replace('_', '-')} is for --method sft (dpo and dco rows hold their prompts as written, "
               "and use their own losses)") for name in ("prompt_format", "padding_free", "loss_impl", "sft")),
            (self.max_steps != -1 and differs(self, "num_epochs"),
             "--num-epochs does nothing with --max-steps (training stops after max_steps optimizer steps); "
             "drop one of them"),
            (self.save_total_limit != 2 and self.save_steps > max(self.max_steps, 0) > 0,
             f"--save-total-limit does nothing: --save-steps {self.save_steps} is past --max-steps "
             f"{self.max_steps}, so no checkpoint is written"),
        ])


def tracker_problem(name: str) -> str | None:
    """A tracker whose package is not installed fails now, not after the model has loaded."""
    import importlib.util

    packages = {"tensorboard": ("tensorboard", "tensorboardX"), "wandb": ("wandb",), "trackio": ("trackio",)}
    if name in packages and not any(importlib.util.find_spec(p) for p in packages[name]):
        return f"{name} is not installed (pip install {packages[name][0]})"
    return None


def sft_problem(sft: dict) -> str | None:
    """What is wrong with an `sft:` section (a field check): each key an SFTConfig field that crossin does not set."""
    if not sft:
        return None
    import dataclasses

    from trl import SFTConfig

    known = {f.name for f in dataclasses.fields(SFTConfig)}
    ours = {SFT_NAMES.get(f.name, f.name): f.name for f in dataclasses.fields(TrainConfig) if f.name != "sft"}
    for key in sft:
        if key in ours:
            return f"{key}: set it as the config's own {ours[key]} (--{ours[key].replace('_', '-')})"
        if key in SET_BY_CROSSIN:
            return f"{key}: crossin sets it ({SET_BY_CROSSIN[key]})"
        if key not in known:
            guess = difflib.get_close_matches(str(key), known, n=1)
            return f"{key}: not a trl.SFTConfig field" + (f"; did you mean {guess[0]}?" if guess else "")
    return None
