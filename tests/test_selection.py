"""No selection on test, and seed replicates in the DAG: checked on real snakemake dry-runs of the tiny config."""

from __future__ import annotations

import yaml

from conftest import ROOT, dry_run_jobs, snakemake, workflow_copy


def tiny_with(tmp_path, **experiments):
    wd = workflow_copy(tmp_path)
    cfg = yaml.safe_load((ROOT / "tests/configs/tiny.yaml").read_text())
    cfg["experiments"].update(experiments)
    (wd / "config.yaml").write_text(yaml.safe_dump(cfg))
    return wd


def test_early_stop_on_test_is_refused_before_any_job(tmp_path):
    wd = tiny_with(tmp_path, iter={"method": "undo", "datasets": ["chain_sum"], "teachers": ["offline"], "students": ["tiny"],
                                   "max_rounds": 2, "early_stop": "test"})
    proc = snakemake(wd, "-n", check=False)
    assert proc.returncode != 0
    errors = [line for line in (proc.stdout + proc.stderr).splitlines() if line.startswith("config error:")]
    assert errors == ["config error: experiments.iter.early_stop: test would select rounds on the test split; use dev (early_stop: true)"]


def test_seeds_replicate_the_students_training_only(tmp_path):
    wd = tiny_with(tmp_path)
    cfg = yaml.safe_load((wd / "config.yaml").read_text())
    cfg["experiments"] = {"baseline": {**cfg["experiments"]["baseline"], "teachers": ["offline"], "seeds": [1, 2, 3]}}
    (wd / "config.yaml").write_text(yaml.safe_dump(cfg))
    jobs = dry_run_jobs(wd, "results/tables/all.csv")
    # data and rationales once (data fixed); a base model, training, generation and scoring per seed × prompting
    assert jobs["data"] == 2 and jobs["rationales"] == 2 and jobs["sft"] == 2
    assert jobs["build_student"] == 3 and jobs["train"] == 6 and jobs["generate"] == 6 and jobs["score"] == 6
    out = snakemake(wd, "-n", "results/tables/all.csv").stdout
    for seed in (1, 2, 3):
        assert f"results/checkpoints/tiny_seed{seed}/chain_sum/offline.cot.correct" in out
    bad = dict(cfg, experiments={"baseline": {**cfg["experiments"]["baseline"], "seeds": [1, 1]}})
    (wd / "config.yaml").write_text(yaml.safe_dump(bad))
    proc = snakemake(wd, "-n", check=False)
    assert proc.returncode != 0 and "config error: experiments.baseline.seeds" in proc.stdout + proc.stderr
