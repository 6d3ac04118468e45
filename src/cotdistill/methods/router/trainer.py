"""Training two students, the router and the ensemble weights together (see ``methods/router``)."""

from __future__ import annotations

import logging
import os
import random
from dataclasses import asdict
from pathlib import Path

from ...io import atomic_open, write_json, write_jsonl
from .config import MEMBERS, RouterConfig
from .encoding import _device, _pad_batch, _same_tokenizer, encode_example, load_rows
from .features import encode_texts, router_text, standardise

log = logging.getLogger(__name__)


def _router_module(dim: int, hidden: int):
    import torch.nn as nn

    return nn.Sequential(nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, 2))



def _load_trainable(path: str, cfg: RouterConfig, device):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    dtype = {"float32": torch.float32, "bfloat16": torch.bfloat16}[cfg.dtype]
    tok = AutoTokenizer.from_pretrained(path)
    if tok.pad_token_id is None:
        tok.pad_token = tok.eos_token
    quant = None
    if cfg.finetuning == "qlora":  # the reference's students: 4-bit NF4, double quantisation, fp16 compute
        if device.type != "cuda":
            raise ValueError("router.finetuning = 'qlora' needs a CUDA device (bitsandbytes 4-bit weights); use lora on a CPU")
        import importlib.util

        if importlib.util.find_spec("bitsandbytes") is None:
            raise ValueError("router.finetuning = 'qlora' needs the bitsandbytes package in the pipeline environment "
                             "(not pinned in envs/pipeline.txt: pip install bitsandbytes on the GPU machine)")
        from transformers import BitsAndBytesConfig

        quant = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
                                   bnb_4bit_compute_dtype=torch.float16 if cfg.dtype == "float32" else dtype)
    model = AutoModelForCausalLM.from_pretrained(path, dtype=dtype, quantization_config=quant,
                                                 device_map={"": device} if quant is not None else None)
    if cfg.finetuning in ("lora", "qlora"):
        from peft import LoraConfig, get_peft_model

        model = get_peft_model(model, LoraConfig(
            r=cfg.lora.r, lora_alpha=cfg.lora.alpha, lora_dropout=cfg.lora.dropout,
            target_modules=cfg.lora.target_modules, task_type="CAUSAL_LM",
        ))
    if quant is None:
        model.to(device)
    model.train()
    return model, tok


def _groups(rows: list[dict]) -> list[list[int]]:
    """Row indices per problem (``group``, else the row is its own), in first-seen order."""
    by: dict[str, list[int]] = {}
    for i, r in enumerate(rows):
        by.setdefault(str(r.get("group", r["id"])), []).append(i)
    return list(by.values())


def _token_nll(logits, labels):
    """Per-example mean NLL over label tokens (logits already aligned: position t predicts labels[t+1])."""
    import torch.nn.functional as F

    lg, lb = logits[:, :-1], labels[:, 1:]
    nll = F.cross_entropy(lg.reshape(-1, lg.size(-1)).float(), lb.reshape(-1), ignore_index=-100, reduction="none")
    nll = nll.view(lb.shape)
    m = (lb != -100).float()
    return (nll * m).sum(1) / m.sum(1).clamp(min=1)


def _pooled(hidden, labels):
    """Mean of the last hidden state over the positions that predict answer tokens."""
    m = (labels[:, 1:] != -100).float().unsqueeze(-1)
    h = hidden[:, :-1].float()
    return (h * m).sum(1) / m.sum(1).clamp(min=1)



