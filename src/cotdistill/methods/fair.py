"""FAIR ("Learning from Committee", arXiv 2410.03663) as its reference code runs it
(zhuochunli/Learn-from-Committee; docs/fidelity.md lists every difference):

- round 0 is the **untrained** base student (``committee.untrained.all``); its wrong answers on the
  training problems are round 1's mistakes (round r ≥ 2: round r−1's student's);
- every teacher writes feedback on each mistake (question, wrong answer, ``Hint: The correct answer
  should be {gold}``) — all kept — and a rationale for the bare question;
- peer review: every other teacher scores each rationale with the hinted review prompt (``review_hint:
  false`` drops the hint: our option); kept when the mean of the valid scores is > ``review_threshold``;
- training: per mistake, (accepted rationale, feedback) pairs, loss α·L_feedback + (1−α)·L_rationale per
  batch (``training: paired``, our own trainer, ``methods/fair_train``), or LLaMA-Factory's interleaved
  sampling of the two halves (``training: interleave``, an approximation of that loss).

Recipes: ``committee.untrained.all`` (round 0), ``committee.fair-{exp}-{student}-r{r}.all`` (round r), and
with ``baselines`` (round 1): ``...-r1-unfiltered`` (every rationale, no review), ``...-r1-nofeedback``
(accepted rationales, α = 0) and ``...-r1-only-{teacher}`` (one teacher's reviewed rationales and its own
feedback). The protocol's pure parts are ``methods/fair_protocol``.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import paths
from ..runs import Run
from .base import Method
from .fair_protocol import PAIRINGS, REFERENCE_SEED
from .rounds import COMMITTEE, RoundSettings, chain_runs, gates, parse_source

TRAINING = ("paired", "interleave")


@dataclass
class Settings(RoundSettings):
    max_rounds: int = 1  # the reference runs one round
    review_threshold: float = 3.0
    alpha: float = 0.5  # weight of the feedback loss
    training: str = "paired"
    mix: str = "interleave_over"  # training: interleave only
    pairing: str = "sample"
    pair_seed: int = REFERENCE_SEED
    review_hint: bool = True
    baselines: bool = True

    def __post_init__(self):
        super().__post_init__()
        if len(self.teachers) < 2:
            raise ValueError(f"teachers: fair needs at least 2 teachers (each rationale is reviewed by the others), got {len(self.teachers)}")
        if COMMITTEE in self.teachers:
            raise ValueError(f"teachers: {COMMITTEE!r} is reserved for the committee's recipes; rename that teacher")
        if not isinstance(self.alpha, (int, float)) or isinstance(self.alpha, bool) or not 0 <= self.alpha < 1:
            raise ValueError(f"alpha: the feedback loss weight must be in [0, 1), got {self.alpha!r}")
        if not isinstance(self.review_threshold, (int, float)) or not 1 <= self.review_threshold < 5:
            raise ValueError(f"review_threshold: a mean score in [1, 5) that accepted rationales must exceed, got {self.review_threshold!r}")
        for key, allowed in (("training", TRAINING), ("mix", ("interleave_over", "interleave_under")), ("pairing", PAIRINGS)):
            if getattr(self, key) not in allowed:
                raise ValueError(f"{key}: must be one of {', '.join(allowed)}, got {getattr(self, key)!r}")
        for key in ("review_hint", "baselines"):
            if not isinstance(getattr(self, key), bool):
                raise ValueError(f"{key}: must be true or false")


def variants(s: Settings) -> list[str]:
    """Round 1's baselines beside the FAIR chain."""
    return (["unfiltered", "nofeedback"] + [f"only-{t}" for t in s.teachers]) if s.baselines else []


def variant_recipe(exp: str, student: str, r: int, variant: str | None = None) -> str:
    return f"{COMMITTEE}.fair-{exp}-{student}-r{r}{'-' + variant if variant else ''}.all"


def runs(name: str, s: Settings):
    """The untrained student (round 0), the FAIR rounds, and round 1's baselines."""
    out = chain_runs(name, s, [COMMITTEE])
    evals = tuple(s.eval_datasets or ()) or None
    for student in s.students:
        for ds in s.datasets:
            for v in variants(s):
                single = v.startswith("only-")
                out.append(Run(name, s.method, student, ds, variant_recipe(name, student, 1, v), evals or (ds,),
                               {"teacher": v[len("only-"):] if single else COMMITTEE, "round": 1, "style": "single" if single else v}))
    return out


def round_inputs(settings: dict, layout: paths.Layout, recipe: str, dataset: str) -> dict:
    """What a FAIR round recipe's training reads: ``pairs`` (rounds 1..r with ``sft: add``, else round r;
    a baseline reads its own variant's pairs) and, with ``init: previous``, the previous round's checkpoint."""
    src = parse_source(recipe.split(".", 1)[1].rsplit(".", 1)[0])
    s = settings[src["experiment"]]
    variant = src.get("variant") or "fair"
    first = 1 if s.sft == "add" and variant == "fair" else src["round"]
    pairs = [layout.path("fair_pairs", experiment=src["experiment"], student=src["student"], dataset=dataset, round=r, variant=variant)
             for r in range(first, src["round"] + 1)]
    previous = []
    if s.init == "previous" and src["round"] > 1:
        previous = [layout.path("checkpoint", student=src["student"], dataset=dataset,
                                recipe=variant_recipe(src["experiment"], src["student"], src["round"] - 1))]
    return {"pairs": pairs, "previous": previous, "alpha": 0.0 if variant == "nofeedback" else s.alpha}


def round_path(layout: paths.Layout, template: str, wc, teacher: str) -> str:
    """A per-teacher file of a FAIR round (``fair_feedback``, ``fair_rationales``, ``fair_reviews``) for the
    round wildcards ``wc`` of a rule."""
    return layout.path(template, experiment=wc.experiment, student=wc.student, dataset=wc.dataset, round=wc.round, teacher=teacher)


def mistakes_recipe(exp: str, student: str, r: int) -> str:
    """Whose mistakes round ``r`` learns from: the untrained student (r = 1) or round r−1's."""
    return paths.UNTRAINED_RECIPE if r == 1 else variant_recipe(exp, student, r - 1)


METHOD = Method("fair", Settings, runs, figures=("fair",), gates=gates,
                foreign={"baseline": "only used by method undo"})
