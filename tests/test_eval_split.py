"""`eval_split: dev`: an experiment scored on the dev split (for choosing settings, as config/tune_default.yaml
does for the default study), its rows marked `split: dev` in all.csv, the test split never generated."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

from conftest import ROOT, dry_run_jobs, snakemake, workflow_copy
from cotdistill import experiments
from cotdistill.answers import check, extract
from cotdistill.errors import ConfigError
from cotdistill.io import read_jsonl
from cotdistill.report import metrics_path, run_rows

BASE = {
    "datasets": {"d": {"source": "generator", "n_dev": 4}, "nodev": {"source": "generator"}},
    "teachers": {"t": {"kind": "offline"}},
    "students": {"s": {"template": "default", "init": {}}},
}
DISTILL = {"method": "distill", "datasets": ["d"], "teachers": ["t"], "students": ["s"], "eval_split": "dev"}


def expand(spec):
    return experiments.expand_runs({**BASE, "experiments": {"e": spec}})


def test_dev_runs_are_labelled_and_read_from_the_dev_metrics():
    runs = expand(DISTILL)
    assert [r.labels["split"] for r in runs] == ["dev", "dev"]
    paths = sorted(metrics_path("R", row) for row in run_rows([r.as_dict() for r in runs]))
    assert paths == ["R/eval/s/d/t.cot.correct/d.dev.metrics.json", "R/eval/s/d/t.direct.correct/d.dev.metrics.json"]
    test_runs = expand({**DISTILL, "eval_split": "test"})
    assert "split" not in test_runs[0].labels
    assert metrics_path("R", run_rows([test_runs[0].as_dict()])[0]) == "R/eval/s/d/t.direct.correct/d.metrics.json"


@pytest.mark.parametrize(("spec", "message"), [
    ({**DISTILL, "datasets": ["nodev"]},
     "experiments.e.eval_split: dev, but datasets.nodev has no dev split (set datasets.nodev.n_dev for a generator, "
     "dev_size or a dev file otherwise)"),
    ({**DISTILL, "eval_datasets": ["nodev"]}, "experiments.e.eval_split: dev, but datasets.nodev has no dev split"),
    ({"method": "undo", "datasets": ["d"], "teachers": ["t"], "students": ["s"], "eval_split": "dev"},
     "experiments.e.eval_split: dev is not available for method undo (only test)"),
    ({**DISTILL, "eval_split": "train"}, "experiments.e.eval_split: must be one of test, dev, got 'train'"),
])
def test_refused_where_there_is_no_dev_split_or_the_method_scores_elsewhere(spec, message):
    with pytest.raises(ConfigError) as err:
        expand(spec)
    assert str(err.value).startswith(message) and "\n" not in str(err.value)


def _dev_config(wd, promptings=("direct", "cot")):
    cfg = yaml.safe_load((wd / "config.yaml").read_text())
    cfg["datasets"]["chain_sum"]["n_dev"] = 8
    cfg["experiments"] = {"tune": {"method": "distill", "datasets": ["chain_sum"], "teachers": ["offline"],
                                   "students": ["tiny"], "promptings": list(promptings), "eval_split": "dev"}}
    (wd / "config.yaml").write_text(yaml.safe_dump(cfg))


def test_a_dev_study_plans_dev_evaluations_and_no_test_split(tmp_path):
    wd = workflow_copy(tmp_path / "wd")
    _dev_config(wd)
    jobs = dry_run_jobs(wd, "results/tables/all.csv")
    assert jobs["generate_split"] == 2 and jobs["score_split"] == 2 and jobs["data"] == 2  # train and dev
    assert "generate" not in jobs and "score" not in jobs


def test_a_dev_study_runs_and_all_csv_says_dev(tmp_path):
    wd = workflow_copy(tmp_path / "wd")
    _dev_config(wd, promptings=("cot",))  # one training: the dry-run above plans both
    snakemake(wd, "results/tables/all.csv", "--cores", "2")
    df = pd.read_csv(wd / "results/tables/all.csv")
    assert list(df["style"]) == ["cot"] and list(df["split"]) == ["dev"] and list(df["n"]) == [8]
    assert not (wd / "results/data/chain_sum/test.jsonl").exists()
    dev = {p["id"]: p for p in read_jsonl(wd / "results/data/chain_sum/dev.jsonl")}
    for row in df.itertuples():
        scored = read_jsonl(wd / f"results/eval/tiny/chain_sum/{row.recipe}/chain_sum.dev.jsonl")
        assert {r["id"] for r in scored} == set(dev)  # the dev problems, every one
        gold = {i: (p["answer"], p["answer_type"]) for i, p in dev.items()}
        k = sum(check(extract(r["response"], gold[r["id"]][1]), *gold[r["id"]])[0] for r in scored)
        assert (row.k, row.accuracy) == (k, k / 8)


def test_the_tuning_config_plans_every_setting_on_dev_only():
    cfg = yaml.safe_load((ROOT / "config/tune_default.yaml").read_text())
    default = yaml.safe_load((ROOT / "config.yaml").read_text())
    assert cfg["datasets"]["chain_sum"] == default["datasets"]["chain_sum"]  # the default's problems
    assert cfg["teachers"] == default["teachers"]
    runs = experiments.expand_runs(cfg)
    assert len(runs) == 2 * len(cfg["students"]) and {r.labels["split"] for r in runs} == {"dev"}
    for name, student in cfg["students"].items():  # each setting is the default student with its lr and epochs
        base = {k: v for k, v in default["students"]["tiny"].items() if k != "train"}
        assert {k: v for k, v in student.items() if k != "train"} == base
        fixed = {k: v for k, v in default["students"]["tiny"]["train"].items() if k not in ("learning_rate", "epochs")}
        assert {k: v for k, v in student["train"].items() if k not in ("learning_rate", "epochs")} == fixed, name
