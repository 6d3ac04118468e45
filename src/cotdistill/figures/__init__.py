"""Every figure of the study, in one registry that the one ``figure`` rule (rules/report.smk) dispatches through.

A :class:`Figure` names the methods whose runs it draws (their metrics become its input and the results
table it gets), any other inputs it reads (from the runs and the results layout), its draw function
``draw(table, inputs, out)`` and the caption the HTML report shows. Adding a figure: a draw function in
one of this package's modules and a line in :data:`FIGURES`; the method lists its name in ``figures``.
Every accuracy is drawn with its 95 % interval (Wilson, or across seeds for replicated runs).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ..paths import Layout
from ..report import build_table, metrics_path, run_rows
from . import loops, rounds, runs


@dataclass(frozen=True)
class Figure:
    name: str
    draw: Callable  # draw(table or None, {input name: [paths]}, out)
    caption: str
    methods: tuple[str, ...] | None = ()  # runs it draws ((): every run; None: no results table)
    extra: Callable[[list[dict], Layout], dict[str, list[str]]] | None = None


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
           "intervals (for runs replicated over training seeds: the mean over seeds and its t interval)."),
    Figure("granularity", runs.granularity, "Key factors: accuracy against the CoT granularity level, a line per student, "
           "format, teacher and dataset, with 95 % intervals.", ("factors",)),
    Figure("format", runs.format_, "Key factors: accuracy per CoT format, pooled over granularities (95 % Wilson intervals "
           "of the pooled problems).", ("factors",)),
    Figure("teacher", runs.teacher, "Key factors: accuracy per teacher, pooled over the grid's cells (95 % Wilson intervals).",
           ("factors",)),
    Figure("styles", runs.styles, "Multi-style CoT: the student's accuracy per style recipe (95 % intervals) beside the "
           "teacher's correctness per style on the training problems.", ("multistyle",), _multistyle_logs),
    Figure("undo_rounds", rounds.undo_rounds, "UNDO: accuracy by round (95 % intervals); dashed: per round, the "
           "one-shot run trained for the same total epochs.", ("undo",)),
    Figure("fair", rounds.fair, "FAIR rounds against the untrained student, each teacher only, all teachers without peer "
           "review and no feedback (95 % intervals); peer review's precision in the title.", ("fair",), _acceptance),
    Figure("summarization", loops.summarization, "Iterated summarization: accuracy per iteration with and without the "
           "oracle stop (95 % Wilson intervals) and tokens spent per problem.", None, _table("summarization")),
    Figure("router", loops.router, "CoT router: the rate at which each style's rationales are routed to student A, per "
           "epoch (95 % Wilson bands).", None, _table("router_posrate")),
)}


def runs_for(name: str, run_dicts: list[dict]) -> list[dict]:
    """The runs a figure draws (none for a figure without a results table)."""
    methods = FIGURES[name].methods
    if methods is None:
        return []
    return [r for r in run_dicts if not methods or r["method"] in methods]


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
