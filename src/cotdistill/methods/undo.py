"""UNDO (arXiv 2504.02521): the teacher revisits the training problems the student got wrong, round after
round (the shared round machinery is ``methods/rounds.py``); a one-shot baseline trained for the same
total epochs (``baseline``)."""

from __future__ import annotations

from dataclasses import dataclass

from .base import Method
from .rounds import RoundSettings, chain_runs, gates


@dataclass
class Settings(RoundSettings):
    baseline: bool = True

    def __post_init__(self):
        super().__post_init__()
        if not isinstance(self.baseline, bool):
            raise ValueError("baseline: must be true or false")


def runs(name: str, s: Settings):
    def one_shot(run, teacher):
        if teacher is not None and s.baseline:
            run(f"{teacher}.undo-{name}-x{s.max_rounds + 1}.{s.filter}", teacher=teacher, style="one-shot")

    return chain_runs(name, s, list(s.teachers), one_shot)


METHOD = Method("undo", Settings, runs, figures=("undo_rounds",), gates=gates,
                foreign={k: "only used by method fair" for k in ("review_threshold", "alpha", "mix")})
