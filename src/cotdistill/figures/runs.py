"""Figures over the results table's runs: accuracy per run, the factors grid, the styles."""

from __future__ import annotations

from collections import defaultdict

import pandas as pd

from ..io import read_jsonl
from ..methods.multistyle import style_accuracy
from ..report import cells
from .common import finish, plt, save, text, with_wilson, yerr


def run_label(r) -> str:
    """``experiment: recipe [iteration, variant]`` over ``who on dataset``; a loop run by a teacher (no
    student, no recipe) is named by its model, its iteration and whether the gold answer stopped it."""
    what = text(r.recipe).rsplit(".", 1)[0]
    if r.method == "summarize" and text(r.round):
        what = f"{what} iter {text(r.round)} {text(getattr(r, 'variant', ''))}".strip()
    who = text(r.student) or text(getattr(r, "model", "")) or text(r.teacher)
    return f"{r.experiment}: {what}\n{who} on {r.dataset}"


def accuracy(df: pd.DataFrame, inputs: dict, out: str) -> None:
    """Every run's accuracy (mean over seeds where replicated), grouped by experiment, with 95 % intervals."""
    df = cells(df).sort_values(["experiment", "dataset", "recipe"])
    labels = [run_label(r) for r in df.itertuples()]
    fig, ax = plt.subplots(figsize=(max(6, 0.55 * len(df)), 4.8))
    ax.bar(range(len(df)), df["value"], yerr=yerr(df), capsize=2, ecolor="0.3",
           color=[f"C{i}" for i in pd.factorize(df["experiment"])[0]])
    ax.set_xticks(range(len(df)), labels, rotation=60, ha="right", fontsize=7)
    finish(ax, "Student accuracy per run", out)


def granularity(df: pd.DataFrame, inputs: dict, out: str) -> None:
    """Accuracy against CoT granularity, a line per student (and format, teacher, dataset)."""
    df = cells(df).dropna(subset=["granularity"]).astype({"granularity": int})
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    for key, g in df.groupby(["student", "format", "teacher", "dataset"]):
        g = g.sort_values("granularity")
        ax.errorbar(g["granularity"], g["value"], yerr=yerr(g), marker="o", capsize=3, label="{} ({}, {}, {})".format(*key))
    ax.set_xlabel("CoT granularity level (1 = one line … 6 = numbered steps + check)")
    ax.set_xticks(range(1, 7))
    ax.legend(fontsize=7)
    finish(ax, "Accuracy vs. CoT granularity", out)


def _grouped_bars(df: pd.DataFrame, by: str, out: str, title: str, xlabel: str) -> None:
    """Accuracy per value of ``by``, one bar series per student; pooled over the other cells, so the
    interval is the Wilson interval of all their problems together."""
    pooled = df.groupby([by, "student"])[["k", "n"]].sum().reset_index()
    pooled["value"] = pooled["k"] / pooled["n"]
    pooled = with_wilson(pooled, "value")
    students = sorted(pooled["student"].unique())
    keys = sorted(pooled[by].unique(), key=str)
    width = 0.8 / max(1, len(students))
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    for i, s in enumerate(students):
        g = pooled[pooled["student"] == s].set_index(by).reindex(keys).reset_index()
        ax.bar([j + (i - (len(students) - 1) / 2) * width for j in range(len(keys))], g["value"].fillna(0), width,
               yerr=yerr(g.fillna(0)), capsize=2, label=s)
    ax.set_xticks(range(len(keys)), [str(k) for k in keys])
    ax.set_xlabel(xlabel)
    ax.legend(title="student", fontsize=8)
    finish(ax, title, out)


def format_(df: pd.DataFrame, inputs: dict, out: str) -> None:
    _grouped_bars(df.dropna(subset=["format"]), "format", out, "Accuracy by CoT format (pooled over granularities)", "CoT format")


def teacher(df: pd.DataFrame, inputs: dict, out: str) -> None:
    _grouped_bars(df.dropna(subset=["teacher"]), "teacher", out, "Accuracy by teacher (pooled over cells)", "teacher")


def styles(df: pd.DataFrame, inputs: dict, out: str) -> None:
    """Student accuracy per style recipe beside the teacher's per-style correctness on training problems."""
    pooled = defaultdict(list)
    for path in inputs.get("logs", []):
        for style, acc in style_accuracy(read_jsonl(path)).items():
            pooled[style].append(acc)
    teacher_acc = pd.Series({s: sum(v) / len(v) for s, v in pooled.items()}).sort_values()
    c = cells(df).groupby("style")[["value", "low", "high"]].mean().sort_values("value")
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4.4))
    err = yerr(c)
    left.barh(c.index, c["value"], xerr=err, capsize=2, color="C0")
    left.set_xlim(0, 1)
    left.set_xlabel("student accuracy on held-out test problems (95 % CI)")
    left.set_title("Student trained on each style recipe")
    right.barh(teacher_acc.index, teacher_acc.values, color="C1")
    right.set_xlim(0, 1)
    right.set_xlabel("teacher correctness on training problems")
    right.set_title("Teacher correctness per style")
    save(fig, out)
