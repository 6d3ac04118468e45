"""Experiments in config.yaml expanded into runs: one (student, training set, SFT recipe) each.

A recipe is ``{teacher}.{source}.{filter}``: ``source`` is a prompting (``direct``, ``cot``, ``strong``,
``style-<s>``, ``g<n>-<format>``) or a multi-style mix (``multistyle-<experiment>-all|best``); ``filter``
is ``correct`` or ``all``. A run's files live under ``{student}/{train_set}/{recipe}``, so two
experiments that need the same cell share its training.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class ConfigError(ValueError):
    """A config.yaml mistake; the message names the key."""


@dataclass
class Run:
    experiment: str
    method: str
    student: str
    train_set: str
    recipe: str
    eval_sets: tuple[str, ...]
    labels: dict = field(default_factory=dict)  # teacher, style, granularity, format, round
    metrics: str | None = None  # metrics file under results_dir, where a method does not evaluate under eval/

    @property
    def path(self) -> str:
        return f"{self.student}/{self.train_set}/{self.recipe}"


def split_recipe(recipe: str) -> tuple[str, str, str]:
    teacher, rest = recipe.split(".", 1)
    source, keep = rest.rsplit(".", 1)
    return teacher, source, keep


def check_references(config: dict) -> None:
    """Every name an experiment uses is defined; raise ConfigError naming the key otherwise."""
    for exp, spec in config.get("experiments", {}).items():
        for kind, key in (("datasets", "datasets"), ("eval_datasets", "datasets"), ("teachers", "teachers"), ("students", "students")):
            for name in spec.get(kind, []):
                if name not in config.get(key, {}):
                    raise ConfigError(f"experiments.{exp}.{kind}: {name!r} is not defined under {key}: (defined: {', '.join(sorted(config.get(key, {}))) or 'none'})")
        if spec["method"] in ("summarize", "router"):
            from .methods import router_runs, summarize

            try:
                summarize.check(exp, spec, config) if spec["method"] == "summarize" else router_runs.check(exp, spec)
            except ValueError as exc:
                raise ConfigError(str(exc)) from None
        if spec["method"] in ("undo", "fair"):
            from .methods import rounds

            try:
                rounds.knobs(exp, spec, config)
            except ValueError as exc:
                raise ConfigError(str(exc)) from None
        if spec["method"] in ("multistyle", "router"):
            from .teacher_prompts import load_prompts

            known = load_prompts()["styles"]
            for key in ("styles", "single_styles"):
                for s in spec.get(key, []):
                    if s not in known:
                        raise ConfigError(f"experiments.{exp}.{key}: unknown style {s!r} (prompts/solve.yaml has {', '.join(known)})")


def _runs(exp: str, spec: dict, sources: list[tuple[str, dict]]) -> list[Run]:
    keep = spec.get("filter", "correct")
    evals = tuple(spec.get("eval_datasets") or ())
    return [
        Run(exp, spec["method"], student, ds, f"{teacher}.{source}.{keep}", evals or (ds,), {"teacher": teacher, **labels})
        for student in spec["students"]
        for ds in spec["datasets"]
        for teacher in spec["teachers"]
        for source, labels in sources
    ]


def experiment_runs(exp: str, spec: dict) -> list[Run]:
    method = spec["method"]
    if method == "distill":
        sources = [(p, {"style": p}) for p in spec.get("promptings", ["direct", "cot"])]
    elif method == "multistyle":
        sources = [(f"multistyle-{exp}-all", {"style": "all"}), (f"multistyle-{exp}-best", {"style": "best"}), ("strong", {"style": "strong"})]
        sources += [(f"style-{s}", {"style": s}) for s in spec.get("single_styles", [])]
    elif method == "factors":
        sources = [
            (f"g{g}-{f}", {"granularity": g, "format": f})
            for g in spec.get("granularities", [1, 2, 3, 4, 5, 6])
            for f in spec.get("formats", ["nl"])
        ]
    elif method == "summarize":
        from .methods import summarize

        return summarize.runs(exp, spec)
    elif method == "router":
        from .methods import router_runs

        return router_runs.runs(exp, spec)
    elif method in ("undo", "fair"):
        from .methods import rounds

        return rounds.runs(exp, spec)
    else:
        raise ConfigError(f"experiments.{exp}.method: {method!r} is not available in this version")
    return _runs(exp, spec, sources)


def expand_runs(config: dict) -> list[Run]:
    check_references(config)
    return [run for exp, spec in config["experiments"].items() for run in experiment_runs(exp, spec)]


def multistyle_styles(config: dict, experiment: str) -> list[str]:
    return list(config["experiments"][experiment].get("styles", []))


def rationale_promptings(config: dict, source: str) -> list[str]:
    """The rationale files (promptings) that an SFT source is built from."""
    if source.startswith("multistyle-"):
        experiment = source[len("multistyle-") :].rsplit("-", 1)[0]
        return [f"style-{s}" for s in multistyle_styles(config, experiment)]
    return [source]
