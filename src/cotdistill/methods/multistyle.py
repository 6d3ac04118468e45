"""Multi-style CoT (Distill): one problem, N reasoning styles; the enriched log, the correct-only set
and the SFT mixes built from them (all correct styles, best-of-styles).

Recipes: ``{teacher}.multistyle-{exp}-all|best.{filter}`` (built from the enriched log), the strong wrapper
(``strong``) and each of ``single_styles`` (``style-<s>``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .. import paths
from ..runs import grid
from .base import Experiment, Method, check_styles

SOURCE = re.compile(paths.MULTISTYLE_SOURCE)


@dataclass
class Settings(Experiment):
    styles: list[str] = field(default_factory=list)
    single_styles: list[str] = field(default_factory=list)


def check(where: str, s: Settings, config: dict) -> None:
    check_styles(where, styles=s.styles, single_styles=s.single_styles)


def runs(name: str, s: Settings):
    sources = [(f"multistyle-{name}-all", {"style": "all"}), (f"multistyle-{name}-best", {"style": "best"}),
               ("strong", {"style": "strong"})]
    return grid(name, "multistyle", s, sources + [(f"style-{x}", {"style": x}) for x in s.single_styles])


def style_promptings(styles: list[str]) -> list[str]:
    """The rationale files (promptings) that the enriched log joins."""
    return [f"style-{s}" for s in styles]


def sft_inputs(config: dict, layout, teacher: str, dataset: str, source: str) -> list[str] | None:
    m = SOURCE.match(source)
    return [layout.path("multistyle_log", experiment=m["experiment"], teacher=teacher, dataset=dataset)] if m else None


def sft_mix(source: str, inputs: list[list[dict]]) -> list[dict] | None:
    m = SOURCE.match(source)
    return sft_rationales(inputs[0], m["mix"]) if m else None


def enrich(problems: list[dict], styles: list[str], rationales: dict[str, list[dict]]) -> list[dict]:
    """One row per problem with per-style ``prompts``, ``responses``, ``preds``, ``correct_flags``
    (lists in ``styles`` order), as the Distill scripts write them."""
    by_style = {s: {r["id"]: r for r in rationales[s]} for s in styles}
    rows = []
    for p in problems:
        got = [by_style[s].get(p["id"]) for s in styles]
        if any(r is None for r in got):
            continue
        rows.append(
            {
                "id": p["id"],
                "question": p["question"],
                "answer": p["answer"],
                "styles": list(styles),
                "prompts": [r["messages"][-1]["content"] for r in got],
                "responses": [r["response"] for r in got],
                "preds": [r["pred"] for r in got],
                "correct_flags": [bool(r["correct"]) for r in got],
            }
        )
    return rows


def correct_only(rows: list[dict]) -> list[dict]:
    """Problems that at least one style got right."""
    return [r for r in rows if any(r["correct_flags"])]


def style_accuracy(rows: list[dict]) -> dict[str, float]:
    if not rows:
        return {}
    styles = rows[0]["styles"]
    return {s: sum(r["correct_flags"][i] for r in rows) / len(rows) for i, s in enumerate(styles)}


def sft_rationales(rows: list[dict], mode: str) -> list[dict]:
    """Rationale rows (id, response, correct) for an SFT mix: ``all`` correct styles, or ``best`` — per
    problem the correct response of the style the teacher is most accurate with overall."""
    if mode == "all":
        return [
            {"id": r["id"], "response": resp, "correct": ok, "style": s}
            for r in rows
            for s, resp, ok in zip(r["styles"], r["responses"], r["correct_flags"])
        ]
    if mode == "best":
        acc = style_accuracy(rows)
        out = []
        for r in rows:
            ranked = sorted(range(len(r["styles"])), key=lambda i: (-r["correct_flags"][i], -acc[r["styles"][i]], i))
            i = ranked[0]
            out.append({"id": r["id"], "response": r["responses"][i], "correct": r["correct_flags"][i], "style": r["styles"][i]})
        return out
    raise ValueError(f"multistyle SFT mode must be 'all' or 'best', not {mode!r}")


METHOD = Method("multistyle", Settings, runs, figures=("styles",), check=check, sft_inputs=sft_inputs,
                sft_rationales=sft_mix)
