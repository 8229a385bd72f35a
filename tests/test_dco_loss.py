"""crossin's DCO loss (crossin.train.dco, written from the paper's equations) against the authors' code.

Reference: `Betswish/ConsistencyRL`, file trl/trl/trainer/dco_trainer.py, commit
b6ca66467df3da0df2ae0e1980e88aed8aa1ea14, method `DCOTrainer.dco_loss` (the branch without `sft_baseline`).
The repository has no licence file, so its code is not copied here: `authors_loss` below restates, one
assignment per line of theirs and in their order of operations, what that method computes (their `offset_i`,
`reward_chosen_i`, and `losses = |reward_chosen_1 - (1/beta) offset_2| + |reward_chosen_2 - beta offset_1|`;
the sigmoid terms it also computes are unused in its return value).
"""

import pytest
import torch

from crossin.train.dco import collate, dco_loss


def authors_loss(c1, r1, c2, r2, ref_c1, ref_r1, ref_c2, ref_r2, beta):
    offset_1 = ref_c1 - ref_r1
    offset_2 = ref_c2 - ref_r2
    reward_chosen_1 = c1 - ref_c1 - r1 + ref_r1
    reward_chosen_2 = c2 - ref_c2 - r2 + ref_r2
    return torch.abs(reward_chosen_1 - (1.0 / beta) * offset_2) + torch.abs(reward_chosen_2 - beta * offset_1)


@pytest.mark.parametrize("beta", [0.5, 1.0, 3.0])
def test_dco_loss_matches_the_authors_on_a_toy_batch(beta):
    g = torch.Generator().manual_seed(0)
    logps = [-torch.rand(7, generator=g, dtype=torch.float64) * 12 for _ in range(8)]  # sequence log-probs < 0
    ours = dco_loss(*logps, beta=beta)
    theirs = authors_loss(*logps, beta)
    assert ours.shape == (7,)
    assert torch.allclose(ours, theirs, atol=1e-6, rtol=0)
    # and in float32, as training computes it
    ours32 = dco_loss(*(t.float() for t in logps), beta=beta)
    assert torch.allclose(ours32.double(), theirs, atol=1e-5, rtol=0)


def test_dco_loss_is_zero_where_the_margins_have_moved_by_the_other_language():
    ref = [torch.tensor([-1.0]), torch.tensor([-3.0]), torch.tensor([-2.5]), torch.tensor([-2.0])]  # m1=2, m2=-0.5
    # policy margins h1 = m1 + m2 = 1.5 and h2 = m2 + m1 = 1.5 (beta 1): the target, loss 0
    policy = [torch.tensor([-1.0]), torch.tensor([-2.5]), torch.tensor([-1.0]), torch.tensor([-2.5])]
    assert dco_loss(*policy, *ref).item() == pytest.approx(0.0)
    # swapping chosen and rejected in both languages changes nothing (the loss is symmetric in the two answers)
    swapped = [policy[1], policy[0], policy[3], policy[2], ref[1], ref[0], ref[3], ref[2]]
    assert dco_loss(*swapped).item() == pytest.approx(0.0)
    assert dco_loss(*ref, *ref).item() == pytest.approx(2.5)  # |0 - (-0.5)| + |0 - 2|


def test_collate_marks_only_answer_tokens():
    rec = {"prompt_1": [5, 6, 7], "chosen_1": [8], "rejected_1": [9, 10],
           "prompt_2": [11], "chosen_2": [12], "rejected_2": [13]}
    batch = collate([rec], pad_id=0)
    assert batch["input_ids"][0].tolist() == [5, 6, 7, 8, 0]
    assert batch["input_ids"][1].tolist() == [5, 6, 7, 9, 10]
    assert batch["answer_mask"][1].tolist() == [False, False, False, True, True]
    assert batch["answer_mask"][2].tolist() == [False, True, False, False, False]
    assert batch["attention_mask"][3].tolist() == [1, 1, 0, 0, 0]
