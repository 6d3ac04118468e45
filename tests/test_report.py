"""Report figures: every bar of the accuracy figure is named, also for runs without a student or recipe."""

from __future__ import annotations

import pandas as pd

from cotdistill.report import _run_label, plot_accuracy


def frame() -> pd.DataFrame:
    return pd.DataFrame([
        {"experiment": "baseline", "method": "distill", "student": "tiny", "teacher": "offline", "dataset": "cs",
         "recipe": "offline.cot.correct", "round": pd.NA, "variant": pd.NA, "model": pd.NA, "accuracy": 0.7},
        {"experiment": "loop", "method": "summarize", "student": pd.NA, "teacher": "sloppy", "dataset": "cs",
         "recipe": pd.NA, "round": 2.0, "variant": "no_oracle", "model": "sloppy", "accuracy": 0.66},
    ])


def test_run_labels_name_every_run():
    plain, loop = (_run_label(r) for r in frame().itertuples())
    assert plain == "baseline: offline.cot\ntiny on cs"
    assert loop == "loop: iter 2 no_oracle\nsloppy on cs"


def test_accuracy_figure_is_written(tmp_path):
    out = tmp_path / "accuracy.png"
    plot_accuracy(frame(), str(out))
    assert out.read_bytes()[:4] == b"\x89PNG"
