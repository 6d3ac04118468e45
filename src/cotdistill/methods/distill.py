"""distill: plain CoT distillation — one run per prompting (``direct``, ``cot``, ``strong``, ``style-<s>``,
``g<n>-<format>``), each an SFT set of one teacher's rationales under that prompting."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..runs import grid
from .base import EVAL_SPLITS, Experiment, Method


@dataclass
class Settings(Experiment):
    promptings: list[str] = field(default_factory=lambda: ["direct", "cot"])


def runs(name: str, s: Settings):
    return grid(name, "distill", s, [(p, {"style": p}) for p in s.promptings])


METHOD = Method("distill", Settings, runs, eval_splits=EVAL_SPLITS)
