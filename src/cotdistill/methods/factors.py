"""factors (the key-factors paper): CoT granularity (1–6) × format (``nl``, ``subqa``, ``restate``,
``symbolic``) — one SFT set, student and evaluation per cell (prompting ``g<n>-<format>``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..gold_rationales import HUMAN
from ..runs import Run, grid
from .base import Experiment, Method


BASELINES = ("human", "answer_only")  # the paper's human-annotated rationales and gold-answer-only sets
ENDINGS = ("answer_is", "boxed")


@dataclass
class Settings(Experiment):
    granularities: list[int] = field(default_factory=lambda: [1, 2, 3, 4, 5, 6])
    formats: list[str] = field(default_factory=lambda: ["nl"])
    gold_baselines: list[str] = field(default_factory=list)
    ending: str = "answer_is"  # the baselines' answer line: "The answer is X" (the paper's) or \boxed{X}

    def __post_init__(self):
        super().__post_init__()
        for b in self.gold_baselines:
            if b not in BASELINES:
                raise ValueError(f"gold_baselines: {b!r} is not one of {', '.join(BASELINES)}")
        if self.ending not in ENDINGS:
            raise ValueError(f"ending: must be one of {', '.join(ENDINGS)}, got {self.ending!r}")


def gold_source(baseline: str, ending: str) -> str:
    """The rationale file (prompting) of a baseline under the pseudo-teacher ``human`` (rule gold_rationales)."""
    kind = "solution" if baseline == "human" else "answer"
    return kind if ending == "answer_is" else f"{kind}_boxed"


def runs(name: str, s: Settings):
    cells = [(f"g{g}-{f}", {"granularity": g, "format": f}) for g in s.granularities for f in s.formats]
    out = grid(name, "factors", s, cells)
    evals = tuple(s.eval_datasets or ())
    for student in s.students:
        for ds in s.datasets:
            for b in s.gold_baselines:
                out.append(Run(name, "factors", student, ds, f"{HUMAN}.{gold_source(b, s.ending)}.all", evals or (ds,),
                               {"teacher": HUMAN if b == "human" else "answer only", "style": b}))
    return out


def check(where: str, s: Settings, config: dict) -> None:
    from ..errors import ConfigError

    if s.gold_baselines and HUMAN in config.get("teachers", {}):
        raise ConfigError(f"{where}.gold_baselines: teacher name {HUMAN!r} is reserved for the datasets' own rationales; rename that teacher")


METHOD = Method("factors", Settings, runs, figures=("granularity", "format", "teacher"), check=check)
