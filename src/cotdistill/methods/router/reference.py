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
  logits: the router's parameters get no gradient from any term (in exact arithmetic; in floats that term
  leaves ~1e-9 of rounding, which Adam's per-parameter normalisation can turn into small updates — we
  detach it, so the router keeps its initial parameters exactly).

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
        # Each gate row sums to one, so gate.mean() is 0.5 and its gradient is zero in exact arithmetic; it is
        # detached so that float rounding (~1e-9) cannot move the router through Adam's normalisation.
        loss = loss + kl_weight * mse + reg_weight * sum(g.detach().mean() for g in gates) / len(gates)
    return StepTerms(loss, float(ce1.detach()) if hasattr(ce1, "detach") else float(ce1),
                     float(ce2.detach()) if hasattr(ce2, "detach") else float(ce2), float(mse.detach()))


def reference_step(tr, pairs: list[tuple[int, int]]) -> tuple[dict, list[dict]]:
    """One optimisation step of ``RouterTrainer`` ``tr`` as the reference takes it, on problems given as
    (variant 0, variant 1) row pairs: both variants are routed, the students learn variant 0 under the
    OR masks (the HF loss: token mean over their rows), ``reference_loss`` assembles the rest."""
    import torch
    import torch.nn.functional as F

    from .encoding import _pad_batch

    cfg, device = tr.cfg, tr.device
    v0, v1 = [a for a, _ in pairs], [b for _, b in pairs]
    r_logits = [tr.router(tr.features[v]) for v in (v0, v1)]
    gates = [F.gumbel_softmax(lg, tau=cfg.gumbel_tau, hard=True) for lg in r_logits]
    m1, m2 = masks(gates)
    batches = [_pad_batch([enc[i] for i in v0], tok.pad_token_id, device)
               for enc, tok in ((tr.enc_a, tr.tok_a), (tr.enc_b, tr.tok_b))]
    width = max(b[0].size(1) for b in batches)
    dim = tr.proj_a.out_features
    h_full = [torch.zeros(len(v0), width, dim, device=device), torch.zeros(len(v0), width, dim, device=device)]
    ce = [torch.zeros((), device=device), torch.zeros((), device=device)]
    for k, (model, proj, m, trained) in enumerate(((tr.model_a, tr.proj_a, m1, tr.train_a),
                                                   (tr.model_b, tr.proj_b, m2, tr.train_b))):
        if trained and bool(m.any()):
            ids, mask, labels, _ = batches[k]
            out = model(input_ids=ids[m], attention_mask=mask[m], labels=labels[m], output_hidden_states=True)
            ce[k] = out.loss
            hid = proj(out.hidden_states[-1].float())
            rows = m.nonzero().squeeze(-1)
            h_full[k][rows, : hid.size(1)] = hid
    terms = reference_loss(ce[0], ce[1], h_full[0], h_full[1], tr.weight_net, gates,
                           use_kl=cfg.consistency != "none", kl_weight=cfg.consistency_weight)
    tr.opt.zero_grad(set_to_none=True)
    terms.loss.backward()
    tr.opt.step()
    tr.steps += 1
    log = {"loss": terms.loss.item(), "nll_a": terms.ce1, "nll_b": terms.ce2, "consistency": terms.mse,
           "w_a": 0.5, "w_b": 0.5, "routed_a": float(m1.float().mean())}
    routes = []
    for v, g, lg in zip((v0, v1), gates, r_logits):
        probs = lg.detach().softmax(-1).tolist()
        routes += [{"id": tr.rows[i]["id"], "style": tr.rows[i]["style"], "choice": "b" if g[j, 1].item() > 0.5 else "a",
                    "probs": [round(p, 6) for p in probs[j]]} for j, i in enumerate(v)]
    return log, routes
