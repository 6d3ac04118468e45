"""The results table (intervals, seed replicates) and the figure registry (every figure, error bars)."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from matplotlib.container import ErrorbarContainer

from cotdistill import figures, seeds
from cotdistill.errors import ConfigError
from cotdistill.figures import common
from cotdistill.figures.runs import run_label
from cotdistill.report import build_table, cells
from cotdistill.runs import Run
from cotdistill.stats import seed_interval, wilson


def frame() -> pd.DataFrame:
    return pd.DataFrame([
        {"experiment": "baseline", "method": "distill", "student": "tiny", "teacher": "offline", "dataset": "cs",
         "recipe": "offline.cot.correct", "round": pd.NA, "variant": pd.NA, "model": pd.NA, "accuracy": 0.7},
        {"experiment": "loop", "method": "summarize", "student": pd.NA, "teacher": "sloppy", "dataset": "cs",
         "recipe": pd.NA, "round": 2.0, "variant": "no_oracle", "model": "sloppy", "accuracy": 0.66},
    ])


def test_run_labels_name_every_run():
    plain, loop = (run_label(r) for r in frame().itertuples())
    assert plain == "baseline: offline.cot\ntiny on cs"
    assert loop == "loop: iter 2 no_oracle\nsloppy on cs"


def run(student, recipe, labels=None, exp="baseline", method="distill"):
    return {"experiment": exp, "method": method, "student": student, "train_set": "cs", "recipe": recipe,
            "eval_sets": ["cs"], "labels": {"teacher": "offline", **(labels or {})}, "metrics": None}


def write_metrics(root, student, recipe, k, n=200):
    path = root / f"eval/{student}/cs/{recipe}/cs.metrics.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"n": n, "k": k, "accuracy": k / n}))


@pytest.fixture
def study(tmp_path):
    """A direct run and a CoT run replicated over three training seeds, with their metrics files."""
    made = {f"tiny_seed{s}": ("tiny", s) for s in (1, 2, 3)}
    runs = [run("tiny", "offline.direct.correct", {"style": "direct"})]
    write_metrics(tmp_path, "tiny", "offline.direct.correct", 19)
    for (variant, _), k in zip(made.items(), (140, 120, 150)):
        runs.append(seeds.label(run(variant, "offline.cot.correct", {"style": "cot"}), made))
        write_metrics(tmp_path, variant, "offline.cot.correct", k)
    return runs, str(tmp_path)


def test_table_carries_intervals_and_seed_means(study):
    df = build_table(*study)
    direct = df[df["recipe"] == "offline.direct.correct"].iloc[0]
    assert (direct["n"], direct["k"], direct["accuracy"]) == (200, 19, 0.095)
    assert (direct["ci_low"], direct["ci_high"]) == pytest.approx(wilson(19, 200))
    assert pd.isna(direct["seed"]) and pd.isna(direct["seed_mean"])
    cot = df[df["recipe"] == "offline.cot.correct"].sort_values("seed")
    assert cot["seed"].tolist() == [1, 2, 3] and (cot["n_seeds"] == 3).all()
    mean, low, high = seed_interval([0.70, 0.60, 0.75])
    assert cot["seed_mean"].tolist() == pytest.approx([mean] * 3) and mean == pytest.approx(0.6833, abs=1e-4)
    assert cot["seed_ci_low"].iloc[0] == pytest.approx(low) and cot["seed_ci_high"].iloc[0] == pytest.approx(high)
    # one row per cell for figures: the replicated student, the mean and the across-seed interval
    c = cells(df).set_index("recipe")
    assert c.loc["offline.cot.correct", "student"] == "tiny"
    assert (c.loc["offline.cot.correct", "low"], c.loc["offline.cot.correct", "high"]) == pytest.approx((low, high))
    assert c.loc["offline.direct.correct", "value"] == 0.095 and len(c) == 2


def test_seeds_expand_students_in_place():
    config = {"students": {"tiny": {"init": {"seed": 0}, "train": {"epochs": 1}}},
              "experiments": {"b": {"method": "distill", "students": ["tiny"], "seeds": [1, 2]},
                              "r": {"method": "router", "students": ["tiny"]}}}
    made = seeds.apply(config)
    assert made == {"tiny_seed1": ("tiny", 1), "tiny_seed2": ("tiny", 2)}
    assert config["experiments"]["b"]["students"] == ["tiny_seed1", "tiny_seed2"] and "seeds" not in config["experiments"]["b"]
    assert config["students"]["tiny_seed2"] == {"init": {"seed": 2}, "train": {"epochs": 1, "seed": 2}}
    assert config["students"]["tiny"] == {"init": {"seed": 0}, "train": {"epochs": 1}}
    runs = seeds.label_runs([Run("b", "distill", "tiny_seed2", "cs", "t.cot.correct", ("cs",), {"teacher": "t"}),
                             Run("b", "distill", "tiny", "cs", "t.cot.correct", ("cs",), {"teacher": "t"})], made)
    assert [r.labels for r in runs] == [{"teacher": "t", "seed": 2, "seed_of": "tiny"}, {"teacher": "t"}]
    with pytest.raises(ConfigError, match=r"experiments.r.seeds: replicates are for methods"):
        seeds.apply({"students": {"tiny": {}}, "experiments": {"r": {"method": "router", "students": ["tiny"], "seeds": [1]}}})


def drawn(monkeypatch):
    """Capture the figures that common.save writes."""
    figs = []
    real = common.save

    def capture(fig, out, dpi=120):
        figs.append(fig)
        real(fig, out, dpi)

    monkeypatch.setattr(common, "save", capture)
    return figs


def test_accuracy_figure_has_error_bars_from_the_table(study, tmp_path, monkeypatch):
    figs = drawn(monkeypatch)
    out = tmp_path / "accuracy.png"
    figures.draw("accuracy", study[0], {}, study[1], str(out))
    assert out.read_bytes()[:4] == b"\x89PNG"
    ax = figs[0].axes[0]
    (bars,) = [c for c in ax.containers if getattr(c, "errorbar", None) is not None]
    heights = sorted(p.get_height() for p in bars.patches)
    mean, low, high = seed_interval([0.70, 0.60, 0.75])
    assert heights == pytest.approx(sorted([0.095, mean]))
    segments = bars.errorbar.lines[2][0].get_segments()
    spans = sorted((round(s[0][1], 4), round(s[1][1], 4)) for s in segments)
    assert spans == sorted([tuple(round(x, 4) for x in wilson(19, 200)), (round(low, 4), round(high, 4))])


def test_every_registered_figure_draws(tmp_path, monkeypatch):
    """Each figure of the registry from a small table of its own kind (error bars on every accuracy)."""
    figs = drawn(monkeypatch)
    rows = []
    for i, (g, f) in enumerate([(1, "nl"), (3, "nl"), (1, "symbolic"), (3, "symbolic")]):
        rows.append(run("tiny", f"offline.g{g}-{f}.correct", {"granularity": g, "format": f}, exp="factors", method="factors"))
        write_metrics(tmp_path, "tiny", f"offline.g{g}-{f}.correct", 20 + 30 * i)
    for name in ("granularity", "format", "teacher"):
        figures.draw(name, rows, {}, str(tmp_path), str(tmp_path / f"{name}.png"))
    assert len(figs) == 3 and all(any(isinstance(c, ErrorbarContainer) or getattr(c, "errorbar", None) is not None
                                      for c in f.axes[0].containers) for f in figs)
    table = tmp_path / "summarization.csv"
    pd.DataFrame([{"experiment": "e", "model": "m", "dataset": "d", "variant": v, "iteration": i, "n": 100,
                   "accuracy": 0.5 + 0.1 * i, "tokens_per_problem": 20} for v in ("oracle", "no_oracle") for i in range(3)]).to_csv(table, index=False)
    figures.draw("summarization", [], {"table": [str(table)]}, str(tmp_path), str(tmp_path / "summarization.png"))
    assert (tmp_path / "summarization.png").read_bytes()[:4] == b"\x89PNG"
    assert set(figures.FIGURES) == {"accuracy", "granularity", "format", "teacher", "styles", "undo_rounds", "fair", "summarization", "router"}
    with pytest.raises(KeyError, match="no figure 'nope'"):
        figures.draw("nope", [], {}, str(tmp_path), str(tmp_path / "x.png"))
