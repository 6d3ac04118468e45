"""The results table: one row per run × evaluation dataset × experiment, every accuracy with its interval.

Each row carries ``n`` (problems), ``k`` (solved), ``accuracy`` and its 95 % Wilson interval
(``ci_low``, ``ci_high``). Runs of an experiment with ``seeds: [..]`` (replicates of one student, see
``cotdistill.seeds``) also carry ``seed``/``seed_of`` and, on every replicate's row, the mean over the
seeds and its across-seed t interval (``n_seeds``, ``seed_mean``, ``seed_ci_low``, ``seed_ci_high``).
:func:`cells` collapses replicates into one row per cell with the value and interval a figure draws.
"""

from __future__ import annotations

import pandas as pd

from . import paths
from .io import read_json
from .stats import seed_interval, wilson

COLUMNS = ["experiment", "method", "student", "teacher", "dataset", "split", "train_set", "recipe", "granularity", "format",
           "style", "round", "seed", "decoding", "n", "k", "accuracy", "ci_low", "ci_high", "n_seeds", "seed_mean", "seed_ci_low",
           "seed_ci_high"]
SEED_COLUMNS = ["n_seeds", "seed_mean", "seed_ci_low", "seed_ci_high"]
# What identifies a cell across its seed replicates (the replicated student is `seed_of`).
CELL = ["experiment", "seed_of", "train_set", "recipe", "dataset"]


def run_rows(runs: list[dict]) -> list[dict]:
    """Expand run descriptions (as ``Run.__dict__``-like dicts) into one row per evaluation dataset."""
    return [
        {"experiment": r["experiment"], "method": r["method"], "student": r["student"], "train_set": r["train_set"],
         "recipe": r["recipe"], "dataset": ds, **r["labels"], **({"metrics": r["metrics"]} if r.get("metrics") else {})}
        for r in runs
        for ds in r["eval_sets"]
    ]


def eval_path(results_dir: str, row: dict, what: str = "metrics") -> str:
    """A row's scored problems (``what="rows"``) or its metrics file, on the split it is scored on (the
    ``split`` label: test unless the experiment sets ``eval_split``)."""
    split = row.get("split", "test")
    kind = "eval" if what == "rows" else "metrics"
    key = kind if split == "test" else f"split_{kind}"
    return paths.Layout(results_dir).path(key, student=row["student"], dataset=row["train_set"], recipe=row["recipe"],
                                          evalset=row["dataset"], split=split)


def metrics_path(results_dir: str, row: dict) -> str:
    if row.get("metrics"):  # a method with its own metrics file (summarize)
        return f"{results_dir}/{row['metrics']}"
    return eval_path(results_dir, row)


def accuracy_columns(metrics: dict) -> dict:
    """n, k, accuracy and the Wilson interval of one metrics file (older files without ``k`` included)."""
    n = int(metrics["n"])
    k = int(metrics["k"]) if "k" in metrics else round(metrics["accuracy"] * n)
    low, high = wilson(k, n)
    return {"decoding": metrics.get("decoding", "greedy"), "n": n, "k": k, "accuracy": metrics["accuracy"], "ci_low": low,
            "ci_high": high}


def add_seed_columns(df: pd.DataFrame) -> pd.DataFrame:
    """Mean over seeds and its across-seed interval on every replicate's row (NA for runs without seeds)."""
    for col in SEED_COLUMNS:
        df[col] = pd.NA
    if "seed_of" not in df or df["seed_of"].isna().all():
        return df
    replicated = df[df["seed_of"].notna()]
    for _, g in replicated.groupby(CELL, dropna=False):
        mean, low, high = seed_interval(g["accuracy"].tolist())
        df.loc[g.index, SEED_COLUMNS] = [len(g), mean, low, high]
    for col in SEED_COLUMNS:
        df[col] = df[col].astype("Int64" if col == "n_seeds" else "Float64")
    return df


def build_table(runs: list[dict], results_dir: str) -> pd.DataFrame:
    rows = []
    for row in run_rows(runs):
        metrics = read_json(metrics_path(results_dir, row))
        rows.append({**{k: v for k, v in row.items() if k != "metrics"}, **accuracy_columns(metrics)})
    df = pd.DataFrame(rows)
    for col in COLUMNS:
        if col not in df and col not in SEED_COLUMNS:
            df[col] = pd.NA
    df["split"] = df["split"].fillna("test")
    df = add_seed_columns(df)
    for col in ("granularity", "round", "seed", "n", "k"):
        df[col] = df[col].astype("Int64")
    return df[COLUMNS + [c for c in df.columns if c not in COLUMNS]]


def cells(df: pd.DataFrame) -> pd.DataFrame:
    """One row per cell, with ``value``, ``low``, ``high`` to draw: the Wilson interval of a single run, or
    for seed replicates the mean over seeds and its across-seed interval (``student`` = the replicated one)."""
    df = df.copy()
    single = df["seed_of"].isna() if "seed_of" in df else pd.Series(True, index=df.index)
    out = df[single].assign(value=df["accuracy"], low=df["ci_low"], high=df["ci_high"])
    if (~single).any():
        reps = df[~single].drop_duplicates(CELL).copy()
        reps["student"] = reps["seed_of"]
        reps = reps.assign(value=reps["seed_mean"], low=reps["seed_ci_low"], high=reps["seed_ci_high"])
        out = pd.concat([out, reps], ignore_index=True)
    return out.astype({"value": float, "low": float, "high": float})
