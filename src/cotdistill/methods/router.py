"""Two students and a CoT router trained together (the "Distill" mixture), with transformers + peft.

For every training example (question + a rationale of some style) a small router picks one student by a
hard, straight-through Gumbel-softmax; only that student learns the example, and the router learns from
the chosen student's loss. Two learned weights mix the students' next-token distributions into an
ensemble, trained by the ensemble's own NLL. An optional consistency term pulls each student towards
the ensemble: a true KL(student || ensemble) over token distributions (default), or, as the original
code did under the name "KL", an MSE between projected hidden states (``consistency="mse"``).

    from cotdistill.methods.router import RouterConfig, train_router, load_ensemble, positive_rates
    train_router("students/a", "students/b", "results/sft/router/gsm.jsonl", "results/checkpoints/mix",
                 RouterConfig(epochs=3))
    load_ensemble("results/checkpoints/mix").generate(["What is 2+3?"], max_new_tokens=64, batch_size=8)
    plot_router(positive_rates("results/checkpoints/mix"), "results/figures/router.png")

Training rows: ``{"id", "style", "messages": [{"role": "user", ...}, {"role": "assistant", ...}]}``;
every message but the last is prompt, the last (assistant) is the target; the loss covers target tokens
only. Prompts are encoded with each tokenizer's chat template, the same way ``Ensemble.generate`` does.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Sequence

from ..io import atomic_open, iter_jsonl, read_json, write_json, write_jsonl

log = logging.getLogger(__name__)

MODES = ("router", "naive", "only_a", "only_b")
CONSISTENCY = ("kl", "mse", "none")
MEMBERS = ("a", "b")


@dataclass
class RouterLora:
    """LoRA settings for both students (``finetuning: lora``)."""

    r: int = field(default=8, metadata={"help": "LoRA rank."})
    alpha: int = field(default=16, metadata={"help": "LoRA alpha (scaling = alpha / r)."})
    dropout: float = field(default=0.0, metadata={"help": "Dropout on the LoRA branch."})
    target_modules: list[str] | str = field(
        default="all-linear",
        metadata={"help": "Module names to adapt, or 'all-linear' (peft's shorthand for every linear layer but the head)."},
    )


@dataclass
class RouterConfig:
    """Hyper-parameters of the two-student + router run (config key ``experiments.<name>.router``)."""

    mode: str = field(
        default="router",
        metadata={"help": "router: Gumbel routing; naive: both students learn every example (the original "
                  "distill_naive); only_a / only_b: one student alone on the same data (baselines)."},
    )
    epochs: int = field(default=3, metadata={"help": "Passes over the training rows."})
    lr: float = field(default=2e-4, metadata={"help": "AdamW learning rate of the students' trainable parameters."})
    router_lr: float = field(default=1e-3, metadata={"help": "AdamW learning rate of the router, ensemble weights and MSE projection."})
    batch_size: int = field(default=8, metadata={"help": "Examples per optimisation step."})
    gumbel_tau: float = field(default=1.0, metadata={"help": "Gumbel-softmax temperature of the routing choice."})
    consistency: str = field(
        default="kl",
        metadata={"help": "kl: KL(student || ensemble) over token distributions; mse: MSE between projected "
                  "pooled hidden states (the original code's 'KL'); none: no consistency term."},
    )
    consistency_weight: float = field(default=0.1, metadata={"help": "Weight of the consistency term in the loss."})
    finetuning: str = field(default="lora", metadata={"help": "lora (peft adapters) or full (every weight; for tiny students)."})
    lora: RouterLora = field(default_factory=RouterLora, metadata={"help": "LoRA settings when finetuning is lora."})
    router_input: str = field(
        default="example",
        metadata={"help": "What the router sees: example (question + rationale, so it can tell styles apart) or question."},
    )
    router_hidden: int = field(default=64, metadata={"help": "Hidden width of the router MLP."})
    max_length: int = field(default=512, metadata={"help": "Tokens per example; longer targets are cut at the end."})
    weight_decay: float = field(default=0.0, metadata={"help": "AdamW weight decay of the students."})
    dtype: str = field(default="float32", metadata={"help": "Student weights dtype: float32 or bfloat16 (GPU)."})
    device: str = field(default="auto", metadata={"help": "auto (cuda when available), cpu or cuda[:n]."})
    seed: int = field(default=0, metadata={"help": "Seed of initialisation, shuffling and Gumbel noise."})

    def __post_init__(self):
        if isinstance(self.lora, dict):
            self.lora = _from_dict(RouterLora, self.lora, "router.lora")
        checks = [
            ("mode", self.mode in MODES, f"one of {MODES}"),
            ("consistency", self.consistency in CONSISTENCY, f"one of {CONSISTENCY}"),
            ("finetuning", self.finetuning in ("lora", "full"), "lora or full"),
            ("router_input", self.router_input in ("example", "question"), "example or question"),
            ("dtype", self.dtype in ("float32", "bfloat16"), "float32 or bfloat16"),
            ("epochs", self.epochs >= 1, ">= 1"),
            ("batch_size", self.batch_size >= 1, ">= 1"),
            ("max_length", self.max_length >= 2, ">= 2"),
            ("gumbel_tau", self.gumbel_tau > 0, "> 0"),
            ("lr", self.lr > 0, "> 0"),
            ("router_lr", self.router_lr > 0, "> 0"),
            ("consistency_weight", self.consistency_weight >= 0, ">= 0"),
            ("lora.r", self.lora.r >= 1, ">= 1"),
        ]
        for key, ok, want in checks:
            if not ok:
                value = getattr(self.lora, key[5:]) if key.startswith("lora.") else getattr(self, key)
                raise ValueError(f"router.{key} = {value!r}: must be {want}")

    @classmethod
    def from_dict(cls, d: dict, where: str = "router") -> "RouterConfig":
        """Build from a config block; unknown keys raise, naming ``where``."""
        return _from_dict(cls, d, where)


def _from_dict(cls, d: dict, where: str):
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(d) - known)
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {unknown}; known: {sorted(known)}")
    return cls(**d)


# ----------------------------------------------------------------------------- data


def load_rows(rows: str | os.PathLike | Sequence[dict]) -> list[dict]:
    """Training rows from a JSONL path or a list, checked; errors name the file and line (or index)."""
    if isinstance(rows, (str, os.PathLike)):
        items = [(f"{rows}:{i}", r) for i, r in enumerate(iter_jsonl(rows), 1)]
    else:
        items = [(f"rows[{i}]", r) for i, r in enumerate(rows)]
    out = []
    for where, r in items:
        msgs = r.get("messages") if isinstance(r, dict) else None
        if not isinstance(r, dict) or "id" not in r or "style" not in r or not isinstance(msgs, list):
            raise ValueError(f"{where}: a row needs 'id', 'style' and a 'messages' list")
        if len(msgs) < 2 or msgs[-1].get("role") != "assistant" or not all("content" in m for m in msgs):
            raise ValueError(f"{where}: messages must end with an assistant turn and every message needs 'content'")
        out.append(r)
    if not out:
        raise ValueError(f"{rows if isinstance(rows, (str, os.PathLike)) else 'rows'}: no training rows")
    return out


def _as_messages(prompt) -> list[dict]:
    return [{"role": "user", "content": prompt}] if isinstance(prompt, str) else list(prompt)


def encode_prompt(tokenizer, messages: list[dict]) -> tuple[str, list[int]]:
    """Chat-template text and token ids of a prompt (all messages before the answer)."""
    if not getattr(tokenizer, "chat_template", None):
        raise ValueError(f"tokenizer {tokenizer.name_or_path!r} has no chat_template")
    text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    return text, tokenizer(text, add_special_tokens=False)["input_ids"]


def encode_example(tokenizer, row: dict, max_length: int) -> tuple[list[int], int]:
    """(token ids, prompt length) of a chat row: prompt ids + ids of the template's rest (answer turn)."""
    text, prompt_ids = encode_prompt(tokenizer, row["messages"][:-1])
    full = tokenizer.apply_chat_template(row["messages"], tokenize=False)
    if not full.startswith(text):
        raise ValueError(
            f"row {row['id']!r}: the chat template of {tokenizer.name_or_path!r} renders the prompt differently "
            "alone and inside the conversation, so the answer tokens cannot be located"
        )
    answer_ids = tokenizer(full[len(text):], add_special_tokens=False)["input_ids"]
    ids = (prompt_ids + answer_ids)[:max_length]
    return ids, len(prompt_ids)


