"""The reference's training step, gradients as its code computes them (``router: {reference_gradients: true}``).

LzyFischer/Distill ``main.py``, per batch of problems, two CoT variants each:

- ``gate_v = router(encoder(prompt_v + cot_v))``: hard straight-through Gumbel-softmax one-hots;
- ``m1 = gate_0[:, 0].bool() | gate_1[:, 0].bool()``, ``m2`` likewise for student 2: the masks are
  booleans, so **no gradient reaches the router through them**; student k learns variant 0 of the
  problems in ``m_k`` (``out.loss``: the token mean over those rows);
- ``h_k``: the projected last hidden states of student k (zeros for rows it did not get);
  ``we = softmax(weight_net(h_1), weight_net(h_2))`` per token; ``ens = (we_1 h_1 + we_2 h_2).detach()``:
  the weight net appears only inside the detached target, so **it gets no gradient** either;
- ``loss = ce_1 + ce_2 + 0.1 (mse(h_1, ens) + mse(h_2, ens)) + 0.01 (gate_0.mean() + gate_1.mean()) / 2``
  (the MSE only when both students got rows; it is called "KL" in the code). Each gate row sums to one,
  so ``gate.mean()`` is the constant 0.5 and its straight-through gradient sums to zero over the two
  logits: the router's parameters get no gradient from any term.

So in the reference the router and the weight net keep their initial parameters; routing is the initial
MLP plus Gumbel noise. This module reproduces that (by our reading of the code); our default trains the
router through the chosen student's loss and the weights through the ensemble's own NLL.
"""

from __future__ import annotations

from dataclasses import dataclass

KL_WEIGHT = 0.1  # main.py: kl_weight
REG_WEIGHT = 0.01  # main.py: reg_weight


def router_mlp(dim: int):
    """The reference's router: Linear(d, d/2), GELU, Linear(d/2, 2)."""
    import torch.nn as nn

    return nn.Sequential(nn.Linear(dim, max(1, dim // 2)), nn.GELU(), nn.Linear(max(1, dim // 2), 2))


def weight_learner(dim: int):
    """The reference's ``WeightLearner``: sigmoid(Linear(d, 1, bias=False)) per position."""
    import torch.nn as nn

    return nn.Linear(dim, 1, bias=False)


def masks(gates: list) -> tuple:
    """``(m1, m2)``: the rows student 1 / student 2 learn — any variant's gate chose it (booleans)."""
    m1 = gates[0][:, 0].bool()
    m2 = gates[0][:, 1].bool()
    for g in gates[1:]:
        m1, m2 = m1 | g[:, 0].bool(), m2 | g[:, 1].bool()
    return m1, m2


@dataclass
class StepTerms:
    loss: "torch.Tensor"  # noqa: F821
    ce1: float
    ce2: float
    mse: float


def reference_loss(ce1, ce2, h1_full, h2_full, weight_net, gates: list, *, use_kl: bool = True,
                   kl_weight: float = KL_WEIGHT, reg_weight: float = REG_WEIGHT) -> StepTerms:
    """The reference's loss from its pieces. ``ce1``/``ce2``: the students' LM losses on their rows (0 when
    none); ``h*_full``: ``[B, T, D]`` projected hidden states, zero rows where a student was not run;
    ``weight_net``: maps ``[..., D]`` to ``[..., 1]`` logits; ``gates``: the variants' one-hot gates."""
    import torch
    import torch.nn.functional as F

    w1 = torch.sigmoid(weight_net(h1_full))
    w2 = torch.sigmoid(weight_net(h2_full))
    we = torch.softmax(torch.cat([w1, w2], dim=-1), dim=-1)
    ens = (we[..., [0]].expand_as(h1_full) * h1_full + we[..., [1]].expand_as(h2_full) * h2_full).detach()
    if use_kl and h1_full.abs().sum() > 0 and h2_full.abs().sum() > 0:
        mse = F.mse_loss(h1_full, ens) + F.mse_loss(h2_full, ens)
    else:
        mse = torch.zeros((), device=h1_full.device)
    loss = ce1 + ce2
    if use_kl:
        loss = loss + kl_weight * mse + reg_weight * sum(g.mean() for g in gates) / len(gates)
    return StepTerms(loss, float(ce1.detach()) if hasattr(ce1, "detach") else float(ce1),
                     float(ce2.detach()) if hasattr(ce2, "detach") else float(ce2), float(mse.detach()))
