"""The teacher block of config.yaml (``teachers.<name>``) as a checked dataclass.

Errors are raised at setup and name the key, e.g. ``teachers.gpt4o.concurrency: must be >= 1``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields

KINDS = ("offline", "openai", "gemini", "hf")
GENERATION_KEYS = ("max_tokens", "temperature", "top_p", "top_k", "seed", "stop", "extra_body")
PRICE_KEYS = ("prompt_per_mtok", "completion_per_mtok", "batch_prompt_per_mtok", "batch_completion_per_mtok")
BATCH_DISCOUNT = 0.5  # OpenAI's Batch API and Gemini's batch mode both bill half the online price


def check_batch_kind(name: str, kind: str, batch) -> None:
    if batch and kind not in ("openai", "gemini"):
        raise ValueError(f"teachers.{name}.batch: batch APIs exist for kind openai and gemini, not {kind!r}")


@dataclass
class TeacherConfig:
    name: str = field(metadata={"help": "the teacher's name in config.yaml (for messages only)"})
    kind: str = field(default="openai", metadata={"help": "offline | openai | gemini | hf"})
    model: str = field(default="", metadata={"help": "model id at the provider, or a local path for hf"})
    base_url: str | None = field(default=None, metadata={"help": "OpenAI-compatible server or Gemini endpoint"})
    api_key_env: str | None = field(default=None, metadata={"help": "environment variable holding the API key"})
    concurrency: int = field(default=16, metadata={"help": "requests in flight at once"})
    rpm: float | None = field(default=None, metadata={"help": "request limit per minute"})
    tpm: float | None = field(default=None, metadata={"help": "token limit per minute (prompt + max_tokens estimate)"})
    max_tokens: int | None = field(default=1024, metadata={"help": "completion token limit"})
    temperature: float | None = field(default=0.0, metadata={"help": "sampling temperature"})
    top_p: float | None = field(default=None, metadata={"help": "nucleus sampling"})
    top_k: int | None = field(default=None, metadata={"help": "top-k sampling: gemini, hf, and OpenAI-compatible servers that take it (vLLM, SGLang, Fireworks, Together; sent in the request body like extra_body); OpenAI's own API has none"})
    n: int = field(default=1, metadata={"help": "samples per prompt (callers make one Request per sample index)"})
    seed: int | None = field(default=None, metadata={"help": "provider seed; sample i sends seed + i"})
    stop: list[str] | str | None = field(default=None, metadata={"help": "stop sequences"})
    timeout_s: float = field(default=120.0, metadata={"help": "per-attempt timeout in seconds"})
    max_retries: int = field(default=6, metadata={"help": "retries after the first attempt (429, 5xx, timeouts, resets)"})
    retry_initial_s: float = field(default=1.0, metadata={"help": "first back-off delay; doubles each retry, with jitter"})
    retry_max_s: float = field(default=60.0, metadata={"help": "longest back-off delay (Retry-After may ask for more, up to 600 s)"})
    price: dict | None = field(default=None, metadata={"help": "{prompt_per_mtok, completion_per_mtok, batch_prompt_per_mtok, batch_completion_per_mtok} in USD"})
    extra_body: dict | None = field(default=None, metadata={"help": "extra request fields passed through (reasoning_effort, ...)"})
    system: str | None = field(default=None, metadata={"help": "a system prompt sent first with every request of this teacher"})
    batch_size: int = field(default=8, metadata={"help": "hf: prompts per generate() call"})
    batch: bool = field(default=False, metadata={"help": "openai/gemini: send uncached requests through the provider's batch API"})
    batch_wait: bool | float = field(default=True, metadata={"help": "true: poll until done; false: submit and stop; N: poll up to N seconds"})
    batch_max_requests: int | None = field(default=None, metadata={"help": "requests per batch (default: openai 50000, gemini 10000)"})
    batch_max_bytes: int | None = field(default=None, metadata={"help": "bytes per batch (default: openai 190 MB of JSONL, gemini 18 MB inlined)"})
    batch_poll_s: float = field(default=30.0, metadata={"help": "first delay between status polls; grows 1.5x a poll"})
    batch_poll_max_s: float = field(default=300.0, metadata={"help": "longest delay between status polls"})
    batch_rounds: int = field(default=3, metadata={"help": "submissions per request at most (expired, failed or per-request 5xx/429)"})
    device: str = field(default="auto", metadata={"help": "hf: cpu | cuda | cuda:0 | auto"})
    dtype: str = field(default="auto", metadata={"help": "hf: auto | float32 | bfloat16 | float16"})

    @classmethod
    def from_dict(cls, name: str, cfg: dict) -> "TeacherConfig":
        known = {f.name for f in fields(cls)} - {"name"}
        unknown = sorted(set(cfg) - known)
        if unknown:
            raise ValueError(f"teachers.{name}.{unknown[0]}: unknown key (known: {', '.join(sorted(known))})")
        tc = cls(name=name, **cfg)
        tc.validate()
        return tc

    def validate(self) -> None:
        where = f"teachers.{self.name}"
        if self.kind not in KINDS:
            raise ValueError(f"{where}.kind: {self.kind!r} is not one of {', '.join(KINDS)}")
        if not self.model:
            raise ValueError(f"{where}.model: required for kind {self.kind!r}")
        for key in ("concurrency", "batch_size"):
            if int(getattr(self, key)) < 1:
                raise ValueError(f"{where}.{key}: must be >= 1")
        for key in ("rpm", "tpm"):
            if getattr(self, key) is not None and getattr(self, key) <= 0:
                raise ValueError(f"{where}.{key}: must be > 0 (leave it out for no limit)")
        if self.top_k is not None and (isinstance(self.top_k, bool) or not isinstance(self.top_k, int) or self.top_k < 1):
            raise ValueError(f"{where}.top_k: an integer >= 1")
        if self.top_k is not None and self.kind == "openai" and not self.base_url:
            raise ValueError(f"{where}.top_k: OpenAI's API has no top_k; set base_url to a compatible server that takes it "
                             "(vLLM, SGLang, Fireworks, Together)")
        if self.max_retries < 0:
            raise ValueError(f"{where}.max_retries: must be >= 0")
        if self.price is not None:
            bad = set(self.price) - set(PRICE_KEYS)
            if bad:
                raise ValueError(f"{where}.price.{sorted(bad)[0]}: unknown (use {', '.join(PRICE_KEYS)})")
        check_batch_kind(self.name, self.kind, self.batch)
        if not isinstance(self.batch_wait, bool) and not (isinstance(self.batch_wait, (int, float)) and self.batch_wait >= 0):
            raise ValueError(f"{where}.batch_wait: true, false or a number of seconds >= 0")
        for key in ("batch_max_requests", "batch_max_bytes", "batch_rounds"):
            if getattr(self, key) is not None and int(getattr(self, key)) < 1:
                raise ValueError(f"{where}.{key}: must be >= 1")
        for key in ("batch_poll_s", "batch_poll_max_s"):
            if getattr(self, key) <= 0:
                raise ValueError(f"{where}.{key}: must be > 0")

    def generation_params(self) -> dict:
        """The generation parameters the provider sees (and the cache key hashes); unset ones left out."""
        return {k: getattr(self, k) for k in GENERATION_KEYS if getattr(self, k) is not None}

    def api_key(self) -> str | None:
        return os.environ.get(self.api_key_env) if self.api_key_env else None

    def cost(self, prompt_tokens: int, completion_tokens: int) -> float:
        """USD for one answer: online prices, or for a batch teacher ``batch_*`` prices (default: half)."""
        if not self.price:
            return 0.0
        rates = []
        for kind in ("prompt", "completion"):
            online = self.price.get(f"{kind}_per_mtok", 0.0)
            rates.append(self.price.get(f"batch_{kind}_per_mtok", online * BATCH_DISCOUNT) if self.batch else online)
        return (rates[0] * prompt_tokens + rates[1] * completion_tokens) / 1e6
