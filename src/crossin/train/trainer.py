"""LoRA instruction tuning on TRL's `SFTTrainer` + PEFT, with the CrossIn paper's settings.

What is ours: the data formatting/masking (crossin.train.data), the checks (target modules that match nothing,
tied embeddings), a loss that projects only response positions through the LM head (CPU, hooks.py), the output folder
layout, the JSONL log and the loss plot. Everything else (optimizer,
schedule, accumulation, checkpoints, resume, mixed precision, multi-GPU via `accelerate launch`) is TRL /
transformers / accelerate.

Tied embeddings: Gemma ties `embed_tokens` and `lm_head`. With both in `modules_to_save`, PEFT by default
trains two independent copies, so the result is an untied model that no longer matches the tied base
architecture (and a merged model saved with `tie_word_embeddings` would silently drop one of them). We set
PEFT's `ensure_weight_tying`, so the two stay one trained matrix (PEFT still writes it under both names, it
needs both keys to reload); crossin.models.adapter writes it once and restores the second name on reading
(final adapter and checkpoints), and reloading or merging gives exactly the trained model (tests/test_train*.py).
Checkpoints hold what a resume reads: adapter weights, optimizer, scheduler, RNG and trainer state (no tokenizer).
"""

from __future__ import annotations

import math
import os
import shutil
import sys
import time
from pathlib import Path

from .. import __version__ as crossin_version
from ..config import config_to_dict
from ..errors import CrossinError
from ..io import (check_cache_writable, check_input_file, check_output_dir, package_versions, read_json,
                  remove_stale_tmp, sha256_file, tmp_name, write_json)
from ..models.adapter import quiet_checkpointing_deprecation
from ..models.embedded import is_embedded
from ..models.hf import attention_without_cudnn
from .checkpoints import checkpoint_step, finish_from_checkpoint, last_checkpoint, reached_end
from .config import SFT_NAMES, TrainConfig
from .data import load_training_data, training_file
from .hooks import sft_trainer_class
from .log import make_estimate_callback, make_log_callback, plot_loss

EMBEDDING_NAMES = ("embed_tokens", "lm_head", "embed_in", "embed_out", "wte", "word_embeddings")


def _module_suffixes(model) -> set[str]:
    names = set()
    for full, _ in model.named_modules():
        parts = full.split(".")
        names.update(".".join(parts[i:]) for i in range(len(parts)))
    return names


def check_modules(model, target_modules: list[str], modules_to_save: list[str]) -> None:
    """Each listed name must match a module; PEFT only complains when *none* of them does."""
    suffixes = _module_suffixes(model)
    for field, names in (("target_modules", target_modules), ("modules_to_save", modules_to_save)):
        missing = [n for n in names if n not in suffixes]
        if missing:
            leaves = sorted({s.rsplit(".", 1)[-1] for s in suffixes if s and not s.rsplit(".", 1)[-1].isdigit()})
            raise CrossinError(f"{field}: {', '.join(missing)} match(es) no module of {model.config.model_type}; "
                               f"module names: {', '.join(leaves)}")


def embeddings_tied(model) -> bool:
    inp, out = model.get_input_embeddings(), model.get_output_embeddings()
    return out is not None and inp.weight is out.weight


def lora_config(cfg: TrainConfig, tied: bool):
    from peft import LoraConfig

    saves_embedding = any(m.split(".")[-1] in EMBEDDING_NAMES for m in cfg.modules_to_save)
    return LoraConfig(
        r=cfg.lora_r,
        lora_alpha=cfg.lora_alpha,
        lora_dropout=cfg.lora_dropout,
        target_modules=list(cfg.target_modules),
        modules_to_save=list(cfg.modules_to_save) or None,
        # keep tied embeddings one matrix (see module docstring)
        ensure_weight_tying=tied and saves_embedding,
        bias="none",
        task_type="CAUSAL_LM",
    )


def checkpointing_args(args_cls, on: bool) -> dict:
    """transformers 5.2x renamed gradient_checkpointing to activation_checkpointing and warns on every run that
    passes the old name (TRL's SFTConfig defaults it to True, so it must be passed either way)."""
    import dataclasses

    names = {f.name for f in dataclasses.fields(args_cls)}
    if "activation_checkpointing" in names:
        return {"activation_checkpointing": on, "gradient_checkpointing": None}
    return {"gradient_checkpointing": on}


