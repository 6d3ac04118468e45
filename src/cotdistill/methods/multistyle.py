"""Multi-style CoT (Distill): one problem, N reasoning styles; the enriched log, the correct-only set
and the SFT mixes built from them (all correct styles, best-of-styles).

Recipes: ``{teacher}.multistyle-{exp}-all|best.{filter}`` (built from the enriched log), the strong wrapper
(``strong``) and each of ``single_styles`` (``style-<s>``). Best-of-styles ranks the styles by the teacher's
accuracy on the dataset's dev problems (``select_on: dev``, the default) or on the training problems
themselves (``select_on: train``); the ranking is the selection record beside the enriched log.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .. import paths
from ..runs import grid
from ..settings import check_choice
from .base import EVAL_SPLITS, Experiment, Method, check_dev_split, check_styles

SOURCE = re.compile(paths.MULTISTYLE_SOURCE)
SELECT_ON = ("dev", "train")  # never test: the students are scored there


@dataclass
class Settings(Experiment):
    styles: list[str] = field(default_factory=list)
    single_styles: list[str] = field(default_factory=list)
    select_on: str = "dev"  # where best-of-styles ranks the styles: the dev problems, or the training problems (train)

    def __post_init__(self):
        super().__post_init__()
        if self.select_on == "test":  # the ranking would be chosen on the split the students are scored on
            raise ValueError("select_on: test would choose the best style on the test split; use dev (or train)")
        check_choice(self.select_on, SELECT_ON, "select_on")


def check(where: str, s: Settings, config: dict) -> None:
    check_styles(where, styles=s.styles, single_styles=s.single_styles)
    if s.select_on == "dev":
        check_dev_split(where, "select_on", s.datasets, config, "select_on: train")


def runs(name: str, s: Settings):
    sources = [(f"multistyle-{name}-all", {"style": "all"}), (f"multistyle-{name}-best", {"style": "best"}),
               ("strong", {"style": "strong"})]
    return grid(name, "multistyle", s, sources + [(f"style-{x}", {"style": x}) for x in s.single_styles])


def style_promptings(styles: list[str]) -> list[str]:
    """The rationale files (promptings) that the enriched log joins."""
    return [f"style-{s}" for s in styles]


def selection_inputs(layout, s: Settings, teacher: str, dataset: str) -> dict[str, list[str]]:
    """What the style ranking is computed from beside the enriched log: with ``select_on: dev`` the dev
    problems and each style's rationales on them (``select_on: train`` ranks on the enriched log itself)."""
    if s.select_on == "train":
        return {"problems": [], "rationales": []}
    return {"problems": [layout.path("data", dataset=dataset, split=s.select_on)],
            "rationales": [layout.path("split_rationales", teacher=teacher, dataset=dataset, prompting=p, split=s.select_on)
                           for p in style_promptings(s.styles)]}


def sft_inputs(config: dict, layout, teacher: str, dataset: str, source: str) -> list[str] | None:
    """The enriched log; for the best-of-styles mix also the selection record (the style ranking)."""
    m = SOURCE.match(source)
    if not m:
        return None
    where = {"experiment": m["experiment"], "teacher": teacher, "dataset": dataset}
    extra = [layout.path("multistyle_selection", **where)] if m["mix"] == "best" else []
    return [layout.path("multistyle_log", **where)] + extra


def sft_mix(source: str, inputs: list[list[dict]]) -> list[dict] | None:
    """``inputs``: the enriched log's rows, and for ``best`` the selection record as a one-row list."""
    m = SOURCE.match(source)
    if not m:
        return None
    return sft_rationales(inputs[0], m["mix"], inputs[1][0]["ranking"] if m["mix"] == "best" else None)


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


def select_styles(rows: list[dict], split: str) -> dict:
    """The selection record of best-of-styles: the teacher's accuracy per style on ``rows`` (an enriched
    log of the ``split`` problems), the styles ranked by it (ties: the configured order) and the chosen one."""
    acc = style_accuracy(rows)
    styles = rows[0]["styles"] if rows else []
    ranking = sorted(styles, key=lambda s: (-acc[s], styles.index(s)))
    return {"select_on": split, "n": len(rows), "accuracy": acc, "ranking": ranking,
            "chosen": ranking[0] if ranking else None}


def sft_rationales(rows: list[dict], mode: str, ranking: list[str] | None = None) -> list[dict]:
    """Rationale rows (id, response, correct) for an SFT mix: ``all`` correct styles, or ``best`` — per
    problem the correct response of the highest-ranked style (``ranking``: most accurate first, from
    :func:`select_styles` on the selection split); when no style is right, the top style's response."""
    if mode == "all":
        return [
            {"id": r["id"], "response": resp, "correct": ok, "style": s}
            for r in rows
            for s, resp, ok in zip(r["styles"], r["responses"], r["correct_flags"])
        ]
    if mode == "best":
        if not ranking:
            raise ValueError("best-of-styles needs the style ranking of the selection record (rule multistyle_select)")
        out = []
        for r in rows:
            rank = {s: ranking.index(s) if s in ranking else len(ranking) for s in r["styles"]}
            ranked = sorted(range(len(r["styles"])), key=lambda i: (-r["correct_flags"][i], rank[r["styles"][i]], i))
            i = ranked[0]
            out.append({"id": r["id"], "response": r["responses"][i], "correct": r["correct_flags"][i], "style": r["styles"][i]})
        return out
    raise ValueError(f"multistyle SFT mode must be 'all' or 'best', not {mode!r}")


METHOD = Method("multistyle", Settings, runs, figures=("styles",), check=check, sft_inputs=sft_inputs,
                sft_rationales=sft_mix, eval_splits=EVAL_SPLITS)
