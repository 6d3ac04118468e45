"""Every figure of the study, in one registry that the one ``figure`` rule (rules/report.smk) dispatches through.

A :class:`Figure` says which runs it draws (their metrics become its input and the results table it gets),
any other inputs it reads (from the runs and the results layout), its draw function ``draw(table, inputs,
out)`` and the caption the HTML report shows. Which methods a figure belongs to is said once, by each
method's ``Method.figures`` (:func:`methods_of` reads it there). Adding a figure: a draw function in one of
this package's modules, a line in :data:`FIGURES`, and its name in the method's ``figures``
(tests/test_figures_registry.py checks the two name the same figures).
Every accuracy is drawn with its 95 % interval (Wilson, or across seeds for replicated runs).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ..experiments import METHODS
from ..paths import Layout
from ..report import build_table, metrics_path, run_rows
from . import loops, rounds, runs


@dataclass(frozen=True)
class Figure:
    name: str
    draw: Callable  # draw(table or None, {input name: [paths]}, out)
    caption: str
    runs: str = "methods"  # runs it draws: "methods" (those of the methods naming it), "all", or "none" (no results table)
    extra: Callable[[list[dict], Layout], dict[str, list[str]]] | None = None

    def __post_init__(self):
        if self.runs not in SCOPES:
            raise ValueError(f"figure {self.name!r}: runs {self.runs!r} is not one of {SCOPES}")


SCOPES = ("methods", "all", "none")


def _multistyle_logs(run_dicts: list[dict], layout: Layout) -> dict[str, list[str]]:
    return {"logs": sorted({layout.path("multistyle_log", experiment=r["experiment"], teacher=r["labels"]["teacher"], dataset=r["train_set"])
                            for r in run_dicts})}


def _acceptance(run_dicts: list[dict], layout: Layout) -> dict[str, list[str]]:
    return {"acceptance": sorted({layout.path("fair_acceptance", experiment=r["experiment"], student=r["student"], dataset=r["train_set"],
                                                         round=r["labels"]["round"])
                                  for r in run_dicts if r["labels"].get("round")})}


def _table(name: str):
    return lambda run_dicts, layout: {"table": [layout.path("table", name=name)]}


FIGURES = {f.name: f for f in (
    Figure("accuracy", runs.accuracy, "Held-out accuracy of every run, grouped by experiment; error bars are 95 % Wilson "
           "intervals (for runs replicated over training seeds: the mean over seeds and its t interval).", "all"),
    Figure("granularity", runs.granularity, "Key factors: accuracy against the CoT granularity level, a line per student, "
           "format, teacher and dataset, with 95 % intervals."),
    Figure("format", runs.format_, "Key factors: accuracy per CoT format, pooled over granularities (95 % Wilson intervals "
           "of the pooled problems)."),
    Figure("teacher", runs.teacher, "Key factors: accuracy per teacher, pooled over the grid's cells (95 % Wilson intervals)."),
    Figure("styles", runs.styles, "Multi-style CoT: the student's accuracy per style recipe (95 % intervals) beside the "
           "teacher's correctness per style on the training problems.", extra=_multistyle_logs),
    Figure("undo_rounds", rounds.undo_rounds, "UNDO: accuracy by round (95 % intervals); dashed: per round, the "
           "one-shot run trained for the same total epochs."),
    Figure("fair", rounds.fair, "FAIR rounds against the untrained student, each teacher only, all teachers without peer "
           "review and no feedback (95 % intervals); peer review's precision in the title.", extra=_acceptance),
    Figure("summarization", loops.summarization, "Iterated summarization: accuracy per iteration with and without the "
           "oracle stop (95 % Wilson intervals) and tokens spent per problem.", "none", _table("summarization")),
    Figure("router", loops.router, "CoT router: the rate at which each style's rationales are routed to student A, per "
           "epoch (95 % Wilson bands).", "none", _table("router_posrate")),
)}


def methods_of(name: str) -> tuple[str, ...]:
    """The methods whose ``Method.figures`` name figure ``name`` (the one place that says so)."""
    return tuple(m for m, method in METHODS.items() if name in method.figures)


def unmatched(methods=None, registry=None) -> list[str]:
    """Where the methods' ``figures`` and the registry disagree: a figure a method names that is not
    registered, a registered figure (not drawn from every run) that no method names. Empty when they agree."""
    methods, registry = METHODS if methods is None else methods, FIGURES if registry is None else registry
    named = {f: m for m, method in methods.items() for f in method.figures}
    out = [f"methods.{m}: figure {f!r} is not in cotdistill.figures.FIGURES" for f, m in named.items() if f not in registry]
    out += [f"cotdistill.figures.FIGURES: figure {f!r} is named by no method's figures"
            for f, fig in registry.items() if fig.runs != "all" and f not in named]
    return out


def runs_for(name: str, run_dicts: list[dict]) -> list[dict]:
    """The runs a figure draws (none for a figure without a results table)."""
    scope = FIGURES[name].runs
    if scope == "none":
        return []
    methods = methods_of(name)
    return [r for r in run_dicts if scope == "all" or r["method"] in methods]


def inputs(name: str, run_dicts: list[dict], results_dir: str) -> dict[str, list[str]]:
    """Named inputs of a figure: ``metrics`` of the runs it draws, and its extras."""
    fig, mine = FIGURES[name], runs_for(name, run_dicts)
    out = {"metrics": sorted({metrics_path(results_dir, row) for row in run_rows(mine)})}
    if fig.extra:
        out.update(fig.extra(mine, Layout(results_dir)))
    return out


def draw(name: str, run_dicts: list[dict], named_inputs: dict[str, list[str]], results_dir: str, out: str) -> None:
    """Draw figure ``name`` into ``out`` (a PNG)."""
    if name not in FIGURES:
        raise KeyError(f"no figure {name!r} (figures: {', '.join(FIGURES)})")
    mine = runs_for(name, run_dicts)
    table = build_table(mine, results_dir) if mine else None
    FIGURES[name].draw(table, named_inputs, out)
