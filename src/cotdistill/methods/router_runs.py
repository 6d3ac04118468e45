"""The two-student router mixture in the DAG: runs, training rows, evaluation views, generation.

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
from pathlib import Path

from ..io import read_json
from ..prompts import core_prompt
from .router import RouterConfig

VIEWS = {"router": ("ens", "a", "b"), "naive": ("ens",), "only_a": ("a",), "only_b": ("b",)}
VIEW_FILE = "router_view.json"


class RouterConfigError(ValueError):
    """A router experiment's config mistake; the message names the key."""


def modes(spec: dict) -> list[str]:
    return list(VIEWS) if spec.get("baselines", True) else ["router"]


def check(exp: str, spec: dict) -> RouterConfig:
    where = f"experiments.{exp}"
    if len(spec.get("students") or []) != 2:
        raise RouterConfigError(f"{where}.students: a router experiment needs exactly two students (A, B), "
                                f"not {spec.get('students')!r}")
    if not spec.get("styles"):
        raise RouterConfigError(f"{where}.styles: the router learns from per-style rationales; list the styles")
    block = dict(spec.get("router") or {})
    if "mode" in block:
        raise RouterConfigError(f"{where}.router.mode: set by the DAG (router + baselines); use baselines: false "
                                "to train the router mixture only")
    try:
        return RouterConfig.from_dict(block, where=f"{where}.router")
    except ValueError as exc:
        msg = str(exc)
        raise RouterConfigError(msg if msg.startswith(where) else f"{where}.{msg}") from None


def recipe(teacher: str, exp: str, mode: str, member: str, keep: str) -> str:
    return f"{teacher}.router-{exp}-{mode}-{member}.{keep}"


def view_student(spec: dict, member: str) -> str:
    return spec["students"][1] if member == "b" else spec["students"][0]


def runs(exp: str, spec: dict):
    """One Run per (dataset, teacher, mode, member view)."""
    from ..experiments import Run

    keep = spec.get("filter", "correct")
    evals = tuple(spec.get("eval_datasets") or ())
    return [
        Run(exp, "router", view_student(spec, member), ds, recipe(teacher, exp, mode, member, keep), evals or (ds,),
            {"teacher": teacher, "style": "all", "mode": mode, "member": member,
             "students": "+".join(spec["students"])})
        for ds in spec["datasets"]
        for teacher in spec["teachers"]
        for mode in modes(spec)
        for member in VIEWS[mode]
    ]


def training_rows(problems: list[dict], enriched: list[dict], keep: str = "correct") -> list[dict]:
    """Router training rows (``id``, ``style``, chat ``messages``) from a multi-style enriched log."""
    by_id = {p["id"]: p for p in problems}
    rows = []
    for r in enriched:
        p = by_id.get(r["id"])
        if p is None:
            continue
        for style, resp, ok in zip(r["styles"], r["responses"], r["correct_flags"]):
            if (keep == "correct" and not ok) or not (resp or "").strip():
                continue
            rows.append({"id": f"{r['id']}-{style}", "style": style, "messages": [
                {"role": "user", "content": core_prompt(p)}, {"role": "assistant", "content": resp.strip()}]})
    return rows


def members(mode: str, member: str) -> list[str]:
    if member not in VIEWS.get(mode, ()):
        raise ValueError(f"router mode {mode!r} has no member {member!r} (has {VIEWS.get(mode)})")
    return ["a", "b"] if member == "ens" else [member]


def is_view(checkpoint: str | os.PathLike) -> bool:
    return (Path(checkpoint) / VIEW_FILE).is_file()


def generate_view(checkpoint: str | os.PathLike, template: str, prompts: list[str], *, max_new_tokens: int,
                  batch_size: int) -> list[str]:
    """Greedy answers of a router view (the mixture or one member), prompts encoded by LLaMA-Factory's template."""
    from ..generate import encode_prompts
    from .router import load_ensemble

    view = read_json(Path(checkpoint) / VIEW_FILE)
    ens = load_ensemble(view["run"], members=tuple(view["members"]))
    ids = encode_prompts(ens.tokenizer, template, prompts)
    return ens.generate_ids(ids, max_new_tokens=max_new_tokens, batch_size=batch_size)