class RouterTrainer:
    """Setup (models, router, optimiser; errors raised here, before training), one ``step``, the loop, saving."""

    def __init__(self, student_a: str, student_b: str, rows, config: RouterConfig | dict | None = None):
        import torch

        cfg = self.cfg = config if isinstance(config, RouterConfig) else RouterConfig.from_dict(config or {})
        rows = load_rows(rows)
        # gold-answer rows (the reference's is_sft baseline) train mode sft only; every other mode the rationales
        self.rows = [r for r in rows if bool(r.get("gold")) == (cfg.mode == "sft")]
        if not self.rows:
            raise ValueError(f"router mode {cfg.mode!r}: no {'gold-answer' if cfg.mode == 'sft' else 'rationale'} rows")
        if cfg.mode == "sft":
            cfg.consistency = "none"  # the reference's is_sft turns its consistency term (use_kl) off
        elif cfg.reference_gradients and cfg.consistency == "kl":
            cfg.consistency = "mse"  # the reference's "KL" is the MSE of projected hidden states
        self.sources = (student_a, student_b)
        torch.manual_seed(cfg.seed)
        self.device = device = _device(cfg.device)
        self.model_a, self.tok_a = _load_trainable(student_a, cfg, device)
        self.model_b, self.tok_b = _load_trainable(student_b, cfg, device)
        self.shared = _same_tokenizer(self.tok_a, self.tok_b)
        if cfg.ensemble == "token" and not self.shared:
            raise ValueError(f"router.ensemble = 'token' mixes next-token distributions and needs one tokenizer; {student_a} "
                             f"and {student_b} differ (use ensemble: sequence or auto)")
        self.train_a, self.train_b = cfg.mode != "only_b", cfg.mode != "only_a"
        self.both = self.train_a and self.train_b
        if not self.shared and cfg.consistency == "kl" and self.both:
            raise ValueError(
                f"router.consistency = 'kl' needs both students to share one tokenizer; {student_a} and {student_b} "
                "differ (use consistency: mse or none; their ensemble is then the sequence-level one)"
            )
        self.vocab = (len(self.tok_a), len(self.tok_b))  # logits beyond a tokenizer are padding rows
        self.enc_a = [encode_example(self.tok_a, r, cfg.max_length) for r in self.rows]
        self.enc_b = self.enc_a if self.shared else [encode_example(self.tok_b, r, cfg.max_length) for r in self.rows]
        empty = [r["id"] for r, (ids, n) in zip(self.rows, self.enc_a) if len(ids) <= n]
        if empty:
            raise ValueError(f"router.max_length = {cfg.max_length} leaves no answer tokens for rows {empty[:5]}")

        # Router features, fixed per example: a frozen encoder over prompt + CoT (router.encoder; the
        # reference's RoBERTa), or the mean of student A's input embeddings (a frozen copy taken before
        # training); standardised over the training rows unless encoder.standardise is false.
        if cfg.encoder.kind == "embedding_mean":
            embed = self.model_a.get_input_embeddings().weight.detach().float()
            feats = []
            for start in range(0, len(self.rows), 64):
                ids, mask, _, prm = _pad_batch(self.enc_a[start : start + 64], self.tok_a.pad_token_id, device)
                keep = (mask.bool() & prm) if cfg.router_input == "question" else mask.bool()
                feats.append((embed[ids] * keep.unsqueeze(-1)).sum(1) / keep.sum(1, keepdim=True).clamp(min=1))
            feats = torch.cat(feats)
        else:
            texts = [router_text(r if cfg.router_input == "example" else {"messages": r["messages"][:-1]}) for r in self.rows]
            feats = encode_texts(texts, cfg.encoder, student=student_a, device=device)
        self.features, self.feat_mean, self.feat_std = standardise(feats, cfg.encoder.standardise)
        dim = self.features.size(1)
        self.router = _router_module(dim, cfg.router_hidden or max(1, dim // 2)).to(device)
        self.groups = _groups(self.rows)
        self.ens_logits = torch.nn.Parameter(torch.zeros(2, device=device))
        dim_a = self.model_a.config.get_text_config().hidden_size
        dim_b = self.model_b.config.get_text_config().hidden_size
        self.proj = torch.nn.Linear(dim_b, dim_a).to(device) if cfg.consistency == "mse" else None
        self.reference = cfg.reference_gradients and cfg.mode == "router"
        if self.reference:  # the reference's modules: per-token weight net; projections it never optimises
            from .reference import weight_learner

            self.weight_net = weight_learner(dim_a).to(device)
            self.proj_a = torch.nn.Linear(dim_a, dim_a, bias=False).to(device).requires_grad_(False)
            self.proj_b = torch.nn.Linear(dim_b, dim_a, bias=False).to(device).requires_grad_(False)
        groups = [{"params": [p for p in m.parameters() if p.requires_grad], "lr": lr, "weight_decay": cfg.weight_decay}
                  for m, t, lr in ((self.model_a, self.train_a, cfg.lr_s1 or cfg.lr), (self.model_b, self.train_b, cfg.lr_s2 or cfg.lr))
                  if t]
        aux = list(self.router.parameters()) + [self.ens_logits]
        aux += list(self.proj.parameters()) if self.proj is not None and not self.reference else []
        aux += list(self.weight_net.parameters()) if self.reference else []
        self.opt = torch.optim.AdamW(groups + [{"params": aux, "lr": cfg.router_lr, "weight_decay": 0.0}])
        self.steps = 0

    def step(self, idx: list[int]) -> tuple[dict, list[dict]]:
        """One optimisation step on rows ``idx``: (train-log terms, per-example routing records)."""
        import torch
        import torch.nn.functional as F

        cfg, device, (vocab, vocab_b) = self.cfg, self.device, self.vocab
        ids_a, mask_a, lab_a, _ = _pad_batch([self.enc_a[i] for i in idx], self.tok_a.pad_token_id, device)
        r_logits = self.router(self.features[idx])
        if cfg.mode == "router":
            choice = F.gumbel_softmax(r_logits, tau=cfg.gumbel_tau, hard=True)  # straight-through one-hot
        else:
            choice = torch.tensor([[float(self.train_a), float(self.train_b)]], device=device).expand(len(idx), 2)
        need_hidden = self.proj is not None and self.both
        terms, loss = {}, 0.0
        if self.train_a:
            out_a = self.model_a(input_ids=ids_a, attention_mask=mask_a, output_hidden_states=need_hidden)
            nll_a = _token_nll(out_a.logits[..., :vocab], lab_a)
            terms["nll_a"] = nll_a.mean().item()
            loss = loss + (choice[:, 0] * nll_a).mean()
        if self.train_b:
            if self.shared:
                ids_b, mask_b, lab_b = ids_a, mask_a, lab_a
            else:
                ids_b, mask_b, lab_b, _ = _pad_batch([self.enc_b[i] for i in idx], self.tok_b.pad_token_id, device)
            out_b = self.model_b(input_ids=ids_b, attention_mask=mask_b, output_hidden_states=need_hidden)
            nll_b = _token_nll(out_b.logits[..., :vocab_b], lab_b)
            terms["nll_b"] = nll_b.mean().item()
            loss = loss + (choice[:, 1] * nll_b).mean()
        if self.both:
            logw = self.ens_logits.log_softmax(-1)
            if self.shared:
                lp_a = out_a.logits[..., :vocab].float().log_softmax(-1)
                lp_b = out_b.logits[..., :vocab].float().log_softmax(-1)
                # The ensemble's own NLL trains only the mixing weights.
                lp_ens = torch.logsumexp(torch.stack([lp_a.detach() + logw[0], lp_b.detach() + logw[1]]), 0)
                ens_nll = _token_nll(lp_ens, lab_a).mean()
                terms["nll_ens"] = ens_nll.item()
                loss = loss + ens_nll
            else:
                # Different tokenizers: the weights learn from a mixture of the students' per-token likelihoods of
                # the same text, exp(-mean NLL), the quantity the sequence ensemble scores outputs by.
                ens_nll = -torch.logsumexp(torch.stack([logw[0] - nll_a.detach(), logw[1] - nll_b.detach()]), 0).mean()
                terms["nll_ens"] = ens_nll.item()
                loss = loss + ens_nll
            if cfg.consistency == "kl" and cfg.consistency_weight > 0:
                target, m = lp_ens.detach(), (lab_a[:, 1:] != -100).float()
                kl = 0.0
                for lp in (lp_a, lp_b):  # KL(student || ensemble) per answer token
                    tok_kl = (lp.exp() * (lp - target)).sum(-1)[:, :-1]
                    kl = kl + (tok_kl * m).sum() / m.sum().clamp(min=1)
                terms["consistency"] = kl.item()
                loss = loss + cfg.consistency_weight * kl
            elif cfg.consistency == "mse" and cfg.consistency_weight > 0:
                h_a = _pooled(out_a.hidden_states[-1], lab_a)
                h_b = self.proj(_pooled(out_b.hidden_states[-1], lab_b))
                w = logw.exp()
                h_ens = (w[0] * h_a + w[1] * h_b).detach()
                mse = F.mse_loss(h_a, h_ens) + F.mse_loss(h_b, h_ens)
                terms["consistency"] = mse.item()
                loss = loss + cfg.consistency_weight * mse
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        self.steps += 1
        w = self.ens_logits.detach().softmax(-1).tolist()
        terms.update(loss=loss.item(), w_a=w[0], w_b=w[1], routed_a=choice[:, 0].mean().item())
        probs = r_logits.detach().softmax(-1).tolist()
        routes = [{"id": self.rows[i]["id"], "style": self.rows[i]["style"],
                   "choice": MEMBERS[int(choice[j, 1].item() > 0.5)], "probs": [round(p, 6) for p in probs[j]]}
                  for j, i in enumerate(idx)]
        return terms, routes

    def epoch_batches(self, epoch: int) -> list[list]:
        """The epoch's steps: lists of row indices; with ``cots_per_problem`` k each problem gives k random rows
        of its own (all if fewer). With reference gradients: lists of (variant 0, variant 1) row pairs, two
        random CoTs per problem (one CoT twice when it has only one), as the reference's dataset draws."""
        rng = random.Random(f"{self.cfg.seed}:{epoch}")
        if self.reference:
            units = [tuple(rng.sample(g, 2)) if len(g) >= 2 else (g[0], g[0]) for g in self.groups]
        elif self.cfg.cots_per_problem is None:
            units = list(range(len(self.rows)))
        else:
            units = [i for g in self.groups for i in rng.sample(g, min(len(g), self.cfg.cots_per_problem))]
        rng.shuffle(units)
        return [units[s : s + self.cfg.batch_size] for s in range(0, len(units), self.cfg.batch_size)]

    def train(self, out_dir: str | os.PathLike) -> dict:
        """All epochs; router logs per epoch (router mode), then ``save``."""
        from .reference import reference_step

        out, train_log = Path(out_dir), []
        for epoch in range(self.cfg.epochs):
            routes = []
            for batch in self.epoch_batches(epoch):
                terms, r = reference_step(self, batch) if self.reference else self.step(batch)
                train_log.append({"epoch": epoch, "step": self.steps - 1, **terms})
                routes += [{"epoch": epoch, **x} for x in r]
            if self.cfg.mode == "router":
                write_jsonl(out / f"router_logs_epoch{epoch}.jsonl", routes)
            last = [t for t in train_log if t["epoch"] == epoch]
            log.info("epoch %d: loss %.4f, w_a %.3f", epoch, sum(t["loss"] for t in last) / len(last), last[-1]["w_a"])
        write_jsonl(out / "train_log.jsonl", train_log)
        return self.save(out, final_loss=train_log[-1]["loss"])

    def save(self, out_dir: str | os.PathLike, **extra) -> dict:
        """Write the students, ``router.pt`` and ``ensemble.json``; returns the ``ensemble.json`` content."""
        import torch

        out = Path(out_dir)
        trained = dict(zip(MEMBERS, (self.train_a, self.train_b)))
        if self.both and self.reference:
            weights = [0.5, 0.5]  # the reference's weight net is per token and unused at evaluation
        elif self.both:
            weights = self.ens_logits.detach().softmax(-1).tolist()
        else:
            weights = [1.0, 0.0] if self.train_a else [0.0, 1.0]
        for name, model, tok, src in (("a", self.model_a, self.tok_a, self.sources[0]),
                                      ("b", self.model_b, self.tok_b, self.sources[1])):
            if trained[name]:
                _save_student(model, tok, out / f"student_{name}", src)
        with atomic_open(out / "router.pt", "wb") as fh:
            torch.save({"router": self.router.state_dict(), "ens_logits": self.ens_logits.detach().cpu(),
                        "proj": self.proj.state_dict() if self.proj is not None else None,
                        "router_input": self.cfg.router_input, "feat_mean": self.feat_mean.cpu(),
                        "feat_std": self.feat_std.cpu()}, fh)
        summary = {
            "members": {n: f"student_{n}" for n, t in trained.items() if t},
            "weights": dict(zip(MEMBERS, weights)),
            "shared_tokenizer": self.shared,
            "ensemble": "token" if self.shared and self.cfg.ensemble != "sequence" else "sequence",
            "length_normalise": self.cfg.ensemble_length_normalise, "use_weights": self.cfg.ensemble_weights,
            "bases": {n: str(Path(s).resolve()) for n, s in zip(MEMBERS, self.sources)},
            "n_rows": len(self.rows), "steps": self.steps, **extra,
            "config": asdict(self.cfg),
        }
        write_json(out / "ensemble.json", summary)
        return summary


def train_router(student_a: str, student_b: str, rows, out_dir: str | os.PathLike,
                 config: RouterConfig | dict | None = None) -> dict:
    """Train both students, the router and the ensemble weights; write everything under ``out_dir``.

    Writes ``student_a/``, ``student_b/`` (peft adapters or full models, with tokenizer), ``router.pt``,
    ``ensemble.json``, ``router_logs_epoch{e}.jsonl`` (router mode; e from 0) and ``train_log.jsonl``.
    Returns the content of ``ensemble.json``.
    """
    return RouterTrainer(student_a, student_b, rows, config).train(out_dir)


def _save_student(model, tok, path: Path, base: str) -> None:
    """Save adapters (pointing at the absolute base path) or the full model, plus tokenizer."""
    if hasattr(model, "peft_config"):
        for c in model.peft_config.values():
            c.base_model_name_or_path = str(Path(base).resolve())
    tmp = path.with_name(f".{path.name}.tmp")
    if tmp.exists():
        import shutil

        shutil.rmtree(tmp)
    model.save_pretrained(tmp)
    tok.save_pretrained(tmp)
    if path.exists():
        import shutil

        shutil.rmtree(path)
    os.replace(tmp, path)