def cpu_hint(cfg: TrainConfig, gpu: bool | None = None) -> str | None:
    """One line for a paper-sized run (rank 64, 1024 tokens, batch 16) on a machine without a GPU."""
    if gpu is None:
        import torch

        gpu = torch.cuda.is_available()
    paper = TrainConfig()
    sizes = ("lora_r", "max_length", "effective_batch_size")
    if gpu or any(getattr(cfg, k) < getattr(paper, k) for k in sizes):
        return None
    return ("no GPU: the paper config is made for one (the first step's time and the whole run's estimate follow "
            "it); for a quick run use --config configs/train/cpu_small.yaml (README: its measured time per step)")


def resolve_precision(precision: str) -> str:
    """auto: bf16 where the GPU has it, else fp32 (the name itself is one of the field's choices: TrainConfig.validate)."""
    import torch

    if precision != "auto":
        return precision
    return "bf16" if torch.cuda.is_available() and torch.cuda.is_bf16_supported() else "fp32"


def world_size() -> int:
    return int(os.environ.get("WORLD_SIZE", "1"))


def accumulation(cfg: TrainConfig, n_devices: int) -> tuple[int, int]:
    """(device batch, accumulation steps) giving exactly the effective batch."""
    device_batch = min(cfg.per_device_batch_size, max(1, cfg.effective_batch_size // n_devices))
    per_step = device_batch * n_devices
    if cfg.effective_batch_size % per_step:
        raise CrossinError(f"effective_batch_size {cfg.effective_batch_size} is not a multiple of "
                           f"per_device_batch_size {device_batch} x {n_devices} device(s)")
    return device_batch, cfg.effective_batch_size // per_step


def load_base_model(cfg: TrainConfig):
    """(model, tokenizer) of cfg.model in cfg.model_dtype, through the loader evaluation uses."""
    from ..models.hf import load_pretrained

    model, tokenizer = load_pretrained(cfg.model, dtype=cfg.model_dtype, attn_implementation=cfg.attn_implementation)
    # PEFT records this as the adapter's base_model_name_or_path: the model as the user named it, not the folder it
    # resolved to (a cache path that differs between machines), so identical runs write identical adapter files.
    model.name_or_path = cfg.model
    return model, tokenizer


def resolve_loss_impl(loss_impl: str) -> str:
    """auto: TRL's fused Triton LM head on CUDA; elsewhere our compact loss (TRL's CPU fallback tiles are slow)."""
    if loss_impl != "auto":
        return loss_impl
    import torch
    from transformers.utils import is_triton_available

    return "trl" if torch.cuda.is_available() and is_triton_available() else "compact"


def sft_arguments(cfg: TrainConfig, sft_cls) -> dict:
    """The SFTConfig of a run: each config field named as an SFTConfig field (or renamed in SFT_NAMES) as it is,
    crossin's own choices for a CPU/GPU run, the `sft` section over them, and what the run layout and the effective
    batch fix (SET_BY_CROSSIN) last."""
    import dataclasses

    import torch

    names = {f.name for f in dataclasses.fields(sft_cls)}
    passed = {SFT_NAMES.get(k, k): v for k, v in config_to_dict(cfg).items() if SFT_NAMES.get(k, k) in names}
    passed["run_name"] = cfg.run_name or Path(cfg.out or "crossin-train").resolve().name
    chosen = {"disable_tqdm": False, "dataloader_num_workers": 0,
              "dataloader_pin_memory": torch.cuda.is_available()}
    precision = resolve_precision(cfg.precision)
    device_batch, accum = accumulation(cfg, world_size())
    derived = {
        "output_dir": str(Path(cfg.out or "crossin-train") / "checkpoints"),
        "per_device_train_batch_size": device_batch,
        "gradient_accumulation_steps": accum,
        "data_seed": cfg.seed,
        "bf16": precision == "bf16",
        "fp16": precision == "fp16",
        **checkpointing_args(sft_cls, cfg.gradient_checkpointing),
        "max_length": None,  # already truncated by build_dataset (TRL refuses max_length with padding_free)
        "save_strategy": "steps",
        "remove_unused_columns": True,
    }
    return {**passed, **chosen, **cfg.sft, **derived}


def build_trainer(cfg: TrainConfig, model=None, tokenizer=None, dataset=None, callbacks=()):
    """The method's trainer for cfg (SFTTrainer, DPOTrainer, or the DCO Trainer); model/tokenizer/dataset may be
    passed in (tests, benchmarks)."""
    if model is None:
        model, tokenizer = load_base_model(cfg)
    if dataset is None:
        dataset, _ = load_training_data(cfg, tokenizer)
    ref_model = None
    if cfg.adapter:
        from ..models.adapter import load_adapter

        from .preference import reference_model

        ref_model = reference_model(cfg) if cfg.method != "sft" else None
        model, peft_config = load_adapter(model, Path(cfg.adapter), trainable=True), None
    else:
        check_modules(model, cfg.target_modules, cfg.modules_to_save)
        peft_config = lora_config(cfg, embeddings_tied(model))
    if cfg.method != "sft":
        from .preference import preference_trainer

        trainer = preference_trainer(cfg, model, tokenizer, dataset, peft_config, ref_model, callbacks,
                                     base_arguments=lambda cls: sft_arguments(cfg, cls))
        args = trainer.args
    else:
        from trl import SFTConfig

        args = SFTConfig(**sft_arguments(cfg, SFTConfig))
        trainer_cls = sft_trainer_class(resolve_loss_impl(cfg.loss_impl))
        trainer = trainer_cls(model=model, args=args, train_dataset=dataset, processing_class=tokenizer,
                              peft_config=peft_config, callbacks=list(callbacks))
    trainer.adapter_format = cfg.adapter_format
    for callback in trainer.callback_handler.callbacks:  # TensorBoard: beside the run's other logs, one folder a run
        if type(callback).__name__ == "TensorBoardCallback" and callback.logging_dir is None:
            callback.logging_dir = str(Path(cfg.out or "crossin-train") / "tensorboard" / args.run_name)
    return trainer


def save_adapter(trainer, target: Path, record: dict | None = None) -> None:
    """Save the final adapter via a temp folder, so `<out>/adapter` is complete or absent. No tokenizer: training
    does not change it, and evaluation loads the base model's. `record` (train_config.json): the model card."""
    from ..models.adapter import save_adapter_weights
    from ..publish.card import write_adapter_card

    tmp = target.with_name(tmp_name(target.name))
    if tmp.exists():
        shutil.rmtree(tmp)
    form = getattr(trainer, "adapter_format", "peft")
    save_adapter_weights(trainer.model, tmp, form=form)
    if record is not None:
        write_adapter_card(tmp, record, form)
    if target.exists():
        shutil.rmtree(target)
    os.replace(tmp, target)


def _say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def train(config: TrainConfig, log=_say, callbacks=()) -> Path:
    """Train a LoRA adapter as `config` says; returns `<out>/adapter`. Resumable with `config.resume`.
    `callbacks`: more transformers TrainerCallbacks (bench/cpu_train_step.py times steps with one).

    The adapter is written last and atomically: a folder with `adapter/` is a finished run (train_config.json,
    the log and loss.png are complete by then)."""
    import torch  # noqa: F401 - fail early with a clear message if the training stack is missing

    cfg = config
    cfg.validate()
    out, checkpoint, before = _check_places(cfg, log)
    adapter_dir = out / "adapter"
    if cfg.resume and (adapter_dir / "adapter_config.json").exists():
        return adapter_dir  # finished earlier
    if cfg.resume and checkpoint is not None and reached_end(checkpoint, cfg, before):
        # Killed after its last checkpoint: another trainer.train() would take one step too many.
        _finish_at(checkpoint, cfg, out, before, log)
        return adapter_dir
    _fit(cfg, out, checkpoint, log, callbacks)
    return adapter_dir


def _check_places(cfg: TrainConfig, log) -> tuple[Path, Path | None, dict]:
    """(out, the last checkpoint, the train_config.json it was written with): --out and --data checked, a finished
    or an earlier run's folder refused unless --resume, temp files of a killed run removed."""
    accumulation(cfg, world_size())  # a batch that does not divide fails now, before the model loads
    out = check_output_dir(cfg.out, "--out")
    check_input_file(training_file(cfg), "training data")
    if cfg.adapter is not None:
        check_input_file(Path(cfg.adapter) / "adapter_config.json", "--adapter")  # before anything in --out is touched
    if is_embedded(cfg.model):
        check_cache_writable()  # the embedded model is converted into the cache on first use
    finished = (out / "adapter" / "adapter_config.json").exists()
    if finished and not cfg.resume:
        raise CrossinError("the output folder already holds a trained adapter; choose another --out", path=str(out))
    if finished:
        return out, None, {}
    for path in remove_stale_tmp(out):
        log(f"removed {path} (left by a killed run)")
    checkpoint = last_checkpoint(out, log)
    if checkpoint is not None and not cfg.resume:
        raise CrossinError("the output folder has checkpoints from an earlier run; pass --resume to continue it "
                           "or choose another --out", path=str(out))
    before: dict = {}
    if cfg.resume and checkpoint is not None and (out / "train_config.json").exists():
        before = read_json(out / "train_config.json")
        changed = sorted(k for k, v in config_to_dict(cfg).items()
                         if k not in ("resume", "max_steps") and k in before.get("config", {})
                         and before["config"][k] != v)
        if changed:
            raise CrossinError(f"--resume with a different config ({', '.join(changed)}) than the checkpoint's",
                               path=str(out / "train_config.json"))
    return out, checkpoint, before


def _finish_at(checkpoint: Path, cfg: TrainConfig, out: Path, before: dict, log) -> None:
    """The adapter of a run killed after its last checkpoint, from that checkpoint, without training further."""
    log(f"{checkpoint.name} is the run's last step; writing its adapter without training further")
    step = checkpoint_step(checkpoint)
    if before and before.get("result", {}).get("global_step") != step:
        before["result"] = {"global_step": step, "train_loss": None, "from_checkpoint": checkpoint.name}
    if before:
        write_json(out / "train_config.json", before)
    if (out / "train_log.jsonl").exists() and not (out / "loss.png").exists():
        plot_loss(out / "train_log.jsonl", out / "loss.png", title=f"{cfg.model} LoRA r={cfg.lora_r}")
    finish_from_checkpoint(checkpoint, out / "adapter")
    if before:
        from ..publish.card import write_adapter_card

        write_adapter_card(out / "adapter", before, cfg.adapter_format)


def _run_record(cfg: TrainConfig, trainer, stats: dict, data_file: Path) -> dict:
    """train_config.json before training: the config, the data, what was derived from both, the versions."""
    device_batch, accum = accumulation(cfg, world_size())
    return {
        "config": config_to_dict(cfg),
        "seed": cfg.seed,
        "data_file": str(data_file),
        "data_sha256": sha256_file(data_file),
        "data": stats,
        "derived": {
            "precision": resolve_precision(cfg.precision),
            "devices": world_size(),
            "per_device_batch_size": device_batch,
            "gradient_accumulation_steps": accum,
            "steps_per_epoch": math.ceil(stats["samples"] / cfg.effective_batch_size),
            "ensure_weight_tying": bool(trainer.model.peft_config["default"].ensure_weight_tying),
            "trainable_parameters": sum(p.numel() for p in trainer.model.parameters() if p.requires_grad),
        },
        "versions": {"crossin": crossin_version,
                     **package_versions("torch", "transformers", "peft", "trl", "accelerate")},
    }


def _fit(cfg: TrainConfig, out: Path, checkpoint: Path | None, log, callbacks) -> None:
    """Load, train (from `checkpoint` with --resume), then write the record, the loss plot and the adapter."""
    source = training_file(cfg)
    model, tokenizer = load_base_model(cfg)
    dataset, stats = load_training_data(cfg, tokenizer)
    log_path = out / "train_log.jsonl"
    with quiet_checkpointing_deprecation():
        trainer = build_trainer(cfg, model, tokenizer, dataset,
                                callbacks=[make_log_callback(log_path), make_estimate_callback(log), *callbacks])
    main_process = trainer.is_world_process_zero()
    record = _run_record(cfg, trainer, stats, source)
    if main_process:
        out.mkdir(parents=True, exist_ok=True)
        write_json(out / "train_config.json", record)
    started = time.time()
    with attention_without_cudnn(trainer.args.device), quiet_checkpointing_deprecation():  # (see each)
        result = trainer.train(resume_from_checkpoint=str(checkpoint) if (cfg.resume and checkpoint) else None)
    if main_process:
        if log_path.exists():
            plot_loss(log_path, out / "loss.png", title=f"{cfg.model} {cfg.method} LoRA r={cfg.lora_r} on {source.name}")
        record["result"] = {
            "global_step": trainer.state.global_step,
            "train_loss": result.training_loss,
            "train_runtime_s": round(time.time() - started, 1),
            "metrics": result.metrics,
        }
        write_json(out / "train_config.json", record)
        save_adapter(trainer, out / "adapter", record)  # last: an adapter folder means a finished run
