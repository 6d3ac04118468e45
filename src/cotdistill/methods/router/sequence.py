"""Sequence-level ensembling of students that need not share a tokenizer (Distill's evaluation).

The reference (LzyFischer/Distill ``main.py``, ``evaluate_dual_loader``) lets each student generate
greedily on its own, scores each output by its own model's log-probability (``_calc_seq_logprobs``) and
keeps the answer of the higher-scoring student (``p1 if l1 >= l2 else p2``). Nothing is mixed token by
token, so the two students may have different vocabularies (Mistral-7B + Gemma-7B).

Ours: the score of member k's output y is ``mean_t log p_k(y_t | ...) + log w_k`` — length-normalised
(``length_normalise``) and weighted by the learned ensemble weights (``use_weights``); with both off it is
the reference's summed log-probability. The sum runs over the generated tokens up to and including the
first EOS (the reference also adds the scores of the padding after an early EOS and starts counting at
the batch's shortest prompt). Ties go to the first member, as in the reference.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence


@dataclass(frozen=True)
class Scored:
    """One member's greedy output: its text, the summed log-probability of its tokens and how many."""

    text: str
    logprob: float
    n_tokens: int

    def score(self, weight: float | None = None, length_normalise: bool = True) -> float:
        base = self.logprob / max(self.n_tokens, 1) if length_normalise else self.logprob
        if weight is None:
            return base
        return base + (math.log(weight) if weight > 0 else -math.inf)


def select(per_member: Sequence[Sequence[Scored]], weights: Sequence[float] | None = None,
           length_normalise: bool = True) -> list[int]:
    """Per prompt, the index of the member whose output scores highest (ties: the earlier member).
    ``per_member[k][i]`` is member k's output for prompt i; ``weights`` are the ensemble weights (or None)."""
    if not per_member or len({len(m) for m in per_member}) != 1:
        raise ValueError("select: one output per prompt from every member")
    if weights is not None and len(weights) != len(per_member):
        raise ValueError(f"select: {len(weights)} weights for {len(per_member)} members")
    picks = []
    for outs in zip(*per_member):
        scores = [o.score(None if weights is None else weights[k], length_normalise) for k, o in enumerate(outs)]
        picks.append(max(range(len(scores)), key=lambda k: (scores[k], -k)))
    return picks


def generate_scored(model, tokenizer, prompt_ids: list[list[int]], *, max_new_tokens: int,
                    batch_size: int = 8) -> list[Scored]:
    """Greedy outputs of one model with their own log-probabilities (left-padded batches sorted by length,
    results in input order). Scores are computed from the raw logits over the tokenizer's vocabulary."""
    import torch

    eos = _eos_ids(model, tokenizer)
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else eos[0]
    vocab = len(tokenizer)
    device = next(model.parameters()).device
    order = sorted(range(len(prompt_ids)), key=lambda i: len(prompt_ids[i]))
    out: list[Scored | None] = [None] * len(prompt_ids)
    for start in range(0, len(order), batch_size):
        idx = order[start : start + batch_size]
        width = max(len(prompt_ids[i]) for i in idx)
        ids = torch.tensor([[pad] * (width - len(prompt_ids[i])) + prompt_ids[i] for i in idx], device=device)
        mask = torch.tensor([[0] * (width - len(prompt_ids[i])) + [1] * len(prompt_ids[i]) for i in idx], device=device)
        with torch.inference_mode():
            gen = model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=max_new_tokens, do_sample=False,
                                 num_beams=1, pad_token_id=pad, eos_token_id=eos, return_dict_in_generate=True,
                                 output_logits=True)
        new = gen.sequences[:, width:]
        if gen.logits:
            logp = torch.stack(gen.logits, 1)[..., :vocab].float().log_softmax(-1)  # (B, L, V)
            tok_lp = logp.gather(-1, new[:, : logp.size(1)].clamp(max=vocab - 1).unsqueeze(-1)).squeeze(-1)
        else:
            tok_lp = torch.zeros(new.shape)
        for row, i in enumerate(idx):
            toks = new[row].tolist()
            n = next((j + 1 for j, t in enumerate(toks) if t in eos), len(toks))
            text = tokenizer.decode([t for t in toks[:n] if t not in eos], skip_special_tokens=True).strip()
            out[i] = Scored(text, float(tok_lp[row, :n].sum()), n)
    return out


def _eos_ids(model, tokenizer) -> list[int]:
    ids = {tokenizer.eos_token_id}
    e = getattr(model.generation_config, "eos_token_id", None)
    ids |= set(e if isinstance(e, list) else [e])
    return sorted(i for i in ids if i is not None)


class SequenceEnsemble:
    """Members ``(model, tokenizer)`` with ensemble weights: each generates, the best-scoring output is kept."""

    def __init__(self, members: list[tuple], weights: Sequence[float] | None, *, length_normalise: bool = True,
                 use_weights: bool = True):
        if not members:
            raise ValueError("SequenceEnsemble needs at least one member")
        self.members, self.weights = members, (list(weights) if weights is not None and use_weights else None)
        self.length_normalise = length_normalise

    def generate_ids(self, prompt_ids: list[list[list[int]]], *, max_new_tokens: int, batch_size: int = 8
                     ) -> tuple[list[str], list[dict]]:
        """``prompt_ids[k]``: the prompts encoded by member k's tokenizer (and template). Returns the kept
        answers and, per prompt, which member was kept and every member's score."""
        if len(prompt_ids) != len(self.members):
            raise ValueError(f"prompt ids for {len(prompt_ids)} members, ensemble has {len(self.members)}")
        outs = [generate_scored(m, t, ids, max_new_tokens=max_new_tokens, batch_size=batch_size)
                for (m, t), ids in zip(self.members, prompt_ids)]
        picks = select(outs, self.weights, self.length_normalise)
        records = [{"member": k, "scores": [round(o[i].score(None if self.weights is None else self.weights[j],
                                                             self.length_normalise), 6)
                                            for j, o in enumerate(outs)],
                    "n_tokens": [o[i].n_tokens for o in outs]}
                   for i, k in enumerate(picks)]
        return [outs[k][i].text for i, k in enumerate(picks)], records