def _same_tokenizer(tok_a, tok_b) -> bool:
    return tok_a.get_vocab() == tok_b.get_vocab() and tok_a.chat_template == tok_b.chat_template


def _pad_batch(seqs: list[tuple[list[int], int]], pad: int, device):
    """Right-padded ids, attention mask, labels (-100 outside the answer) and prompt mask."""
    import torch

    width = max(len(ids) for ids, _ in seqs)
    ids = torch.full((len(seqs), width), pad, dtype=torch.long)
    mask = torch.zeros((len(seqs), width), dtype=torch.long)
    labels = torch.full((len(seqs), width), -100, dtype=torch.long)
    prompt = torch.zeros((len(seqs), width), dtype=torch.bool)
    for i, (s, n_prompt) in enumerate(seqs):
        ids[i, : len(s)] = torch.tensor(s)
        mask[i, : len(s)] = 1
        labels[i, n_prompt : len(s)] = torch.tensor(s[n_prompt:], dtype=torch.long)
        prompt[i, : min(n_prompt, len(s))] = True
    return ids.to(device), mask.to(device), labels.to(device), prompt.to(device)


# ----------------------------------------------------------------------------- modules


def _router_module(dim: int, hidden: int):
    import torch.nn as nn

    return nn.Sequential(nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, 2))


