"""Experiments in config.yaml expanded into runs, through the method registry.

Every experiment names a ``method``; :data:`METHODS` maps each name to its :class:`~cotdistill.methods.base.Method`
(its closed settings dataclass, ``runs``, figures and hooks). Adding a method is one line here.
"""

from __future__ import annotations

from dataclasses import replace

from . import paths
from .errors import ConfigError
from .methods import distill, factors, fair, multistyle, router, summarize, undo
from .methods.base import Experiment, Method, check_dev_split, check_references
from .runs import Run, split_recipe  # noqa: F401  (re-exported: the rule files' and tests' entry point)
from .settings import did_you_mean

METHODS: dict[str, Method] = {m.METHOD.name: m.METHOD for m in (distill, factors, multistyle, undo, fair, summarize, router)}


def method_of(name: str, spec: dict) -> Method:
    method = spec.get("method") if isinstance(spec, dict) else None
    if method not in METHODS:
        raise ConfigError(f"experiments.{name}.method: {method!r} is not a method{did_you_mean(method, METHODS)}")
    return METHODS[method]


def experiment_settings(config: dict, name: str) -> Experiment:
    """The parsed, checked settings of one experiment; ConfigError naming the key on a mistake."""
    spec = config["experiments"][name]
    m = method_of(name, spec)
    s = m.parse(name, spec)
    check_references(f"experiments.{name}", s, config)
    if s.eval_split not in m.eval_splits:
        raise ConfigError(f"experiments.{name}.eval_split: {s.eval_split} is not available for method {m.name} "
                          f"(only {', '.join(m.eval_splits)})")
    if s.eval_split == "dev":
        check_dev_split(f"experiments.{name}", "eval_split", s.eval_datasets or s.datasets, config)
    if m.check:
        m.check(f"experiments.{name}", s, config)
    return s


def all_settings(config: dict) -> dict[str, Experiment]:
    """Every experiment's settings, checked before any job."""
    return {name: experiment_settings(config, name) for name in config.get("experiments", {})}


def expand_runs(config: dict, settings: dict[str, Experiment] | None = None) -> list[Run]:
    settings = settings if settings is not None else all_settings(config)
    return [_scored_on(run, s.eval_split) for name, s in settings.items() for run in METHODS[s.method].runs(name, s)]


def _scored_on(run: Run, split: str) -> Run:
    """A run scored on another split than test carries it as a label (a column of ``all.csv``, and the
    metrics file it is read from)."""
    return run if split == "test" else replace(run, labels={**run.labels, "split": split})


def figures(settings: dict[str, Experiment]) -> list[str]:
    """The figure names of the study: accuracy, then each method's (in registry order) that has experiments."""
    used = {s.method for s in settings.values()}
    return ["accuracy"] + [f for name, m in METHODS.items() if name in used for f in m.figures]


def targets(settings: dict[str, Experiment]) -> list[str]:
    """Extra targets (relative to the results directory) that methods add beside the table and figures."""
    out = []
    for name, s in settings.items():
        m = METHODS[s.method]
        for t in m.targets(name, s) if m.targets else []:
            if t not in out:
                out.append(t)
    return out


def sft_inputs(config: dict, layout: paths.Layout, recipe: str, dataset: str) -> list[str]:
    """The files an SFT recipe is built from: a method's own source (a mix, a loop's outputs), else the
    rationale files of its prompting."""
    teacher, source, _ = split_recipe(recipe)
    for m in METHODS.values():
        found = m.sft_inputs(config, layout, teacher, dataset, source) if m.sft_inputs else None
        if found is not None:
            return found
    return [layout.path("rationales", teacher=teacher, dataset=dataset, prompting=source)]


def sft_rationales(source: str, inputs: list[list[dict]]) -> list[dict]:
    """Rationale rows of an SFT source from the rows of its input files (see :func:`sft_inputs`)."""
    for m in METHODS.values():
        rows = m.sft_rationales(source, inputs) if m.sft_rationales else None
        if rows is not None:
            return rows
    return [row for rows in inputs for row in rows]


def gates(run: dict, settings: dict[str, Experiment]) -> list[dict]:
    """Early-stop checkpoints (``round_gate`` wildcards) a run depends on."""
    s = settings.get(run["experiment"])
    m = METHODS[run["method"]]
    return m.gates(run, s) if m.gates and s is not None else []


def rationale_promptings(config: dict, source: str) -> list[str]:
    """The rationale files (promptings) that a multi-style mix or a prompting source is built from."""
    m = multistyle.SOURCE.match(source)
    if m:
        return multistyle.style_promptings(config["experiments"][m["experiment"]].get("styles", []))
    return [source]
