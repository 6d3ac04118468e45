"""Training-seed replicates: ``seeds: [1, 2, 3]`` on an experiment (a leaf; the data stay fixed).

Before the methods read the config, :func:`apply` gives each student of such an experiment one variant
per seed, ``{student}_seed{n}``: the same block with ``train.seed`` (and ``init.seed`` of a from-scratch
student) set to ``n``, so every rule treats a replicate as an ordinary student with its own files, and
replaces the experiment's ``students`` by the variants. :func:`label` marks a run of a variant with
``seed`` and ``seed_of`` (the student it replicates); the report averages over seeds
(``report.build_table``).
"""

from __future__ import annotations

import copy

from .errors import ConfigError

# Methods whose runs are independent per student (the router pairs two, rounds chain trainings).
SEEDED_METHODS = ("distill", "multistyle", "factors")


def variant(student: str, seed: int) -> str:
    return f"{student}_seed{seed}"


def apply(config: dict) -> dict[str, tuple[str, int]]:
    """Expand every experiment's ``seeds`` in place; returns ``{variant: (student, seed)}``."""
    made: dict[str, tuple[str, int]] = {}
    students = config.get("students", {})
    for name, spec in config.get("experiments", {}).items():
        seeds = spec.pop("seeds", None) if isinstance(spec, dict) else None
        if seeds is None:
            continue
        where = f"experiments.{name}.seeds"
        if spec.get("method") not in SEEDED_METHODS:
            raise ConfigError(f"{where}: replicates are for methods {', '.join(SEEDED_METHODS)}, not {spec.get('method')!r}")
        if not isinstance(seeds, list) or not seeds or len(set(seeds)) != len(seeds) or not all(isinstance(s, int) and not isinstance(s, bool) for s in seeds):
            raise ConfigError(f"{where}: a list of distinct integers, got {seeds!r}")
        out = []
        for student in spec.get("students", []):
            if student not in students:
                raise ConfigError(f"experiments.{name}.students: {student!r} is not defined under students: (defined: {', '.join(sorted(students)) or 'none'})")
            for seed in seeds:
                v = variant(student, seed)
                if v in students and made.get(v) != (student, seed):
                    raise ConfigError(f"{where}: the replicate name {v!r} is already a student under students:")
                block = copy.deepcopy(students[student])
                block.setdefault("train", {})["seed"] = seed
                if "init" in block:
                    block["init"]["seed"] = seed
                students[v] = block
                made[v] = (student, seed)
                out.append(v)
        spec["students"] = out
    return made


def label(run: dict, made: dict[str, tuple[str, int]]) -> dict:
    """A run dict (``Run.as_dict()``) with ``seed``/``seed_of`` labels when its student is a replicate."""
    if run["student"] not in made:
        return run
    student, seed = made[run["student"]]
    return {**run, "labels": {**run["labels"], "seed": seed, "seed_of": student}}


def label_runs(runs: list, made: dict[str, tuple[str, int]]) -> list:
    """``label`` for ``Run`` objects, in place (``rules/common.smk`` labels the study's runs once)."""
    for run in runs:
        if run.student in made:
            run.labels.update(seed=made[run.student][1], seed_of=made[run.student][0])
    return runs