def _device(name: str):
    import torch

    return torch.device("cuda" if name == "auto" and torch.cuda.is_available() else ("cpu" if name == "auto" else name))


def _load_trainable(path: str, cfg: RouterConfig, device):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    dtype = {"float32": torch.float32, "bfloat16": torch.bfloat16}[cfg.dtype]
    tok = AutoTokenizer.from_pretrained(path)
    if tok.pad_token_id is None:
        tok.pad_token = tok.eos_token
    model = AutoModelForCausalLM.from_pretrained(path, dtype=dtype)
    if cfg.finetuning == "lora":
        from peft import LoraConfig, get_peft_model

        model = get_peft_model(model, LoraConfig(
            r=cfg.lora.r, lora_alpha=cfg.lora.alpha, lora_dropout=cfg.lora.dropout,
            target_modules=cfg.lora.target_modules, task_type="CAUSAL_LM",
        ))
    model.to(device).train()
    return model, tok


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


# ----------------------------------------------------------------------------- training


class RouterTrainer:
    """Setup (models, router, optimiser; errors raised here, before training), one ``step``, the loop, saving."""

    def __init__(self, student_a: str, student_b: str, rows, config: RouterConfig | dict | None = None):
        import torch

        cfg = self.cfg = config if isinstance(config, RouterConfig) else RouterConfig.from_dict(config or {})
        self.rows = load_rows(rows)
        self.sources = (student_a, student_b)
        torch.manual_seed(cfg.seed)
        self.device = device = _device(cfg.device)
        self.model_a, self.tok_a = _load_trainable(student_a, cfg, device)
        self.model_b, self.tok_b = _load_trainable(student_b, cfg, device)
        self.shared = _same_tokenizer(self.tok_a, self.tok_b)
        self.train_a, self.train_b = cfg.mode != "only_b", cfg.mode != "only_a"
        self.both = self.train_a and self.train_b
        if not self.shared and cfg.consistency == "kl" and self.both:
            raise ValueError(
                f"router.consistency = 'kl' needs both students to share one tokenizer; {student_a} and {student_b} "
                "differ (use consistency: mse or none, and evaluate the students separately: the ensemble mixes "
                "token distributions and needs one vocabulary)"
            )
        self.vocab = (len(self.tok_a), len(self.tok_b))  # logits beyond a tokenizer are padding rows
        self.enc_a = [encode_example(self.tok_a, r, cfg.max_length) for r in self.rows]
        self.enc_b = self.enc_a if self.shared else [encode_example(self.tok_b, r, cfg.max_length) for r in self.rows]
        empty = [r["id"] for r, (ids, n) in zip(self.rows, self.enc_a) if len(ids) <= n]
        if empty:
            raise ValueError(f"router.max_length = {cfg.max_length} leaves no answer tokens for rows {empty[:5]}")

        # Router features: mean of student A's input embeddings (a frozen copy taken before training) over
        # the example, standardised over the training rows so that what tells examples apart is not drowned
        # by what they share. Fixed per example, so computed once here.
        embed = self.model_a.get_input_embeddings().weight.detach().float()
        feats = []
        for start in range(0, len(self.rows), 64):
            ids, mask, _, prm = _pad_batch(self.enc_a[start : start + 64], self.tok_a.pad_token_id, device)
            keep = (mask.bool() & prm) if cfg.router_input == "question" else mask.bool()
            feats.append((embed[ids] * keep.unsqueeze(-1)).sum(1) / keep.sum(1, keepdim=True).clamp(min=1))
        feats = torch.cat(feats)
        self.feat_mean, self.feat_std = feats.mean(0), feats.std(0, unbiased=False).clamp(min=1e-6)
        self.features = (feats - self.feat_mean) / self.feat_std
        self.router = _router_module(self.features.size(1), cfg.router_hidden).to(device)
        self.ens_logits = torch.nn.Parameter(torch.zeros(2, device=device))
        dim_a = self.model_a.config.get_text_config().hidden_size
        dim_b = self.model_b.config.get_text_config().hidden_size
        self.proj = torch.nn.Linear(dim_b, dim_a).to(device) if cfg.consistency == "mse" else None
        students = [p for m, t in ((self.model_a, self.train_a), (self.model_b, self.train_b)) if t
                    for p in m.parameters() if p.requires_grad]
        aux = list(self.router.parameters()) + [self.ens_logits]
        aux += list(self.proj.parameters()) if self.proj is not None else []
        self.opt = torch.optim.AdamW([
            {"params": students, "lr": cfg.lr, "weight_decay": cfg.weight_decay},
            {"params": aux, "lr": cfg.router_lr, "weight_decay": 0.0},
        ])
        self.generator = torch.Generator().manual_seed(cfg.seed)
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

    def train(self, out_dir: str | os.PathLike) -> dict:
        """All epochs; router logs per epoch (router mode), then ``save``."""
        import torch

        out, train_log = Path(out_dir), []
        for epoch in range(self.cfg.epochs):
            order = torch.randperm(len(self.rows), generator=self.generator).tolist()
            routes = []
            for start in range(0, len(order), self.cfg.batch_size):
                terms, r = self.step(order[start : start + self.cfg.batch_size])
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
        if self.both:
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


