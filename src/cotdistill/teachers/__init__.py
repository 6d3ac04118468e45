"""Teacher backends and the engine that runs requests against them.

PROVISIONAL: a synchronous engine for the offline backend only; the full engine (concurrency, rate
limits, retries, cache, resume, accounting) replaces it behind the same ``run_requests`` signature.
"""

from __future__ import annotations

from .base import Completion, Request


def make_backend(name: str, cfg: dict):
    kind = cfg.get("kind", "offline")
    if kind == "offline":
        from .offline import OfflineTeacher

        return OfflineTeacher(name, cfg)
    raise ValueError(f"teachers.{name}.kind: backend {kind!r} is not available yet")


def run_requests(
    name: str, cfg: dict, requests: list[Request], *, cache_dir: str | None = None, desc: str = ""
) -> tuple[list[Completion], dict]:
    """Answer every request, in order. Returns the completions and a per-stage summary dict."""
    backend = make_backend(name, cfg)
    out = [backend.complete(r) for r in requests]
    summary = {
        "teacher": name,
        "requests": len(requests),
        "sent": len(requests),
        "cache_hits": 0,
        "retries": 0,
        "errors": sum(c.finish_reason == "error" for c in out),
        "prompt_tokens": sum(c.prompt_tokens for c in out),
        "completion_tokens": sum(c.completion_tokens for c in out),
        "cost_usd": 0.0,
    }
    return out, summary


__all__ = ["Completion", "Request", "make_backend", "run_requests"]
