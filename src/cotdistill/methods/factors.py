"""factors (the key-factors paper): CoT granularity (1–6) × format (``nl``, ``subqa``, ``restate``,
``symbolic``) — one SFT set, student and evaluation per cell (prompting ``g<n>-<format>``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..gold_rationales import ENDING_SOURCE, HUMAN
from ..runs import Run, grid
from .base import EVAL_SPLITS, Experiment, Method


BASELINES = ("human", "answer_only")  # the paper's human-annotated rationales and gold-answer-only sets
ENDINGS = ("as_written", "answer_is", "boxed")


@dataclass
class Settings(Experiment):
    granularities: list[int] = field(default_factory=lambda: [1, 2, 3, 4, 5, 6])
    formats: list[str] = field(default_factory=lambda: ["nl"])
    gold_baselines: list[str] = field(default_factory=list)
    ending: str = "as_written"  # every target's answer line: as the teacher wrote it (the baselines: "The answer is X"), answer_is, boxed

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
    return f"{kind}_boxed" if ending == "boxed" else kind


def runs(name: str, s: Settings):
    suffix = "" if s.ending == "as_written" else f"-ending_{s.ending}"
    cells = [(f"g{g}-{f}{suffix}", {"granularity": g, "format": f}) for g in s.granularities for f in s.formats]
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


def sft_inputs(config: dict, layout, teacher: str, dataset: str, source: str) -> list[str] | None:
    """A ``{prompting}-ending_{e}`` source reads the teacher's ``{prompting}`` rationales (the sft script rewrites
    their answer line)."""
    m = ENDING_SOURCE.match(source)
    return [layout.path("rationales", teacher=teacher, dataset=dataset, prompting=m["base"])] if m else None


METHOD = Method("factors", Settings, runs, figures=("granularity", "format", "teacher"), check=check, sft_inputs=sft_inputs,
                eval_splits=EVAL_SPLITS)
