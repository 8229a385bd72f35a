"""Direct Consistency Optimization (DCO; Liu, Qi et al., arXiv 2603.04678, ICML 2026): a DPO-style objective on
one question asked in two languages, with the same two candidate answers (c, r) in each.

For language i (prompt x_i, answers c_i, r_i), the policy's and the frozen reference's log-odds of c over r:
    h_i = log pi(c_i | x_i) - log pi(r_i | x_i)          m_i = log pi_ref(c_i | x_i) - log pi_ref(r_i | x_i)
and the implicit reward of the pair, how far the policy moved that margin: d_i = h_i - m_i. DCO moves each
language's margin by the other language's reference margin, the direction hyperparameter beta weighting who
follows whom (beta > 1: language 2 follows language 1 more):
    L = | d_1 - m_2 / beta | + | d_2 - beta * m_1 |
At beta = 1 both margins head for m_1 + m_2: the languages end up ranking c and r the same way, in the direction
they prefer together. The loss is symmetric in (c, r), so which answer is called "chosen" does not matter to it.
It is the loss of the authors' TRL trainer (`Betswish/ConsistencyRL`, trl/trl/trainer/dco_trainer.py, commit
b6ca664, `DCOTrainer.dco_loss`); tests/test_dco_loss.py checks this function against it on a toy batch.

`DCOTrainer` is a transformers Trainer whose loss is that one (TRL has no DCO): each record is tokenized as
crossin's evaluation tokenizes a prompt (crossin.prompts.tokenize_prompt) followed by the answer's tokens; the
four sequences of a record go through the model in one forward pass, and the reference is the same model with its
LoRA adapter switched off (no second copy of the weights).
"""

from __future__ import annotations

DCO_FIELDS = ("prompt_1", "chosen_1", "rejected_1", "prompt_2", "chosen_2", "rejected_2")


def dco_loss(chosen_1, rejected_1, chosen_2, rejected_2, ref_chosen_1, ref_rejected_1, ref_chosen_2, ref_rejected_2,
             beta: float = 1.0):
    """Per-record DCO loss from sequence log-probabilities (tensors of shape (batch,)), see the module docstring."""
    import torch

    ref_margin_1 = ref_chosen_1 - ref_rejected_1
    ref_margin_2 = ref_chosen_2 - ref_rejected_2
    moved_1 = (chosen_1 - rejected_1) - ref_margin_1
    moved_2 = (chosen_2 - rejected_2) - ref_margin_2
    return torch.abs(moved_1 - ref_margin_2 / beta) + torch.abs(moved_2 - beta * ref_margin_1)


def tokenize_record(tokenizer, record: dict) -> dict:
    """A DCO record's token ids: each prompt as evaluation tokenizes it, each answer without special tokens."""
    from ..prompts import tokenize_prompt

    out = {}
    for i in (1, 2):
        out[f"prompt_{i}"] = tokenize_prompt(tokenizer, record[f"prompt_{i}"])
        for kind in ("chosen", "rejected"):
            out[f"{kind}_{i}"] = tokenizer(record[f"{kind}_{i}"], add_special_tokens=False)["input_ids"]
    return out


def collate(records: list[dict], pad_id: int) -> dict:
    """4 x batch right-padded sequences (chosen_1, rejected_1, chosen_2, rejected_2 blocks), and which positions
    hold answer tokens."""
    import torch

    seqs, answer = [], []
    for kind, i in (("chosen", 1), ("rejected", 1), ("chosen", 2), ("rejected", 2)):
        for r in records:
            prompt, completion = r[f"prompt_{i}"], r[f"{kind}_{i}"]
            seqs.append(list(prompt) + list(completion))
            answer.append([0] * len(prompt) + [1] * len(completion))
    width = max(map(len, seqs))
    ids = torch.full((len(seqs), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(seqs), width), dtype=torch.long)
    answer_mask = torch.zeros((len(seqs), width), dtype=torch.bool)
    for k, (s, a) in enumerate(zip(seqs, answer)):
        ids[k, :len(s)] = torch.tensor(s)
        mask[k, :len(s)] = 1
        answer_mask[k, :len(a)] = torch.tensor(a, dtype=torch.bool)
    return {"input_ids": ids, "attention_mask": mask, "answer_mask": answer_mask}


def sequence_logps(model, batch: dict):
    """Sum of log P(answer token) per sequence. Logits only where the next token is an answer token (a boolean
    `logits_to_keep`, as the compact SFT loss does): with a 262k vocabulary the LM head is most of the cost."""
    import torch

    ids, answer = batch["input_ids"], batch["answer_mask"]
    keep = torch.zeros_like(answer)
    keep[:, :-1] = answer[:, 1:]
    targets = ids[:, 1:][keep[:, :-1]]
    logits = model(input_ids=ids, attention_mask=batch["attention_mask"], use_cache=False, logits_to_keep=keep).logits
    if logits.dim() == 3 and logits.shape[:2] == ids.shape:  # a model that ignored the boolean mask
        logits = logits[keep]
    logps = torch.log_softmax(logits.reshape(-1, logits.size(-1)).float(), dim=-1)
    token = logps.gather(-1, targets.unsqueeze(-1)).squeeze(-1)
    owner = keep.nonzero(as_tuple=True)[0]
    return torch.zeros(ids.size(0), dtype=token.dtype, device=token.device).index_add(0, owner, token)


def dco_trainer_class(base):
    """`base` (a transformers Trainer subclass, crossin's adapter-saving one) with the DCO loss."""
    import torch

    class DCOTrainer(base):
        """Trainer with the DCO loss; dco_beta: the direction hyperparameter, dco_reference: the reference model
        (both set by crossin.train.trainer)."""

        dco_beta = 1.0
        dco_reference = None  # a frozen model; None: this model with its adapter switched off

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.dco_metrics: dict[str, list[float]] = {}

        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            logps = sequence_logps(model, inputs)
            with torch.no_grad():
                if self.dco_reference is not None:
                    ref = sequence_logps(self.dco_reference.to(inputs["input_ids"].device), inputs)
                else:
                    with self.accelerator.unwrap_model(model).disable_adapter():
                        ref = sequence_logps(model, inputs)
            c1, r1, c2, r2 = logps.chunk(4)
            losses = dco_loss(c1, r1, c2, r2, *ref.chunk(4), beta=self.dco_beta)
            with torch.no_grad():
                agree = ((c1 > r1) == (c2 > r2)).float().mean().item()
                self.dco_metrics.setdefault("consistent", []).append(agree)
                self.dco_metrics.setdefault("margin_1", []).append((c1 - r1).mean().item())
                self.dco_metrics.setdefault("margin_2", []).append((c2 - r2).mean().item())
            loss = losses.mean()
            return (loss, {"logps": logps}) if return_outputs else loss

        def log(self, logs, start_time=None):
            for key, values in self.dco_metrics.items():
                if values and "loss" in logs:
                    logs[f"dco/{key}"] = sum(values) / len(values)
            if "loss" in logs:
                self.dco_metrics = {}
            return super().log(logs, start_time)

    return DCOTrainer
