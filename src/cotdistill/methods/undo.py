"""UNDO (arXiv 2504.02521): the teacher revisits the training problems the student got wrong, round after
round (the shared round machinery is ``methods/rounds.py``); a one-shot baseline trained for the same
total epochs (``baseline``)."""

from __future__ import annotations

from dataclasses import dataclass

from .base import Method, check_dev_split
from .rounds import RoundSettings, chain_runs, gates


DIAGNOSE = ("train", "dev")


@dataclass
class Settings(RoundSettings):
    baseline: bool = True
    diagnose_on: str = "train"  # where the student's errors are found: the training problems (the reimplementation) or dev

    def __post_init__(self):
        super().__post_init__()
        if not isinstance(self.baseline, bool):
            raise ValueError("baseline: must be true or false")
        if self.diagnose_on not in DIAGNOSE:
            raise ValueError(f"diagnose_on: must be train or dev (never the test split), got {self.diagnose_on!r}")
        if self.diagnose_on == "dev" and self.early_stop == "dev":
            raise ValueError("diagnose_on: dev with early_stop: dev would select rounds on the split the regenerations train on")


def runs(name: str, s: Settings):
    """Round 0 (plain CoT), rounds 1..max_rounds, and per round r a one-shot run trained for the same total
    epochs, (r + 1) times a round's (``baseline``), labelled with the round it matches."""
    def one_shot(run, teacher):
        if teacher is not None and s.baseline:
            for r in range(1, s.max_rounds + 1):
                run(f"{teacher}.undo-{name}-x{r + 1}.{s.filter}", teacher=teacher, round=r, style="one-shot")

    return chain_runs(name, s, list(s.teachers), one_shot)


def check(where: str, s: Settings, config: dict) -> None:
    """``diagnose_on: dev`` needs a dev split on every dataset."""
    if s.diagnose_on == "dev":
        check_dev_split(where, "diagnose_on", s.datasets, config)


METHOD = Method("undo", Settings, runs, figures=("undo_rounds",), gates=gates, check=check,
                foreign={k: "only used by method fair" for k in ("review_threshold", "alpha", "mix", "training", "pairing",
                                                                 "pair_seed", "review_hint", "baselines")})
