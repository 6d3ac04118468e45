"""FAIR's paired training: every batch holds whole (feedback, rationale) pairs and its loss is

    α · L_feedback + (1 − α) · L_rationale

where each L is the causal-LM loss of its half of the batch (the mean token cross-entropy over the
answer tokens, as ``model(..., labels=...).loss`` computes it) — the reference's ``CustomSFTTrainer``
(train.py: ``compute_loss`` of the feedback inputs and of the rationale inputs, weighted by ``alpha``).
Its optimiser settings are the reference's defaults: lr 1e-5, 10 epochs, batch 8 × accumulation 2,
constant schedule, weight decay 0.01, gradient norm clipped at 0.3, max length 512, seed 731.

Rows come from ``fair_protocol.pair_rows``: ``{"id", "feedback": {"messages"}, "rationale": {"messages"}}``.
Prompts are encoded with the student's chat template (as the router trains and as LLaMA-Factory's
``generate`` decodes), answer tokens only are learned, and padding is masked out of the loss (the
reference pads labels with the EOS id instead; docs/fidelity.md).
"""

from __future__ import annotations

import logging
import math
import os
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from ..io import write_json, write_jsonl

log = logging.getLogger(__name__)


@dataclass
class PairedConfig:
    """Paired trainer settings (config key ``experiments.<name>.paired``); defaults are the reference's."""

    alpha: float = 0.5
    lr: float = 1e-5
    epochs: int = 10
    batch_size: int = 8
    gradient_accumulation_steps: int = 2
    weight_decay: float = 0.01
    max_grad_norm: float = 0.3
    schedule: str = "constant"  # transformers.get_scheduler name; "constant" ignores warmup, as the reference's
    warmup_ratio: float = 0.03
    max_length: int = 512
    finetuning: str = "full"  # or lora (peft adapters)
    lora_r: int = 8
    lora_alpha: int = 16
    dtype: str = "float32"
    device: str = "auto"
    seed: int = 731

    def __post_init__(self):
        checks = [
            ("alpha", 0 <= self.alpha <= 1, "in [0, 1]"),
            ("lr", self.lr > 0, "> 0"),
            ("epochs", self.epochs >= 1, ">= 1"),
            ("batch_size", self.batch_size >= 1, ">= 1"),
            ("gradient_accumulation_steps", self.gradient_accumulation_steps >= 1, ">= 1"),
            ("max_length", self.max_length >= 2, ">= 2"),
            ("finetuning", self.finetuning in ("full", "lora"), "full or lora"),
            ("dtype", self.dtype in ("float32", "bfloat16"), "float32 or bfloat16"),
        ]
        for key, ok, want in checks:
            if not ok:
                raise ValueError(f"paired.{key} = {getattr(self, key)!r}: must be {want}")

    @classmethod
    def from_dict(cls, d: dict | None, where: str = "paired") -> "PairedConfig":
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d or {}) - known)
        if unknown:
            raise ValueError(f"{where}: unknown key(s) {unknown}; known: {sorted(known)}")
        return cls(**(d or {}))


def paired_config(student: dict, alpha: float, device: str = "auto") -> PairedConfig:
    """The paired trainer's settings from a student's config block (``train:``, ``finetuning``) and the
    experiment's ``alpha``: the same keys that configure its LLaMA-Factory training."""
    train = student.get("train") or {}
    extra = train.get("extra") or {}
    keys = {"lr": "learning_rate", "epochs": "epochs", "batch_size": "per_device_batch_size",
            "gradient_accumulation_steps": "gradient_accumulation_steps", "weight_decay": "weight_decay",
            "max_length": "cutoff_len", "seed": "seed", "schedule": "lr_scheduler_type", "warmup_ratio": "warmup_ratio"}
    d = {ours: train[theirs] for ours, theirs in keys.items() if theirs in train}
    if "max_grad_norm" in extra:
        d["max_grad_norm"] = extra["max_grad_norm"]
    if isinstance(d.get("epochs"), float):
        d["epochs"] = max(1, round(d["epochs"]))
    finetuning = student.get("finetuning", "full")
    if finetuning not in ("full", "lora"):
        raise ValueError(f"paired training: finetuning {finetuning!r} is not supported (full or lora)")
    lora = student.get("lora") or {}
    d.update(finetuning=finetuning, dtype="bfloat16" if train.get("bf16") else "float32", device=device, alpha=alpha,
             **{k: lora[v] for k, v in (("lora_r", "r"), ("lora_alpha", "alpha")) if v in lora})
    return PairedConfig(**d)


def lm_loss(logits, labels):
    """Mean token cross-entropy of next-token predictions over labels != -100 (Hugging Face's causal-LM loss)."""
    import torch.nn.functional as F

    lg, lb = logits[:, :-1], labels[:, 1:]
    if not (lb != -100).any():  # no answer token in this half: no loss (not NaN)
        return lg.sum() * 0.0
    return F.cross_entropy(lg.reshape(-1, lg.size(-1)).float(), lb.reshape(-1), ignore_index=-100)


