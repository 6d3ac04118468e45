"""The router run's hyper-parameters (config key ``experiments.<name>.router``): a closed settings block."""

from __future__ import annotations

from dataclasses import dataclass, field

from ...settings import from_dict
from .features import EncoderConfig

MODES = ("router", "naive", "only_a", "only_b", "sft")
ENSEMBLES = ("auto", "token", "sequence")
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
                  "distill_naive); only_a / only_b: one student alone on the same data (baselines); sft: both "
                  "students learn the gold answers (the reference's is_sft baseline)."},
    )
    epochs: int = field(default=3, metadata={"help": "Passes over the training rows."})
    lr: float = field(default=2e-4, metadata={"help": "AdamW learning rate of the students' trainable parameters."})
    lr_s1: float | None = field(default=None, metadata={"help": "Student A's learning rate (the reference's --lr_s1); default lr."})
    lr_s2: float | None = field(default=None, metadata={"help": "Student B's learning rate (the reference's --lr_s2); default lr."})
    router_lr: float = field(default=1e-3, metadata={"help": "AdamW learning rate of the router, ensemble weights and MSE projection."})
    batch_size: int = field(default=8, metadata={"help": "Examples per optimisation step."})
    gumbel_tau: float = field(default=1.0, metadata={"help": "Gumbel-softmax temperature of the routing choice."})
    consistency: str = field(
        default="kl",
        metadata={"help": "kl: KL(student || ensemble) over token distributions; mse: MSE between projected "
                  "pooled hidden states (the original code's 'KL'); none: no consistency term."},
    )
    consistency_weight: float = field(default=0.1, metadata={"help": "Weight of the consistency term in the loss."})
    finetuning: str = field(default="lora", metadata={"help": "lora (peft adapters), qlora (adapters on 4-bit NF4 weights, "
                            "bitsandbytes, CUDA only: the reference's students) or full (every weight; for tiny students)."})
    lora: RouterLora = field(default_factory=RouterLora, metadata={"help": "LoRA settings when finetuning is lora."})
    router_input: str = field(
        default="example",
        metadata={"help": "What the router sees: example (question + rationale, so it can tell styles apart) or question."},
    )
    router_hidden: int | None = field(default=64, metadata={"help": "Hidden width of the router MLP; null: d/2 (the reference)."})
    encoder: EncoderConfig = field(default_factory=EncoderConfig, metadata={
        "help": "The frozen sentence encoder over prompt + CoT that the router reads (methods/router/features.py)."})
    cots_per_problem: int | None = field(default=2, metadata={
        "help": "CoTs drawn per problem and epoch from its (correct) ones, as the reference (2); null: every row every epoch."})
    reference_gradients: bool = field(default=False, metadata={
        "help": "Train as the reference's code does: boolean gates and a detached ensemble target, so the router "
                "and the weight net get no gradient (methods/router/reference.py)."})
    ensemble: str = field(default="auto", metadata={
        "help": "token: mix next-token distributions (one tokenizer); sequence: each student generates, the output "
                "with the higher score is kept (the reference; any tokenizers); auto: token if shared, else sequence."})
    ensemble_length_normalise: bool = field(default=True, metadata={
        "help": "sequence ensemble: score = mean token log-probability (true) or the sum (the reference)."})
    ensemble_weights: bool = field(default=True, metadata={
        "help": "sequence ensemble: add log(learned weight) to each member's score (false: the reference)."})
    max_length: int = field(default=512, metadata={"help": "Tokens per example; longer targets are cut at the end."})
    weight_decay: float = field(default=0.0, metadata={"help": "AdamW weight decay of the students."})
    dtype: str = field(default="float32", metadata={"help": "Student weights dtype: float32 or bfloat16 (GPU)."})
    device: str = field(default="auto", metadata={"help": "auto (cuda when available), cpu or cuda[:n]."})
    seed: int = field(default=0, metadata={"help": "Seed of initialisation, shuffling and Gumbel noise."})

    def __post_init__(self):
        if isinstance(self.lora, dict):
            self.lora = from_dict(RouterLora, self.lora, "lora")
        if isinstance(self.encoder, dict):
            self.encoder = from_dict(EncoderConfig, self.encoder, "encoder")
        checks = [
            ("mode", self.mode in MODES, f"one of {MODES}"),
            ("consistency", self.consistency in CONSISTENCY, f"one of {CONSISTENCY}"),
            ("finetuning", self.finetuning in ("lora", "qlora", "full"), "lora, qlora or full"),
            ("ensemble", self.ensemble in ENSEMBLES, f"one of {ENSEMBLES}"),
            ("cots_per_problem", self.cots_per_problem is None or self.cots_per_problem >= 1, ">= 1 or null"),
            ("router_hidden", self.router_hidden is None or self.router_hidden >= 1, ">= 1 or null"),
            ("lr_s1", self.lr_s1 is None or self.lr_s1 > 0, "> 0"),
            ("lr_s2", self.lr_s2 is None or self.lr_s2 > 0, "> 0"),
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
                raise ValueError(f"{key} = {value!r}: must be {want}")


    @classmethod
    def from_dict(cls, d: dict, where: str = "router") -> "RouterConfig":
        """Build from a config block; an unknown key raises ConfigError naming ``where.key`` (and the closest key)."""
        return from_dict(cls, d, where)
