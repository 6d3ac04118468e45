"""Which methods a figure belongs to is said once, by each Method.figures; the registry (cotdistill.figures.FIGURES)
holds how to draw it. The two must name the same figures."""

from __future__ import annotations

from dataclasses import replace

import pytest

from cotdistill import experiments, figures


def test_methods_and_registry_name_the_same_figures():
    assert figures.unmatched() == []
    named = {f for m in experiments.METHODS.values() for f in m.figures}
    drawn_from_every_run = {f for f, fig in figures.FIGURES.items() if fig.runs == "all"}
    assert named | drawn_from_every_run == set(figures.FIGURES)
    assert experiments.figures({})[:1] == sorted(drawn_from_every_run) == ["accuracy"]  # every study draws it


def test_a_figure_named_by_a_method_but_not_registered_is_caught():
    methods = {**experiments.METHODS, "factors": replace(experiments.METHODS["factors"], figures=("granularity", "depth"))}
    assert figures.unmatched(methods) == [
        "methods.factors: figure 'depth' is not in cotdistill.figures.FIGURES",
        "cotdistill.figures.FIGURES: figure 'format' is named by no method's figures",
        "cotdistill.figures.FIGURES: figure 'teacher' is named by no method's figures",
    ]


def test_a_registered_figure_no_method_names_is_caught():
    extra = figures.Figure("orphan", lambda *a: None, "drawn for nobody")
    assert figures.unmatched(registry={**figures.FIGURES, "orphan": extra}) == [
        "cotdistill.figures.FIGURES: figure 'orphan' is named by no method's figures"]


def test_methods_of_reads_the_methods():
    assert figures.methods_of("granularity") == ("factors",)
    assert figures.methods_of("undo_rounds") == ("undo",)
    assert figures.methods_of("accuracy") == ()


def test_runs_for_follows_method_figures():
    rows = [{"method": m} for m in ("distill", "factors", "undo", "summarize")]
    assert figures.runs_for("accuracy", rows) == rows
    assert figures.runs_for("format", rows) == [{"method": "factors"}]
    assert figures.runs_for("undo_rounds", rows) == [{"method": "undo"}]
    assert figures.runs_for("summarization", rows) == []  # its own table, no run metrics


def test_a_figure_scope_is_checked():
    with pytest.raises(ValueError, match="runs 'some' is not one of"):
        figures.Figure("x", lambda *a: None, "", runs="some")