# ----------------------------------------------------------------------------- logs


def positive_rates(log_dir: str | os.PathLike) -> "pandas.DataFrame":  # noqa: F821
    """Per epoch × style: n, the rate of routing to student A (``pos_rate``) and mean P(A) (``mean_prob_a``).

    The equivalent of the original ``calc_posrate``; reads every ``router_logs_epoch{e}.jsonl`` in ``log_dir``.
    """
    import pandas as pd

    files = sorted(Path(log_dir).glob("router_logs_epoch*.jsonl"),
                   key=lambda p: int(re.search(r"epoch(\d+)", p.name).group(1)))
    if not files:
        raise FileNotFoundError(f"{log_dir}: no router_logs_epoch*.jsonl (was the run trained with mode: router?)")
    recs = []
    for f in files:
        epoch = int(re.search(r"epoch(\d+)", f.name).group(1))
        for i, r in enumerate(iter_jsonl(f), 1):
            if r.get("choice") not in MEMBERS or "style" not in r:
                raise ValueError(f"{f}:{i}: a router log line needs 'style' and 'choice' in {MEMBERS}")
            recs.append({"epoch": epoch, "style": r["style"], "to_a": r["choice"] == "a", "prob_a": r["probs"][0]})
    df = pd.DataFrame(recs)
    return (df.groupby(["epoch", "style"], sort=True)
              .agg(n=("to_a", "size"), pos_rate=("to_a", "mean"), mean_prob_a=("prob_a", "mean"))
              .reset_index())


def plot_router(df, out_png: str | os.PathLike) -> None:
    """Line plot of the positive routing rate per style over epochs, written atomically."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3.5))
    for style, g in df.groupby("style"):
        ax.plot(g["epoch"], g["pos_rate"], marker="o", label=str(style))
    ax.set(xlabel="epoch", ylabel="rate routed to student A", ylim=(-0.02, 1.02), title="CoT router")
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    ax.legend(title="style", fontsize="small", loc="center right")
    fig.tight_layout()
    fmt = Path(out_png).suffix.lstrip(".") or "png"
    with atomic_open(out_png, "wb") as fh:
        fig.savefig(fh, format=fmt, dpi=150)
    plt.close(fig)


# ----------------------------------------------------------------------------- inference


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


def load_student(out_dir: str | os.PathLike, member: str = "a", dtype: str = "float32", device: str = "auto"):
    """(model, tokenizer) of one trained student (adapters merged into their base), in eval mode."""
    from ..generate import load_student as _load

    path = Path(out_dir) / f"student_{member}"
    if member not in MEMBERS or not path.is_dir():
        raise FileNotFoundError(f"{path}: no trained student {member!r} (members are written by train_router)")
    model, tok = _load(path, dtype=dtype)
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
        raise ValueError(f"{out_dir}: the students have different tokenizers; the ensemble mixes token distributions "
                         "and needs one vocabulary — evaluate each student alone (members=('a',) or ('b',))")
    loaded = [load_student(out_dir, m, dtype=dtype, device=device) for m in members]
    w = [meta["weights"][m] for m in members]
    total = sum(w)
    return Ensemble([m for m, _ in loaded], [x / total for x in w] if total > 0 else [1.0 / len(w)] * len(w),
                    loaded[0][1])
