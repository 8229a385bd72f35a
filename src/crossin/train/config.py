"""`TrainConfig`: every hyperparameter of a LoRA instruction-tuning run, defaults = the CrossIn paper's settings.

Read from YAML (`configs/train/paper.yaml`) and overridden by flags (`--lora-r 32`), see `crossin.config`.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..config import arg, differs, refuse_no_ops
from ..dtypes import DTYPES
from ..prompts import PROMPT_FORMATS

PAPER_TARGET_MODULES = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
PAPER_MODULES_TO_SAVE = ["embed_tokens", "lm_head"]
PRECISIONS = ("auto", "bf16", "fp16", "fp32")
LOSS_IMPLS = ("auto", "trl", "compact")
# transformers' SchedulerType and OptimizerNames values (transformers 5), listed here so a typo fails when the
# config is read, before the model loads; the trainer hands them to transformers unchanged.
LR_SCHEDULERS = ("linear", "cosine", "cosine_with_restarts", "polynomial", "constant", "constant_with_warmup",
                 "inverse_sqrt", "reduce_lr_on_plateau", "cosine_with_min_lr", "cosine_warmup_with_min_lr",
                 "warmup_stable_decay")
OPTIMIZERS = ("adamw_torch", "adamw_torch_fused", "adamw_torch_xla", "adamw_torch_npu_fused", "adafactor",
              "adamw_anyprecision", "adamw_torch_4bit", "adamw_torch_8bit", "ademamix", "sgd", "adagrad",
              "adamw_bnb_8bit", "adamw_8bit", "ademamix_8bit", "lion_8bit", "lion_32bit", "paged_adamw_32bit",
              "paged_adamw_8bit", "paged_ademamix_32bit", "paged_ademamix_8bit", "paged_lion_32bit", "paged_lion_8bit",
              "rmsprop", "rmsprop_bnb", "rmsprop_bnb_8bit", "rmsprop_bnb_32bit", "galore_adamw", "galore_adamw_8bit",
              "galore_adafactor", "galore_adamw_layerwise", "galore_adamw_8bit_layerwise", "galore_adafactor_layerwise",
              "lomo", "adalomo", "grokadamw", "schedule_free_radam", "schedule_free_adamw", "schedule_free_sgd",
              "apollo_adamw", "apollo_adamw_layerwise", "stable_adamw")


# transformers' attention kernels, or a Hub kernel (org/repo[:function]); anything else fails only at model load
ATTENTION_NAMES = r"eager|sdpa|flash_attention_[234]|flex_attention|paged\|eager|[\w.-]+/[\w.-]+(:[\w.-]+)?"


@dataclass
class TrainConfig:
    # what to train on, where to write
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
    lr_scheduler: str = arg("cosine", choices=LR_SCHEDULERS, help="Learning-rate schedule after warmup (transformers name: cosine, linear, "
                                           "constant, ...).")
    weight_decay: float = arg(0.0, min=0, help="AdamW weight decay.")
    optimizer: str = arg("adamw_torch", choices=OPTIMIZERS, help="Optimizer (transformers `optim` name); the paper uses AdamW.")
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

    # bookkeeping
    logging_steps: int = arg(1, min=1, help="Optimizer steps between log lines (train_log.jsonl and the progress bar).")
    save_steps: int = arg(100, min=1, help="Optimizer steps between checkpoints (for --resume).")
    save_total_limit: int = arg(2, min=1, help="Checkpoints kept (older ones are deleted).")
    resume: bool = arg(False, help="Continue from the last checkpoint in <out>/checkpoints.")

    def check_combinations(self) -> None:
        """Options that would change nothing together are one-line errors (before the model loads)."""
        refuse_no_ops([
            (self.max_steps != -1 and differs(self, "num_epochs"),
             "--num-epochs does nothing with --max-steps (training stops after max_steps optimizer steps); "
             "drop one of them"),
            (self.save_total_limit != 2 and self.save_steps > max(self.max_steps, 0) > 0,
             f"--save-total-limit does nothing: --save-steps {self.save_steps} is past --max-steps "
             f"{self.max_steps}, so no checkpoint is written"),
        ])
