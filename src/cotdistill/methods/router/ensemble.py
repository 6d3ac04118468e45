"""Inference of a trained router run: greedy decoding from the weighted mixture of both students (or one alone)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

from ...io import read_json
from .config import MEMBERS
from .encoding import _as_messages, _device, encode_prompt


class Ensemble:
    """Greedy decoding from a weighted mixture of causal LMs' next-token distributions (one tokenizer)."""

    def __init__(self, models: list, weights: list[float], tokenizer):
        import torch

        if len(models) != len(weights) or not models:
            raise ValueError("Ensemble needs one weight per model")
        self.models, self.tokenizer = models, tokenizer
        self.log_w = torch.tensor(weights, dtype=torch.float32).clamp(min=1e-12).log()
        eos = {tokenizer.eos_token_id}
        for m in models:
            e = getattr(m.generation_config, "eos_token_id", None)
            eos |= set(e if isinstance(e, list) else [e])
        self.eos = sorted(i for i in eos if i is not None)
        self.pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else self.eos[0]

    def generate(self, prompts: list, max_new_tokens: int = 256, batch_size: int = 8) -> list[str]:
        """Answers to user prompts (strings or message lists), the chat template applied as in training."""
        return self.generate_ids([encode_prompt(self.tokenizer, _as_messages(p))[1] for p in prompts],
                                 max_new_tokens=max_new_tokens, batch_size=batch_size)

    def generate_ids(self, prompt_ids: list[list[int]], max_new_tokens: int = 256, batch_size: int = 8) -> list[str]:
        """Answers to pre-encoded prompts; left-padded batches sorted by length, outputs in input order."""
        order = sorted(range(len(prompt_ids)), key=lambda i: len(prompt_ids[i]))
        outputs = [""] * len(prompt_ids)
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            for i, text in zip(idx, self._generate_batch([prompt_ids[i] for i in idx], max_new_tokens)):
                outputs[i] = text
        return outputs

    def _generate_batch(self, seqs: list[list[int]], max_new_tokens: int) -> list[str]:
        import torch

        device = next(self.models[0].parameters()).device
        width = max(len(s) for s in seqs)
        ids = torch.tensor([[self.pad] * (width - len(s)) + s for s in seqs], device=device)
        mask = torch.tensor([[0] * (width - len(s)) + [1] * len(s) for s in seqs], device=device)
        pos = (mask.cumsum(-1) - 1).clamp(min=0)
        vocab = len(self.tokenizer)
        log_w = self.log_w.to(device)
        eos = torch.tensor(self.eos, device=device)
        caches = [None] * len(self.models)
        done = torch.zeros(len(seqs), dtype=torch.bool, device=device)
        new = []
        with torch.inference_mode():
            for _ in range(max_new_tokens):
                lps = []
                for k, m in enumerate(self.models):
                    o = m(input_ids=ids, attention_mask=mask, position_ids=pos, past_key_values=caches[k], use_cache=True)
                    caches[k] = o.past_key_values
                    lps.append(o.logits[:, -1, :vocab].float().log_softmax(-1) + log_w[k])
                nxt = torch.logsumexp(torch.stack(lps), 0).argmax(-1)
                nxt = torch.where(done, torch.full_like(nxt, self.pad), nxt)
                new.append(nxt)
                done |= torch.isin(nxt, eos)
                if done.all():
                    break
                ids, pos = nxt[:, None], pos[:, -1:] + 1
                mask = torch.cat([mask, torch.ones_like(mask[:, :1])], 1)
        gen = torch.stack(new, 1).tolist() if new else [[] for _ in seqs]
        texts = []
        for row in gen:
            cut = next((j for j, t in enumerate(row) if t in self.eos), len(row))
            texts.append(self.tokenizer.decode(row[:cut], skip_special_tokens=True).strip())
        return texts


def load_member(out_dir: str | os.PathLike, member: str = "a", dtype: str = "float32", device: str = "auto"):
    """(model, tokenizer) of one trained member student (adapters merged into their base), in eval mode."""
    from ...generate import load_checkpoint

    path = Path(out_dir) / f"student_{member}"
    if member not in MEMBERS or not path.is_dir():
        raise FileNotFoundError(f"{path}: no trained student {member!r} (members are written by train_router)")
    model, tok = load_checkpoint(path, dtype=dtype)
    return model.to(_device(device)).eval(), tok


def load_ensemble(out_dir: str | os.PathLike, members: Sequence[str] = MEMBERS, dtype: str = "float32",
                  device: str = "auto") -> Ensemble:
    """The trained mixture (both members, learned weights) or one student alone (``members=("a",)``)."""
    meta = read_json(Path(out_dir) / "ensemble.json")
    members = tuple(members)
    missing = [m for m in members if m not in meta["members"]]
    if missing:
        raise ValueError(f"{out_dir}/ensemble.json: members {missing} were not trained (mode {meta['config']['mode']!r})")
    if len(members) > 1 and not meta["shared_tokenizer"]:
        raise ValueError(f"{out_dir}: the students have different tokenizers; the token-level ensemble mixes token "
                         "distributions and needs one vocabulary — use the sequence-level one (sequence.SequenceEnsemble, "
                         "what generate_view does for such a run) or evaluate each student alone (members=('a',) or ('b',))")
    loaded = [load_member(out_dir, m, dtype=dtype, device=device) for m in members]
    w = [meta["weights"][m] for m in members]
    total = sum(w)
    return Ensemble([m for m, _ in loaded], [x / total for x in w] if total > 0 else [1.0 / len(w)] * len(w),
                    loaded[0][1])


def generate_view(checkpoint: str | os.PathLike, template: str, prompts: list[str], *, max_new_tokens: int,
                  batch_size: int) -> list[str]:
    """Greedy answers of a router view (the mixture or one member), prompts encoded by LLaMA-Factory's template.

    A run whose ``ensemble.json`` says ``ensemble: sequence`` (students with different tokenizers, or asked
    for) evaluates its ``ens`` view by sequence-level selection: each member generates from the prompt in its
    own template (the view's ``templates``), the best-scoring output is kept (``sequence.SequenceEnsemble``)."""
    from ...generate import encode_prompts
    from . import VIEW_FILE

    view = read_json(Path(checkpoint) / VIEW_FILE)
    meta = read_json(Path(view["run"]) / "ensemble.json")
    members = tuple(view["members"])
    if len(members) > 1 and meta.get("ensemble") == "sequence":
        from .sequence import SequenceEnsemble

        loaded = [load_member(view["run"], m) for m in members]
        templates = view.get("templates") or {}
        ids = [encode_prompts(tok, templates.get(m, template), prompts) for m, (_, tok) in zip(members, loaded)]
        ens = SequenceEnsemble(loaded, [meta["weights"][m] for m in members], use_weights=meta.get("use_weights", True),
                               length_normalise=meta.get("length_normalise", True))
        return ens.generate_ids(ids, max_new_tokens=max_new_tokens, batch_size=batch_size)[0]
    ens = load_ensemble(view["run"], members=tuple(view["members"]))
    ids = encode_prompts(ens.tokenizer, template, prompts)
    return ens.generate_ids(ids, max_new_tokens=max_new_tokens, batch_size=batch_size)
