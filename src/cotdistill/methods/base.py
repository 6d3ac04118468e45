"""The method interface: what every experiment method declares, and the settings every experiment shares.

A method is a :class:`Method`: its closed settings dataclass (a subclass of :class:`Experiment`), the runs
an experiment of it expands into, the figures it draws, and optional hooks (cross-reference checks,
extra targets, SFT sources it builds, early-stop gates). ``cotdistill.experiments`` holds the registry.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from ..errors import ConfigError
from ..runs import Run
from ..settings import check_choice, from_dict


@dataclass
class Experiment:
    """The keys every experiment has (config ``experiments.<name>``)."""

    method: str
    datasets: list[str]
    teachers: list[str]
    students: list[str] = field(default_factory=list)
    eval_datasets: list[str] = field(default_factory=list)
    filter: str = "correct"
    # the split the students are scored on: `dev` for choosing settings (a tuning study), never reported as test
    eval_split: str = "test"

    def __post_init__(self):
        check_choice(self.filter, ("correct", "all"), "filter")
        check_choice(self.eval_split, EVAL_SPLITS, "eval_split")


EVAL_SPLITS = ("test", "dev")


def check_names(where: str, key: str, names, config: dict, block: str) -> None:
    """Every name of ``names`` is defined under ``config[block]``."""
    defined = config.get(block, {})
    for name in names:
        if name not in defined:
            raise ConfigError(f"{where}.{key}: {name!r} is not defined under {block}: "
                              f"(defined: {', '.join(sorted(defined)) or 'none'})")


def check_references(where: str, s: Experiment, config: dict) -> None:
    for key, block in (("datasets", "datasets"), ("eval_datasets", "datasets"), ("teachers", "teachers"),
                       ("students", "students")):
        check_names(where, key, getattr(s, key), config, block)


def check_dev_split(where: str, key: str, datasets, config: dict, otherwise: str = "") -> None:
    """Every dataset of ``datasets`` declares a dev split (what ``key: dev`` needs); ``otherwise`` names
    the alternative the message offers."""
    from ..data.benchmarks import has_dev_split

    for ds in datasets:
        if not has_dev_split(ds, config["datasets"][ds]):
            raise ConfigError(f"{where}.{key}: dev, but datasets.{ds} has no dev split (set datasets.{ds}.n_dev "
                              f"for a generator, dev_size or a dev file otherwise{'; or ' + otherwise if otherwise else ''})")


def check_styles(where: str, **lists) -> None:
    """Every style of each named list is one of prompts/solve.yaml's."""
    from ..teacher_prompts import load_prompts

    known = load_prompts()["styles"]
    for key, styles in lists.items():
        for s in styles:
            if s not in known:
                raise ConfigError(f"{where}.{key}: unknown style {s!r} (prompts/solve.yaml has {', '.join(known)})")


@dataclass(frozen=True)
class Method:
    """One experiment method. Hooks take the experiment's name and its parsed settings.

    - ``settings``: the closed dataclass of ``experiments.<name>`` (common keys from :class:`Experiment`).
    - ``runs(name, s) -> list[Run]``: the runs (rows of ``all.csv``) of one experiment.
    - ``figures``: figure names (``results/figures/<name>.png``) drawn when the study has such runs.
    - ``check(where, s, config)``: cross-reference checks beyond the dataclass (names defined elsewhere).
    - ``targets(name, s) -> list[str]``: extra targets under the results directory (tables).
    - ``sft_inputs(config, layout, teacher, dataset, source) -> list[str] | None``: the files an SFT source
      of this method is built from (None: not this method's source).
    - ``sft_rationales(source, inputs) -> list[dict] | None``: rationale rows from those files' rows.
    - ``gates(run, s) -> list[dict]``: early-stop checkpoints a run depends on (wildcards of ``round_gate``).
    - ``foreign``: keys of sibling methods, with the message given when one appears here.
    - ``parser(name, spec)``: builds the settings where ``from_dict`` alone cannot.
    - ``eval_splits``: the splits its runs may be scored on (``eval_split``); ``dev`` where the runs are
      evaluated by the generic generate/score rules.
    """

    name: str
    settings: type
    runs: Callable[[str, Experiment], list[Run]]
    figures: tuple[str, ...] = ()
    check: Callable | None = None
    targets: Callable | None = None
    sft_inputs: Callable | None = None
    sft_rationales: Callable | None = None
    gates: Callable | None = None
    foreign: dict = field(default_factory=dict)
    parser: Callable | None = None  # parser(name, spec) where from_dict alone cannot build the settings
    eval_splits: tuple[str, ...] = ("test",)

    def parse(self, name: str, spec: dict) -> Experiment:
        if self.parser:
            return self.parser(name, spec)
        for key in spec:
            if key in self.foreign:
                raise ConfigError(f"experiments.{name}.{key}: {self.foreign[key]}")
        return from_dict(self.settings, spec, f"experiments.{name}")
