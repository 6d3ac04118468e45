"""Iterated summarization's `sft:` switch: the loop's final attempts (or their summaries) as a student's SFT set."""

from __future__ import annotations

import csv
import json
import re

import pytest
import yaml

from conftest import dry_run_jobs, snakemake, workflow_copy
from cotdistill.data.generators import generate_split
from cotdistill.experiments import ConfigError, expand_runs
from cotdistill.methods import summarize as S
from cotdistill.paths import Layout
from cotdistill.sft import build_sft
from test_summarize import OFFLINE, SUMMARIZER


@pytest.fixture(scope="module")
def problems():
    """Training problems: the SFT switch runs the loop on the train split."""
    return generate_split("chain_sum", {"n_train": 16, "seed": 4, "params": {"max_terms": 3, "max_digits": 1}}, "train")


def test_sft_rows_are_the_final_attempts_of_the_last_iteration(problems):
    rows0, _ = S.first_iteration(problems, OFFLINE, "v0")
    rows1, _ = S.next_iteration(rows0, problems, OFFLINE, SUMMARIZER, "v0", "v1", continue_after_correct=False)
    rationales = S.sft_rationales(rows1)
    assert [r["id"] for r in rationales] == [p["id"] for p in problems]
    for r0, r1, rat in zip(rows0, rows1, rationales):
        # The oracle stop keeps a problem's first correct attempt; the others carry their newest attempt.
        assert rat["response"] == (r0["response"] if r0["correct"] else r1["response"])
        assert rat["correct"] == (r0["correct"] or r1["correct"])
    kept, stats = build_sft(problems, rationales, "correct")
    assert stats["kept"] == sum(r["correct_any"] for r in rows1) > sum(r["correct"] for r in rows0)
    assert sorted(k["output"] for k in kept) == sorted(r["response"].strip() for r in rows1 if r["correct_any"])
    assert build_sft(problems, rationales, "all")[1]["kept"] == len(problems)


def test_final_summaries_summarize_each_final_attempt_and_are_graded_on_their_own(problems):
    rows0, _ = S.first_iteration(problems, OFFLINE, "v0")
    rows1, _ = S.next_iteration(rows0, problems, OFFLINE, OFFLINE, "v0", "v1", continue_after_correct=True)
    summaries, stages = S.final_summaries(rows1, problems, SUMMARIZER, "v2")
    assert stages["summary"]["requests"] == len(problems)
    for last, s in zip(rows1, summaries):
        assert s["id"] == last["id"] and f"ATTEMPT:\n{last['response'].strip()}" in s["messages"][0]["content"]
        assert f"answer is {last['pred']}" in s["response"]  # the offline summarizer states the attempt's answer
        assert s["correct"] == s["attempt_correct"] == last["correct"]
    kept, _ = build_sft(problems, S.sft_rationales(summaries), "correct")
    assert len(kept) == sum(r["correct"] for r in rows1) and all("answer is" in k["output"] for k in kept)


def config(**exp):
    return {
        "datasets": {"d": {"source": "generator"}},
        "teachers": {"t": {"kind": "offline"}, "u": {"kind": "offline"}},
        "students": {"s": {"template": "default", "init": {}}},
        "experiments": {"it": {"method": "summarize", "datasets": ["d"], "teachers": ["t", "u"], "students": [],
                               "split": "train", **exp}},
    }


@pytest.mark.parametrize("exp, message", [
    ({"sft": "yes"}, r"experiments\.it\.sft: a mapping"),
    ({"sft": {"from": "attempts", "students": ["s"]}}, r"experiments\.it\.sft\.from: one of final_attempt, summary"),
    ({"sft": {"students": ["s"], "filter": "best"}}, r"experiments\.it\.sft\.filter"),
    ({"sft": {"students": []}}, r"experiments\.it\.sft\.students: name the student"),
    ({"sft": {"students": ["x"]}}, r"experiments\.it\.sft\.students: 'x' is not defined"),
    ({"sft": {"students": ["s"], "epochs": 2}}, r"experiments\.it\.sft\.epochs: unknown key"),
    ({"sft": {"students": ["s"]}, "split": "test"}, r"experiments\.it\.sft: .*set split: train"),
])
def test_sft_config_errors_name_the_key(exp, message):
    with pytest.raises(ConfigError, match=message):
        expand_runs(config(**exp))


