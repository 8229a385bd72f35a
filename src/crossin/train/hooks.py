"""crossin's extensions of the TRL / transformers trainers, in one place: checkpoints in the run's adapter form
(`save_model`, and the one private method, `_load_from_checkpoint`) and the SFT loss over response positions only
(`compute_loss`, `log`). tests/test_private_apis.py checks the hooks against the installed versions."""

from __future__ import annotations

from pathlib import Path

from ..errors import CrossinError


def adapter_saving(base):
    """`base` (a transformers Trainer class) whose checkpoints are in the run's adapter form and without the
    tokenizer (the base model's, unchanged); every method's trainer is one.

    Saving goes through the public `save_model` (checkpoints call it too). Reading a tied-once checkpoint back has
    no public hook: `_load_from_checkpoint` is the one private method overridden; tests/test_private_apis.py fails
    the day its signature or its caller in `Trainer.train` changes (pyproject pins the tested trl/transformers)."""
    from ..models.adapter import is_tied_once, save_adapter_weights, set_adapter_weights

    class AdapterTrainer(base):
        adapter_format = "peft"  # build_trainer sets the config's

        def save_model(self, output_dir=None, _internal_call=False):
            from peft import PeftModel
            from transformers.utils import is_sagemaker_mp_enabled, is_torch_xla_available

            sharded = (self.is_fsdp_enabled or self.is_deepspeed_enabled or is_sagemaker_mp_enabled()
                       or is_torch_xla_available())
            if sharded or not isinstance(self.model, PeftModel):  # transformers gathers the state dict first
                return super().save_model(output_dir, _internal_call)
            if self.args.should_save:
                save_adapter_weights(self.model, Path(output_dir or self.args.output_dir), form=self.adapter_format)

        def _load_from_checkpoint(self, resume_from_checkpoint, model=None):
            if not is_tied_once(Path(resume_from_checkpoint)):
                return super()._load_from_checkpoint(resume_from_checkpoint, model)
            set_adapter_weights(model or self.model, Path(resume_from_checkpoint))

    AdapterTrainer.__name__ = AdapterTrainer.__qualname__ = f"Adapter{base.__name__}"
    return AdapterTrainer


def sft_trainer_class(loss_impl: str):
    """TRL's SFTTrainer with adapter-form checkpoints; with loss_impl compact, our loss too."""
    from trl import SFTTrainer

    AdapterSFTTrainer = adapter_saving(SFTTrainer)

    if loss_impl == "trl":
        return AdapterSFTTrainer

    class CompactLossSFTTrainer(AdapterSFTTrainer):
        """SFTTrainer whose loss projects only the supervised positions through the LM head.

        With a 262k vocabulary the LM head dominates; `logits_to_keep` (a boolean mask) makes the model
        compute logits only where the next token is a response token, then a plain cross-entropy. Same
        value and normalisation as TRL's loss (sum over tokens / supervised tokens in the accumulated batch),
        and the same logged metrics (mean_token_accuracy, num_tokens), kept in this class's own fields and added
        through the public `log` rather than written into SFTTrainer's private `_metrics`.
        """

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.compact_metrics: dict[str, dict[str, list[float]]] = {"train": {}, "eval": {}}
            self.train_tokens_seen = 0

        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            import torch
            import torch.nn.functional as F

            mode = "train" if self.model.training else "eval"
            labels = inputs["labels"]
            targets_all = labels[:, 1:]
            keep = torch.zeros_like(labels, dtype=torch.bool)
            keep[:, :-1] = targets_all != -100
            targets = targets_all[keep[:, :-1]]
            model_inputs = {k: v for k, v in inputs.items() if k != "labels"}
            outputs = model(**model_inputs, use_cache=False, logits_to_keep=keep)
            logits = outputs.logits
            if logits.dim() == 3 and logits.shape[:2] == labels.shape:  # a model that ignored the boolean mask
                logits = logits[keep]
            logits = logits.reshape(-1, logits.size(-1)).float()
            if logits.size(0) != targets.numel():
                raise CrossinError(f"{type(self.model).__name__} does not support logits_to_keep masks; "
                                   "use --loss-impl trl")
            loss_sum = F.cross_entropy(logits, targets, reduction="sum")
            denom = targets.numel() if num_items_in_batch is None else num_items_in_batch
            loss = loss_sum / torch.as_tensor(denom, device=loss_sum.device).clamp(min=1)
            # tensor-parallel ranks share one batch: count it once (as TRL's loss does)
            tp_size = self.get_tp_size()
            if self.args.average_tokens_across_devices and num_items_in_batch is not None:
                loss = loss * (self.accelerator.num_processes // tp_size)

            with torch.no_grad():
                metrics = self.compact_metrics[mode]
                correct = self.accelerator.gather_for_metrics((logits.argmax(-1) == targets).sum()).sum()
                valid = self.accelerator.gather_for_metrics(torch.tensor(targets.numel(), device=loss.device)).sum()
                metrics.setdefault("mean_token_accuracy", []).append((correct / valid).item() if valid > 0 else 0.0)
                if mode == "train":
                    if "attention_mask" in inputs:
                        local = inputs["attention_mask"].sum()
                    else:
                        local = torch.tensor(inputs["input_ids"].numel(), device=loss.device)
                    self.train_tokens_seen += self.accelerator.gather_for_metrics(local).sum().item() // tp_size
                metrics["num_tokens"] = [self.train_tokens_seen]
            return (loss, outputs) if return_outputs else loss

        def log(self, logs, start_time=None):
            mode = "train" if self.model.training else "eval"
            prefix = "eval_" if mode == "eval" else ""
            logs.update({prefix + k: sum(v) / len(v) for k, v in self.compact_metrics[mode].items() if v})
            self.compact_metrics[mode] = {}
            return super().log(logs, start_time)

    return CompactLossSFTTrainer
