"""A run — one (student, training set, SFT recipe) cell of an experiment — and recipe names.

A recipe is ``{teacher}.{source}.{filter}``: ``source`` says what the SFT set is built from (a prompting,
a multi-style mix, a round, ...); ``filter`` is ``correct`` or ``all``. A run's files live under
``{student}/{train_set}/{recipe}``, so two experiments that need the same cell share its training.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Run:
    experiment: str
    method: str
    student: str
    train_set: str
    recipe: str
    eval_sets: tuple[str, ...]
    labels: dict = field(default_factory=dict)  # teacher, style, granularity, format, round, ...
    metrics: str | None = None  # metrics file under results_dir, where a method does not evaluate under eval/

    @property
    def path(self) -> str:
        return f"{self.student}/{self.train_set}/{self.recipe}"

    def as_dict(self) -> dict:
        """A plain dict (what rule params carry, so a change to a run reruns the report)."""
        return {**vars(self), "eval_sets": list(self.eval_sets)}


def recipe(teacher: str, source: str, keep: str) -> str:
    return f"{teacher}.{source}.{keep}"


def split_recipe(recipe: str) -> tuple[str, str, str]:
    """``(teacher, source, filter)`` of a recipe name."""
    teacher, rest = recipe.split(".", 1)
    source, keep = rest.rsplit(".", 1)
    return teacher, source, keep


def grid(exp: str, method: str, s, sources: list[tuple[str, dict]]) -> list[Run]:
    """One run per student × dataset × teacher × (source, labels): the shape of the single-recipe methods.
    ``s`` is the experiment's settings (students, datasets, teachers, eval_datasets, filter)."""
    evals = tuple(s.eval_datasets or ())
    return [
        Run(exp, method, student, ds, recipe(teacher, source, s.filter), evals or (ds,), {"teacher": teacher, **labels})
        for student in s.students
        for ds in s.datasets
        for teacher in s.teachers
        for source, labels in sources
    ]
