"""Two students and a CoT router trained together (the "Distill" mixture), as a method of the DAG.

For every training example (question + a rationale of some style) a small router picks one student by a
hard, straight-through Gumbel-softmax; only that student learns the example, and the router learns from
the chosen student's loss. Two learned weights mix the students' next-token distributions into an
ensemble, trained by the ensemble's own NLL. An optional consistency term pulls each student towards
the ensemble: a true KL(student || ensemble) over token distributions (default), or, as the original
code did under the name "KL", an MSE between projected hidden states (``consistency="mse"``).

Modules: ``config`` (RouterConfig), ``encoding`` (rows, chat-template encoding), ``trainer``
(``train_router``), ``ensemble`` (``load_ensemble``, generation of a view), ``logs`` (positive routing
rates and their plot). This module is the DAG side:

An experiment ``method: router`` names two students (A, B), a teacher and the CoT ``styles``; the
multi-style enriched log gives one rationale per style, each a training row with its style. Modes: the
router mixture, and with ``baselines: true`` (default) both students without routing (``naive``, the
original ``distill_naive``) and each student alone (``only_a``, ``only_b``). A trained mode lives under
``results/router/{experiment}/{teacher}/{dataset}/{mode}/``; what is evaluated is a *view* of it, a
checkpoint folder holding only ``router_view.json`` (the run and its members) at the usual
``results/checkpoints/{student}/{dataset}/{recipe}`` place, so the normal ``generate`` and ``score``
rules evaluate it. Recipe: ``{teacher}.router-{experiment}-{mode}-{member}.{filter}``, member ``ens``
(the learned mixture), ``a`` or ``b``; an ``ens`` view sits under student A's name.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from ... import paths
from ...gold_rationales import answer_line
from ...prompts import core_prompt
from ...runs import Run
from ..base import Experiment, Method, check_styles
from .config import RouterConfig

VIEWS = {"router": ("ens", "a", "b"), "naive": ("ens",), "only_a": ("a",), "only_b": ("b",), "sft": ("ens",)}
PROMPTS = ("wrapped", "core")
VIEW_FILE = "router_view.json"


@dataclass
class Settings(Experiment):
    styles: list[str] = field(default_factory=list)
    baselines: bool = True
    sft_baseline: bool = False  # mode sft: both students learn the gold answers (the reference's is_sft)
    prompt: str = "wrapped"  # the students' training prompt: the style-wrapped one the teacher saw (the reference) or the core prompt
    router: dict = field(default_factory=dict)  # RouterConfig fields but `mode` (set by the DAG)

    def __post_init__(self):
        super().__post_init__()
        if len(self.students or []) != 2:
            raise ValueError(f"students: a router experiment needs exactly two students (A, B), not {self.students!r}")
        if not self.styles:
            raise ValueError("styles: the router learns from per-style rationales; list the styles")
        if "mode" in (self.router or {}):
            raise ValueError("router.mode: set by the DAG (router + baselines); use baselines: false to train the "
                             "router mixture only")
        RouterConfig.from_dict(dict(self.router or {}), where="router")  # closed: raises on a wrong key
        if self.prompt not in PROMPTS:
            raise ValueError(f"prompt: one of {', '.join(PROMPTS)}, not {self.prompt!r}")


def check(where: str, s: Settings, config: dict) -> None:
    check_styles(where, styles=s.styles)


def modes(s: Settings) -> list[str]:
    out = [m for m in VIEWS if m != "sft"] if s.baselines else ["router"]
    return out + (["sft"] if s.sft_baseline else [])


def recipe(teacher: str, exp: str, mode: str, member: str, keep: str) -> str:
    return f"{teacher}.router-{exp}-{mode}-{member}.{keep}"


def view_student(students: list[str], member: str) -> str:
    return students[1] if member == "b" else students[0]


def runs(exp: str, s: Settings):
    """One Run per (dataset, teacher, mode, member view)."""
    evals = tuple(s.eval_datasets or ())
    return [
        Run(exp, "router", view_student(s.students, member), ds, recipe(teacher, exp, mode, member, s.filter),
            evals or (ds,), {"teacher": teacher, "style": "all", "mode": mode, "member": member,
                             "students": "+".join(s.students)})
        for ds in s.datasets
        for teacher in s.teachers
        for mode in modes(s)
        for member in VIEWS[mode]
    ]


def targets(name: str, s: Settings) -> list[str]:
    return [paths.relative("table", name="router_posrate")]


def router_dirs(runs: list[Run], layout: paths.Layout) -> list[tuple[str, dict]]:
    """(trained router-mode folder, {experiment, teacher, dataset}) of every router run, sorted by path."""
    found = {layout.path("router_mode", experiment=r.experiment, teacher=r.labels["teacher"], dataset=r.train_set, mode="router"):
             {"experiment": r.experiment, "teacher": r.labels["teacher"], "dataset": r.train_set}
             for r in runs if r.method == "router" and r.labels["mode"] == "router"}
    return sorted(found.items())



def training_rows(problems: list[dict], enriched: list[dict], keep: str = "correct", prompt: str = "wrapped",
                  gold: bool = False) -> list[dict]:
    """Router training rows (``id``, ``group`` = the problem, ``style``, chat ``messages``) from a multi-style
    enriched log: one per kept rationale, its prompt the style-wrapped one the teacher answered (``prompt:
    wrapped``, the reference's ``prompts[i]``) or the core prompt. With ``gold``, also one ``gold: true`` row
    per problem that has a kept rationale: the core prompt and ``\boxed{gold}`` (mode ``sft``, the
    reference's is_sft baseline; the trainer keeps these apart from the rationale rows)."""
    by_id = {p["id"]: p for p in problems}
    rows, grouped = [], []
    for r in enriched:
        p = by_id.get(r["id"])
        if p is None:
            continue
        wrapped = r.get("prompts") or [None] * len(r["styles"])
        before = len(rows)
        for style, user, resp, ok in zip(r["styles"], wrapped, r["responses"], r["correct_flags"]):
            if (keep == "correct" and not ok) or not (resp or "").strip():
                continue
            content = user if prompt == "wrapped" and user else core_prompt(p)
            rows.append({"id": f"{r['id']}-{style}", "group": r["id"], "style": style, "messages": [
                {"role": "user", "content": content}, {"role": "assistant", "content": resp.strip()}]})
        if len(rows) > before:
            grouped.append(p)
    if gold:
        rows += [{"id": f"{p['id']}-gold", "group": p["id"], "style": "gold", "gold": True, "messages": [
            {"role": "user", "content": core_prompt(p)}, {"role": "assistant", "content": answer_line(p["answer"], "boxed")}]}
            for p in grouped]
    return rows


def members(mode: str, member: str) -> list[str]:
    if member not in VIEWS.get(mode, ()):
        raise ValueError(f"router mode {mode!r} has no member {member!r} (has {VIEWS.get(mode)})")
    return ["a", "b"] if member == "ens" else [member]


def is_view(checkpoint: str | os.PathLike) -> bool:
    return (Path(checkpoint) / VIEW_FILE).is_file()


METHOD = Method("router", Settings, runs, figures=("router",), check=check, targets=targets)
