"""The results table (one row per run × evaluation dataset × experiment) and the figures drawn from it."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from .io import read_json  # noqa: E402

COLUMNS = ["experiment", "method", "student", "teacher", "dataset", "train_set", "recipe", "granularity", "format", "style", "round", "n", "accuracy"]


def run_rows(runs: list[dict]) -> list[dict]:
    """Expand run descriptions (as ``Run.__dict__``-like dicts) into one row per evaluation dataset."""
    return [
        {"experiment": r["experiment"], "method": r["method"], "student": r["student"], "train_set": r["train_set"],
         "recipe": r["recipe"], "dataset": ds, **r["labels"], **({"metrics": r["metrics"]} if r.get("metrics") else {})}
        for r in runs
        for ds in r["eval_sets"]
    ]


def metrics_path(results_dir: str, row: dict) -> str:
    if row.get("metrics"):  # a method with its own metrics file (summarize)
        return f"{results_dir}/{row['metrics']}"
    return f"{results_dir}/eval/{row['student']}/{row['train_set']}/{row['recipe']}/{row['dataset']}.metrics.json"


def build_table(runs: list[dict], results_dir: str) -> pd.DataFrame:
    rows = []
    for row in run_rows(runs):
        metrics = read_json(metrics_path(results_dir, row))
        rows.append({**{k: v for k, v in row.items() if k != "metrics"}, "n": metrics["n"], "accuracy": metrics["accuracy"]})
    df = pd.DataFrame(rows)
    for col in COLUMNS:
        if col not in df:
            df[col] = pd.NA
    for col in ("granularity", "round"):
        df[col] = df[col].astype("Int64")
    return df[COLUMNS + [c for c in df.columns if c not in COLUMNS]]


def _finish(ax, title: str, out: str, *, ylabel: str = "accuracy on held-out test problems") -> None:
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    ax.set_ylim(0, 1)
    ax.grid(axis="y", alpha=0.3)
    fig = ax.figure
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)


def _text(value) -> str:
    return "" if pd.isna(value) else str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def _run_label(r) -> str:
    """``experiment: recipe [iteration, variant]`` over ``who on dataset``; a loop run by a teacher (no
    student, no recipe) is named by its model, its iteration and whether the gold answer stopped it."""
    what = _text(r.recipe).rsplit(".", 1)[0]
    if r.method == "summarize" and _text(r.round):
        what = f"{what} iter {_text(r.round)} {_text(getattr(r, 'variant', ''))}".strip()
    who = _text(r.student) or _text(getattr(r, "model", "")) or _text(r.teacher)
    return f"{r.experiment}: {what}\n{who} on {r.dataset}"


def plot_accuracy(df: pd.DataFrame, out: str) -> None:
    """Every run's accuracy, grouped by experiment."""
    df = df.sort_values(["experiment", "dataset", "recipe"])
    labels = [_run_label(r) for r in df.itertuples()]
    fig, ax = plt.subplots(figsize=(max(6, 0.55 * len(df)), 4.8))
    ax.bar(range(len(df)), df["accuracy"], color=[f"C{i}" for i in pd.factorize(df["experiment"])[0]])
    ax.set_xticks(range(len(df)), labels, rotation=60, ha="right", fontsize=7)
    _finish(ax, "Student accuracy per run", out)


def plot_granularity(df: pd.DataFrame, out: str) -> None:
    """Accuracy against CoT granularity, a line per student (and format, teacher, dataset)."""
    df = df.dropna(subset=["granularity"]).astype({"granularity": int})
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    for key, g in df.groupby(["student", "format", "teacher", "dataset"]):
        g = g.sort_values("granularity")
        ax.plot(g["granularity"], g["accuracy"], marker="o", label="{} ({}, {}, {})".format(*key))
    ax.set_xlabel("CoT granularity level (1 = one line … 6 = numbered steps + check)")
    ax.set_xticks(range(1, 7))
    ax.legend(fontsize=7)
    _finish(ax, "Accuracy vs. CoT granularity", out)


def _grouped_bars(df: pd.DataFrame, by: str, out: str, title: str, xlabel: str) -> None:
    """Mean accuracy per value of ``by``, one bar series per student."""
    table = df.groupby([by, "student"])["accuracy"].mean().unstack("student")
    ax = table.plot.bar(figsize=(6.4, 4.4), rot=0)
    ax.set_xlabel(xlabel)
    ax.legend(title="student", fontsize=8)
    _finish(ax, title, out)


def plot_format(df: pd.DataFrame, out: str) -> None:
    _grouped_bars(df.dropna(subset=["format"]), "format", out, "Accuracy by CoT format (mean over granularities)", "CoT format")


def plot_teacher(df: pd.DataFrame, out: str) -> None:
    _grouped_bars(df.dropna(subset=["teacher"]), "teacher", out, "Accuracy by teacher (mean over cells)", "teacher")


def plot_styles(df: pd.DataFrame, teacher_style_accuracy: dict[str, float], out: str) -> None:
    """Student accuracy per style recipe beside the teacher's per-style correctness."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4.4))
    s = df.groupby("style")["accuracy"].mean().sort_values()
    left.barh(s.index, s.values, color="C0")
    left.set_xlim(0, 1)
    left.set_xlabel("student accuracy on held-out test problems")
    left.set_title("Student trained on each style recipe")
    t = pd.Series(teacher_style_accuracy).sort_values()
    right.barh(t.index, t.values, color="C1")
    right.set_xlim(0, 1)
    right.set_xlabel("teacher correctness on training problems")
    right.set_title("Teacher correctness per style")
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)
