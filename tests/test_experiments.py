"""Experiments expand into exact runs; bad names fail at setup with the key named."""

from __future__ import annotations

import pytest
import yaml

from conftest import ROOT, dry_run_jobs, snakemake, workflow_copy
from cotdistill.experiments import ConfigError, expand_runs, rationale_promptings, split_recipe

BASE = {
    "datasets": {"d": {"source": "generator"}},
    "teachers": {"t1": {"kind": "offline"}, "t2": {"kind": "offline"}},
    "students": {"s": {"init": {}, "template": "default"}},
}


def config(**experiments):
    return {**BASE, "experiments": experiments}


def test_grid_expands_to_one_run_per_cell():
    runs = expand_runs(config(grid={"method": "factors", "datasets": ["d"], "teachers": ["t1", "t2"], "students": ["s"],
                                    "granularities": [1, 4, 6], "formats": ["nl", "subqa"]}))
    assert len(runs) == 2 * 3 * 2
    assert sorted(r.path for r in runs if r.labels["teacher"] == "t2") == sorted(
        f"s/d/t2.g{g}-{f}.correct" for g in (1, 4, 6) for f in ("nl", "subqa"))
    cell = next(r for r in runs if r.recipe == "t1.g4-subqa.correct")
    assert cell.labels == {"teacher": "t1", "granularity": 4, "format": "subqa"} and cell.eval_sets == ("d",)


def test_multistyle_recipes_and_their_rationales():
    cfg = config(ms={"method": "multistyle", "datasets": ["d"], "teachers": ["t1"], "students": ["s"],
                     "styles": ["code", "plain"], "single_styles": ["code"]})
    cfg["datasets"] = {"d": {"source": "generator", "n_dev": 20}}  # best-of-styles ranks the styles on dev
    assert [r.recipe for r in expand_runs(cfg)] == [
        "t1.multistyle-ms-all.correct", "t1.multistyle-ms-best.correct", "t1.strong.correct", "t1.style-code.correct"]
    assert rationale_promptings(cfg, "multistyle-ms-all") == ["style-code", "style-plain"]
    assert split_recipe("t1.multistyle-ms-all.correct") == ("t1", "multistyle-ms-all", "correct")


@pytest.mark.parametrize(
    ("experiment", "message"),
    [
        ({"method": "distill", "datasets": ["nope"], "teachers": ["t1"], "students": ["s"]}, "experiments.e.datasets: 'nope' is not defined"),
        ({"method": "distill", "datasets": ["d"], "teachers": ["gpt"], "students": ["s"]}, "experiments.e.teachers: 'gpt' is not defined"),
        ({"method": "distill", "datasets": ["d"], "teachers": ["t1"], "students": ["big"]}, "experiments.e.students: 'big' is not defined"),
        ({"method": "multistyle", "datasets": ["d"], "teachers": ["t1"], "students": ["s"], "styles": ["poetry"]}, "experiments.e.styles: unknown style 'poetry'"),
    ],
)
def test_unknown_names_are_reported_with_their_key(experiment, message):
    with pytest.raises(ConfigError, match=message):
        expand_runs(config(e=experiment))


def _write(wd, cfg):
    (wd / "config.yaml").write_text(yaml.safe_dump(cfg))


def test_snakemake_stops_before_any_job_on_bad_config(tmp_path):
    wd = workflow_copy(tmp_path / "wd")
    cfg = yaml.safe_load((ROOT / "tests/configs/tiny.yaml").read_text())
    cfg["experiments"]["baseline"]["teachers"] = ["missing_teacher"]
    _write(wd, cfg)
    proc = snakemake(wd, "-n", check=False)
    assert proc.returncode != 0
    assert "experiments.baseline.teachers: 'missing_teacher' is not defined" in proc.stderr
    assert not (wd / "results/data").exists()


def test_schema_names_a_wrong_key(tmp_path):
    wd = workflow_copy(tmp_path / "wd")
    cfg = yaml.safe_load((ROOT / "tests/configs/tiny.yaml").read_text())
    cfg["students"]["tiny"]["train"]["epoch"] = 3  # typo for `epochs`
    _write(wd, cfg)
    proc = snakemake(wd, "-n", check=False)
    assert proc.returncode != 0 and "students.tiny.train.epoch: unknown key (did you mean epochs?)" in proc.stderr


def test_unwritable_results_dir_is_one_line(tmp_path):
    wd = workflow_copy(tmp_path / "wd")
    cfg = yaml.safe_load((ROOT / "tests/configs/tiny.yaml").read_text())
    (wd / "blocker").write_text("a file, not a folder")
    cfg["results_dir"] = "blocker/results"
    _write(wd, cfg)
    proc = snakemake(wd, "-n", check=False)
    assert proc.returncode != 0 and "results_dir: 'blocker/results' is not writable" in proc.stderr


def test_figure_target_plans_only_what_it_needs(tmp_path):
    wd = workflow_copy(tmp_path / "wd", "config.yaml")
    jobs = dry_run_jobs(wd, "results/figures/granularity.png")
    # the factors grid (3 granularities × 2 formats) on chain_sum, and nothing of the other experiments
    assert jobs["train"] == jobs["generate"] == jobs["score"] == jobs["sft"] == 6
    assert jobs["rationales"] == 6 and jobs["data"] == 2 and jobs["figure"] == 1
    assert "multistyle_log" not in jobs and "table" not in jobs
