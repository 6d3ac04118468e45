"""Teacher backends and the engine that runs a stage's requests against them.

    completions, summary = run_requests("gpt4o", config["teachers"]["gpt4o"], requests,
                                        cache_dir="results/.cache/llm", desc="gsm8k/cot")

Backends (``teachers.<name>.kind``): ``offline`` (built in, rule-based), ``openai`` (the official SDK;
``base_url`` for any compatible server), ``gemini`` (google-genai), ``hf`` (a local transformers model).
``batch: true`` sends an openai/gemini teacher's uncached requests through the provider's batch API
(``batch.py``: resumable, at batch prices); ``BatchPending`` is raised when ``batch_wait`` says not to wait.
"""

from __future__ import annotations

import dataclasses
import os

from .base import Completion, Request
from .batch import BatchPending
from .config import TeacherConfig, check_batch_kind


def make_backend(name: str, cfg: dict):
    """Build the backend for ``teachers.<name>``; config errors are raised here, naming the key."""
    kind = cfg.get("kind", "offline")
    if kind == "offline":
        from .offline import OfflineTeacher

        return OfflineTeacher(name, cfg)
    config = TeacherConfig.from_dict(name, cfg)
    if kind == "openai" and config.batch:
        from .batch_openai import OpenAIBatch

        return OpenAIBatch(config)
    if kind == "openai":
        from .openai_chat import OpenAIChat

        return OpenAIChat(config)
    if kind == "gemini" and config.batch:
        from .batch_gemini import GeminiBatch

        return GeminiBatch(config)
    if kind == "gemini":
        from .gemini import GeminiChat

        return GeminiChat(config)
    from .hf import HFLocal

    return HFLocal(config)


def check_credentials(name: str, cfg: dict) -> None:
    """Raise a one-line error naming the environment variable when a teacher's API key is missing (or the
    config key when ``batch: true`` is set on a kind without a batch API)."""
    kind = cfg.get("kind", "offline")
    check_batch_kind(name, kind, cfg.get("batch"))
    if kind in ("offline", "hf"):
        return
    env = cfg.get("api_key_env")
    if env and not os.environ.get(env):
        raise RuntimeError(f"teachers.{name}: environment variable {env} is not set (teachers.{name}.api_key_env)")
    if not env and not cfg.get("base_url"):
        raise RuntimeError(f"teachers.{name}.api_key_env: required for kind {kind!r} without a local base_url")


def run_requests(
    name: str, cfg: dict, requests: list[Request], *, cache_dir: str | None = None, desc: str = ""
) -> tuple[list[Completion], dict]:
    """Answer every request, in order. Returns the completions and the per-stage summary dict. A teacher's
    ``system`` prompt goes first in every request that has none of its own."""
    if cfg.get("system"):
        requests = [r if any(m["role"] == "system" for m in r.messages) else
                    dataclasses.replace(r, messages=[{"role": "system", "content": cfg["system"]}, *r.messages]) for r in requests]
    backend = make_backend(name, cfg)
    if getattr(backend, "cacheable", True):
        from .engine import run_stage

        return run_stage(backend, requests, cache_dir=cache_dir, desc=desc)
    out = [backend.complete(r) for r in requests]  # offline: cheap and deterministic, no cache, no limits
    summary = {
        "teacher": name,
        "kind": cfg.get("kind", "offline"),
        "requests": len(requests),
        "sent": len(requests),
        "cache_hits": 0,
        "retries": 0,
        "errors": sum(c.finish_reason == "error" for c in out),
        "length_cutoffs": sum(c.finish_reason == "length" for c in out),
        "prompt_tokens": sum(c.prompt_tokens for c in out),
        "completion_tokens": sum(c.completion_tokens for c in out),
        "cost_usd": 0.0,
    }
    return out, summary


__all__ = ["BatchPending", "Completion", "Request", "TeacherConfig", "check_credentials", "make_backend", "run_requests"]
