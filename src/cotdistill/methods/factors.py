"""factors (the key-factors paper): CoT granularity (1–6) × format (``nl``, ``subqa``, ``restate``,
``symbolic``) — one SFT set, student and evaluation per cell (prompting ``g<n>-<format>``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..runs import grid
from .base import Experiment, Method


@dataclass
class Settings(Experiment):
    granularities: list[int] = field(default_factory=lambda: [1, 2, 3, 4, 5, 6])
    formats: list[str] = field(default_factory=lambda: ["nl"])


def runs(name: str, s: Settings):
    cells = [(f"g{g}-{f}", {"granularity": g, "format": f}) for g in s.granularities for f in s.formats]
    return grid(name, "factors", s, cells)


METHOD = Method("factors", Settings, runs, figures=("granularity", "format", "teacher"))
