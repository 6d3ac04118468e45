"""What the router sees of a training example: a frozen sentence encoder over the style-wrapped prompt plus
the CoT, as the reference does (LzyFischer/Distill ``main.py``: ``CotEncoder`` over a frozen
``FacebookAI/roberta-base``, mean-pooled last hidden state of ``prompt + cot``, 512 tokens).

Encoders (config ``router.encoder.kind``):

- ``hub``: any ``transformers.AutoModel`` by hub id or local path (``model``), e.g. the reference's
  ``FacebookAI/roberta-base``; frozen, in eval mode.
- ``student`` (offline default): student A's own frozen base model (a fresh copy, not the one being
  trained), last hidden state mean-pooled — a local encoder that needs no download.
- ``scratch``: a small RoBERTa built from scratch with a seed over student A's tokenizer, frozen (random
  features: a control for how much the router needs a trained encoder).
- ``embedding_mean``: the mean of student A's input embeddings over the example (this project's earlier
  router input; computed by the trainer from its own encoding).

Features are fixed per example, so they are computed once before training.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ...settings import from_dict

KINDS = ("hub", "student", "scratch", "embedding_mean")
POOLS = ("mean", "cls")
REFERENCE_ENCODER = "FacebookAI/roberta-base"


@dataclass
class EncoderConfig:
    """``router.encoder``: the frozen sentence encoder whose pooled output the router reads."""

    kind: str = field(default="student", metadata={"help": "hub | student | scratch | embedding_mean (see methods/router/features.py)."})
    model: str | None = field(default=None, metadata={"help": "kind hub: hub id or local path (the reference: FacebookAI/roberta-base)."})
    pool: str = field(default="mean", metadata={"help": "mean (the reference) over the attention mask, or cls (first token)."})
    max_length: int = field(default=512, metadata={"help": "Encoder tokens per example (the reference: 512, truncated)."})
    standardise: bool = field(default=True, metadata={"help": "Standardise features over the training rows (ours; the reference does not)."})
    batch_size: int = field(default=32, metadata={"help": "Examples per encoder forward pass."})
    hidden_size: int = field(default=64, metadata={"help": "kind scratch: width of the RoBERTa built from scratch."})
    layers: int = field(default=2, metadata={"help": "kind scratch: its layers."})
    seed: int = field(default=0, metadata={"help": "kind scratch: initialisation seed."})

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"kind = {self.kind!r}: must be one of {KINDS}")
        if self.kind == "hub" and not self.model:
            raise ValueError(f"model: kind hub needs a hub id or local path (the reference's is {REFERENCE_ENCODER})")
        if self.pool not in POOLS:
            raise ValueError(f"pool = {self.pool!r}: must be one of {POOLS}")
        for key in ("max_length", "batch_size", "hidden_size", "layers"):
            if getattr(self, key) < 1:
                raise ValueError(f"{key} = {getattr(self, key)!r}: must be >= 1")

    @classmethod
    def from_dict(cls, d: dict | None, where: str = "router.encoder") -> "EncoderConfig":
        return from_dict(cls, dict(d or {}), where)


def router_text(row: dict) -> str:
    """The text the reference encodes: the (style-wrapped) prompt immediately followed by the CoT
    (``selected_ins + selected_cot``, no separator); for a chat row, every message's content in order."""
    return "".join(str(m["content"]) for m in row["messages"])


def _pool(hidden, mask, how: str):
    if how == "cls":
        return hidden[:, 0].float()
    m = mask.unsqueeze(-1).to(hidden.dtype)
    return ((hidden * m).sum(1) / m.sum(1).clamp(min=1)).float()


def load_encoder(cfg: EncoderConfig, student: str | None):
    """(frozen encoder module, tokenizer) for ``cfg``; ``student`` is student A's path (kinds student, scratch)."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    if cfg.kind == "embedding_mean":
        raise ValueError("encoder kind embedding_mean is computed by the trainer from student A's embeddings")
    if cfg.kind in ("student", "scratch") and not student:
        raise ValueError(f"encoder kind {cfg.kind!r} needs student A's path")
    tok = AutoTokenizer.from_pretrained(cfg.model if cfg.kind == "hub" else student)
    if tok.pad_token_id is None:
        tok.pad_token = tok.eos_token
    if cfg.kind == "scratch":
        from transformers import RobertaConfig, RobertaModel

        torch.manual_seed(cfg.seed)
        heads = max(1, cfg.hidden_size // 32)
        model = RobertaModel(RobertaConfig(
            vocab_size=len(tok), hidden_size=cfg.hidden_size, num_hidden_layers=cfg.layers, num_attention_heads=heads,
            intermediate_size=4 * cfg.hidden_size, max_position_embeddings=cfg.max_length + 2,
            pad_token_id=tok.pad_token_id, type_vocab_size=1), add_pooling_layer=False)
    else:
        model = AutoModel.from_pretrained(cfg.model if cfg.kind == "hub" else student)
    for p in model.parameters():
        p.requires_grad_(False)
    return model.eval(), tok


def encode_texts(texts: list[str], cfg: EncoderConfig, student: str | None = None, device="cpu"):
    """Pooled frozen-encoder features of ``texts`` (float32, ``[len(texts), hidden]``), not standardised."""
    import torch

    model, tok = load_encoder(cfg, student)
    model.to(device)
    out = []
    with torch.inference_mode():
        for start in range(0, len(texts), cfg.batch_size):
            enc = tok(texts[start : start + cfg.batch_size], return_tensors="pt", padding=True, truncation=True,
                      max_length=cfg.max_length).to(device)
            hidden = model(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"]).last_hidden_state
            out.append(_pool(hidden, enc["attention_mask"], cfg.pool))
    return torch.cat(out).clone() if out else torch.zeros(0, 0)


def standardise(feats, enabled: bool = True):
    """(features, mean, std): standardised over the rows (ours) or unchanged (the reference: mean 0, std 1)."""
    import torch

    if not enabled:
        return feats, torch.zeros(feats.size(1), device=feats.device), torch.ones(feats.size(1), device=feats.device)
    mean, std = feats.mean(0), feats.std(0, unbiased=False).clamp(min=1e-6)
    return (feats - mean) / std, mean, std