def paired_loss(model, feedback: dict, rationale: dict, alpha: float):
    """(total, L_feedback, L_rationale) of one batch of pairs; ``feedback``/``rationale`` are
    ``{input_ids, attention_mask, labels}`` of the two halves."""
    l_fb = lm_loss(model(input_ids=feedback["input_ids"], attention_mask=feedback["attention_mask"]).logits, feedback["labels"])
    l_rat = lm_loss(model(input_ids=rationale["input_ids"], attention_mask=rationale["attention_mask"]).logits, rationale["labels"])
    return alpha * l_fb + (1 - alpha) * l_rat, l_fb, l_rat


def _batch(encoded, pad, device) -> dict:
    from .router.encoding import _pad_batch

    ids, mask, labels, _ = _pad_batch(encoded, pad, device)
    return {"input_ids": ids, "attention_mask": mask, "labels": labels}


def _load(path: str, cfg: PairedConfig, device):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(path)
    if tok.pad_token_id is None:
        tok.pad_token = tok.eos_token
    model = AutoModelForCausalLM.from_pretrained(path, dtype={"float32": torch.float32, "bfloat16": torch.bfloat16}[cfg.dtype])
    if cfg.finetuning == "lora":
        from peft import LoraConfig, get_peft_model

        model = get_peft_model(model, LoraConfig(r=cfg.lora_r, lora_alpha=cfg.lora_alpha, target_modules="all-linear", task_type="CAUSAL_LM"))
    return model.to(device).train(), tok


def train_paired(student: str, rows: list[dict], out_dir: str | os.PathLike, config: PairedConfig | dict | None = None) -> dict:
    """Train ``student`` (a model folder) on FAIR pairs; save the model (or adapter) and tokenizer into
    ``out_dir`` with ``train_log.jsonl`` (per optimiser step: loss, loss_feedback, loss_rationale) and
    ``paired.json`` (settings and counts). Returns ``paired.json``'s content."""
    import torch

    from .router.encoding import _device, encode_example
    from .router.trainer import _save_student

    cfg = config if isinstance(config, PairedConfig) else PairedConfig.from_dict(config)
    if not rows:
        raise ValueError("paired training: no (feedback, rationale) pairs")
    torch.manual_seed(cfg.seed)
    device = _device(cfg.device)
    model, tok = _load(student, cfg, device)
    enc = [(encode_example(tok, {"id": r["id"], **r["feedback"]}, cfg.max_length),
            encode_example(tok, {"id": r["id"], **r["rationale"]}, cfg.max_length)) for r in rows]
    # A pair whose prompt fills max_length on either side has nothing left to learn there: dropped, counted.
    keep = [all(len(ids) > n for ids, n in pair) for pair in enc]
    enc = [pair for pair, k in zip(enc, keep) if k]
    if not enc:
        raise ValueError(f"paired training: max_length = {cfg.max_length} leaves no answer tokens in any of {len(rows)} pairs")
    from transformers import get_scheduler

    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=cfg.lr, weight_decay=cfg.weight_decay)
    per_epoch = math.ceil(math.ceil(len(enc) / cfg.batch_size) / cfg.gradient_accumulation_steps)
    total = per_epoch * cfg.epochs
    sched = get_scheduler(cfg.schedule, opt, num_warmup_steps=int(cfg.warmup_ratio * total), num_training_steps=total)
    gen = torch.Generator().manual_seed(cfg.seed)
    train_log, step = [], 0
    for epoch in range(cfg.epochs):
        order = torch.randperm(len(enc), generator=gen).tolist()
        batches = [order[i : i + cfg.batch_size] for i in range(0, len(order), cfg.batch_size)]
        for start in range(0, len(batches), cfg.gradient_accumulation_steps):
            group = batches[start : start + cfg.gradient_accumulation_steps]
            terms = {"loss": 0.0, "loss_feedback": 0.0, "loss_rationale": 0.0}
            for idx in group:
                fb = _batch([enc[i][0] for i in idx], tok.pad_token_id, device)
                rat = _batch([enc[i][1] for i in idx], tok.pad_token_id, device)
                total, l_fb, l_rat = paired_loss(model, fb, rat, cfg.alpha)
                (total / len(group)).backward()
                for k, v in zip(terms, (total, l_fb, l_rat)):
                    terms[k] += v.item() / len(group)
            torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.max_grad_norm)
            opt.step()
            sched.step()
            opt.zero_grad(set_to_none=True)
            train_log.append({"epoch": epoch, "step": step, "lr": sched.get_last_lr()[0], **terms})
            step += 1
        log.info("epoch %d: loss %.4f", epoch, train_log[-1]["loss"])
    out = Path(out_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    _save_student(model, tok, out, student)
    write_jsonl(out / "train_log.jsonl", train_log)
    summary = {"pairs": len(rows), "dropped_no_answer": keep.count(False), "steps": step, "final_loss": train_log[-1]["loss"], "config": asdict(cfg)}
    write_json(out / "paired.json", summary)
    return summary