def test_sft_adds_one_student_run_per_teacher():
    runs = expand_runs(config(max_iterations=1, sft={"from": "summary", "students": ["s"], "filter": "all"}))
    sft = [r for r in runs if r.labels["variant"] == "sft"]
    assert {(r.student, r.recipe) for r in sft} == {("s", "t.summarize-it-summary.all"), ("s", "u.summarize-it-summary.all")}
    assert all(r.method == "summarize" and r.metrics is None and r.labels["style"] == "sft-summary" for r in sft)
    assert len(runs) - len(sft) == len(expand_runs(config(max_iterations=1)))  # the iteration rows are unchanged
    assert S.sft_input(config(max_iterations=1), Layout("R"), "t", "d", "summarize-it-final_attempt") == "R/summarize/it/t/d/iter1.jsonl"
    assert S.sft_input(config(), Layout("R"), "t", "d", "summarize-it-summary") == "R/summarize/it/t/d/final_summary.jsonl"


# ----------------------------------------------------------------------------- the DAG

RECIPE = "offline.summarize-distilled-final_attempt.correct"


def tiny_config(tmp_path, name: str, sft: dict | None) -> str:
    cfg = yaml.safe_load(open(tmp_path / "config.yaml"))
    exp = {"method": "summarize", "datasets": ["chain_sum"], "teachers": ["offline"], "students": [],
           "summarizer": "summ", "split": "train", "max_iterations": 2}
    cfg["experiments"] = {"distilled": {**exp, **({"sft": sft} if sft else {})}}
    path = tmp_path / name
    path.write_text(yaml.safe_dump(cfg))
    return str(path)


@pytest.fixture(scope="module")
def wd(tmp_path_factory):
    return workflow_copy(tmp_path_factory.mktemp("summarize_sft"), "tests/configs/methods_tiny.yaml")


@pytest.mark.e2e
def test_switch_adds_exactly_the_student_jobs_fed_by_the_last_iteration(wd):
    off = dry_run_jobs(wd, "results/tables/all.csv", extra=("--configfile", tiny_config(wd, "off.yaml", None)))
    on = dry_run_jobs(wd, "results/tables/all.csv",
                      extra=("--configfile", tiny_config(wd, "on.yaml", {"students": ["tiny"]})))
    added = {rule: n - off.get(rule, 0) for rule, n in on.items() if n != off.get(rule, 0)}
    # Also the from-scratch student's build and the test split it is scored on (the loop runs on train);
    # the loop's own jobs are the same either way.
    assert added == {"sft": 1, "build_student": 1, "lf_config": 1, "train": 1, "generate": 1, "score": 1, "data": 1}, (off, on)
    summary = dry_run_jobs(wd, "results/tables/all.csv",
                           extra=("--configfile", tiny_config(wd, "sum.yaml", {"from": "summary", "students": ["tiny"]})))
    assert summary == {**on, "summarize_final": 1}
    # The SFT job reads the last iteration file (iter2), nothing earlier.
    out = snakemake(wd, f"results/sft/{RECIPE}/chain_sum/train.json", "-n", "--configfile", str(wd / "on.yaml")).stdout
    sft_job = re.search(r"rule sft:\n(.*?)\n\n", out, re.S).group(1)
    inputs = re.search(r"input: (.*)", sft_job).group(1).split(", ")
    assert sorted(inputs) == ["results/data/chain_sum/train.jsonl", "results/summarize/distilled/offline/chain_sum/iter2.jsonl"]


@pytest.mark.e2e
def test_student_trained_on_final_summaries_is_scored_into_all_csv(wd):
    path = tiny_config(wd, "run.yaml", {"from": "summary", "students": ["tiny"]})
    snakemake(wd, "--cores", "2", "results/tables/all.csv", "--configfile", path)
    recipe = "offline.summarize-distilled-summary.correct"
    summaries = [json.loads(line) for line in open(wd / "results/summarize/distilled/offline/chain_sum/final_summary.jsonl")]
    sft = json.load(open(wd / f"results/sft/{recipe}/chain_sum/train.json"))
    assert len(summaries) == 24 and sorted(r["output"] for r in sft) == sorted(s["response"].strip() for s in summaries if s["correct"])
    with open(wd / "results/tables/all.csv") as fh:
        table = list(csv.DictReader(fh))
    student = [r for r in table if r["student"] == "tiny"]
    assert len(student) == 1 and student[0]["method"] == "summarize" and student[0]["recipe"] == recipe
    assert student[0]["variant"] == "sft" and student[0]["round"] == ""
    metrics = json.load(open(wd / f"results/eval/tiny/chain_sum/{recipe}/chain_sum.metrics.json"))
    assert float(student[0]["accuracy"]) == metrics["accuracy"] and int(student[0]["n"]) == 6
    assert {r["variant"] for r in table if r["student"] == ""} == {"oracle"}  # the loop's own rows stay
