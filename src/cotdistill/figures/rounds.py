"""The UNDO and FAIR figures, drawn from the results table (``report.build_table``)."""

from __future__ import annotations

import pandas as pd

from ..io import read_json
from ..report import cells
from .common import HELD_OUT, finish, plt, save, yerr


def undo_rounds(df: pd.DataFrame, inputs: dict, out: str) -> None:
    """Accuracy by round, a line per chain; the one-shot baselines (one per round, trained for the same total
    epochs as that round) as a dashed line over the rounds they match."""
    df = cells(df)
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    for i, (key, g) in enumerate(df.groupby(["experiment", "teacher", "student", "dataset"])):
        rounds = g[g["style"] != "one-shot"].dropna(subset=["round"]).sort_values("round")
        shots = g[g["style"] == "one-shot"].dropna(subset=["round"]).sort_values("round")
        color = f"C{i}"
        ax.errorbar(rounds["round"].astype(int), rounds["value"], yerr=yerr(rounds), marker="o", capsize=3, color=color,
                    label="{1} → {2} on {3} ({0})".format(*key))
        if len(shots):
            ax.errorbar(shots["round"].astype(int), shots["value"], yerr=yerr(shots), marker="s", capsize=3, color=color,
                        linestyle="--", label="one-shot, same total epochs")
    ax.set_xlabel("round (0 = plain CoT distillation)")
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.legend(fontsize=7)
    finish(ax, "UNDO: accuracy by round", out)


FAIR_LABELS = {"untrained": "untrained\nstudent", "unfiltered": "all teachers,\nno peer review", "nofeedback": "no feedback\n(rationales only)"}


def fair_label(row) -> str:
    if row.style == "single":
        return f"{row.teacher} only"
    return FAIR_LABELS.get(row.style) or f"FAIR round {int(row.round)}"


def fair(df: pd.DataFrame, inputs: dict, out: str) -> None:
    """Bars per (experiment, student, dataset): the untrained student, each teacher only, all teachers without
    peer review, no feedback, FAIR rounds; peer review's precision (accepted vs pool) in the title."""
    acceptance = {path: read_json(path) for path in inputs.get("acceptance", [])}
    order = {"untrained": 0, "single": 1, "unfiltered": 2, "nofeedback": 3, "fair": 4}
    df = cells(df)
    df = df.assign(_o=df["style"].map(order), _r=df["round"].fillna(0)).sort_values(["experiment", "student", "dataset", "_o", "_r", "teacher"])
    groups = list(df.groupby(["experiment", "student", "dataset"], sort=False))
    fig, axes = plt.subplots(1, len(groups), figsize=(max(6.4, 4.2 * len(groups)), 4.6), squeeze=False)
    for ax, (key, g) in zip(axes[0], groups):
        labels = [fair_label(r) for r in g.itertuples()]
        ax.bar(range(len(g)), g["value"], yerr=yerr(g), capsize=2, color=[f"C{order[s]}" for s in g["style"]])
        ax.set_xticks(range(len(g)), labels, rotation=30, ha="right", fontsize=8)
        reports = [a for path, a in acceptance.items() if f"/fair/{key[0]}/{key[1]}/{key[2]}/" in path]
        acc = sum(a["accepted_correct"] for a in reports), sum(a["accepted"] for a in reports)
        pool = sum(a["correct"] for a in reports), sum(a["rationales"] for a in reports)
        hints = sorted({kind for a in reports for kind in a.get("reviewer_precision", {})})  # hinted: the reviewers saw the gold
        note = (f"\npeer review ({'/'.join(hints) or 'hinted'} reviewers) kept {acc[1]}/{pool[1]}: precision "
                f"{acc[0] / max(acc[1], 1):.2f} vs pool {pool[0] / max(pool[1], 1):.2f}") if pool[1] else ""
        ax.set_title(f"{key[0]}: {key[1]} on {key[2]}{note}", fontsize=9)
        ax.set_ylabel(HELD_OUT)
        ax.set_ylim(0, 1)
        ax.grid(axis="y", alpha=0.3)
    save(fig, out)
