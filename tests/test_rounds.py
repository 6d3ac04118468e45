"""UNDO and FAIR as rounds of the DAG: recipes, config errors, peer review, and real tiny runs."""

from __future__ import annotations

import csv
import json
import re

import pytest
import yaml

from conftest import ROOT, dry_run_jobs, snakemake, workflow_copy
from cotdistill.data import load_split
from cotdistill.experiments import ConfigError, expand_runs
from cotdistill.io import read_jsonl
from cotdistill.methods import fair, rounds

BASE = {
    "datasets": {"d": {"source": "generator"}},
    "teachers": {"t1": {"kind": "offline"}, "t2": {"kind": "offline"}},
    "students": {"s": {"init": {}, "template": "default"}},
}
UNDO = {"method": "undo", "datasets": ["d"], "teachers": ["t1"], "students": ["s"], "filter": "correct"}
FAIR = {"method": "fair", "datasets": ["d"], "teachers": ["t1", "t2"], "students": ["s"], "filter": "correct"}


def runs_of(**spec):
    return expand_runs({**BASE, "experiments": {"e": spec}})


def test_undo_rounds_and_one_shot_baseline():
    runs = runs_of(**UNDO, max_rounds=2)
    assert [(r.recipe, r.labels.get("round"), r.labels["style"]) for r in runs] == [
        ("t1.cot.correct", 0, "undo"),
        ("t1.undo-e-s-r1.correct", 1, "undo"),
        ("t1.undo-e-s-r2.correct", 2, "undo"),
        ("t1.undo-e-x3.correct", None, "one-shot"),  # 3 rounds' worth of epochs in one run
    ]
    assert rounds.previous_recipe({"experiments": {"e": UNDO}}, "t1.undo-e-s-r2.correct") == "t1.undo-e-s-r1.correct"
    assert rounds.previous_recipe({"experiments": {"e": UNDO}}, "t1.undo-e-s-r1.correct") == "t1.cot.correct"


def test_fair_rounds_and_plain_baselines():
    runs = runs_of(**FAIR, max_rounds=1)
    assert [(r.recipe, r.labels["teacher"], r.labels.get("round")) for r in runs] == [
        ("t1.cot.all", "t1", None),
        ("t2.cot.all", "t2", None),
        ("committee.pool-e.all", "committee", 0),
        ("committee.fair-e-s-r1.all", "committee", 1),
    ]
    assert rounds.parse_source("fair-e-s-r1") == {"kind": "round", "method": "fair", "experiment": "e", "student": "s", "round": 1}


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({**UNDO, "max_rounds": 0}, r"experiments\.e\.max_rounds: must be an integer ≥ 1"),
        ({**UNDO, "sft": "merge"}, r"experiments\.e\.sft: must be one of replace, add"),
        ({**UNDO, "init": "last"}, r"experiments\.e\.init: must be one of base, previous"),
        ({**UNDO, "early_stop": "train"}, r"experiments\.e\.early_stop: "),
        ({**UNDO, "early_stop": "test"}, r"experiments\.e\.early_stop: test would select rounds on the test split; use dev"),
        ({**UNDO, "alpha": 0.3}, r"experiments\.e\.alpha: only used by method fair"),
        ({**FAIR, "teachers": ["t1"]}, r"experiments\.e\.teachers: fair needs at least 2 teachers"),
        ({**FAIR, "alpha": 1.5}, r"experiments\.e\.alpha: the feedback share must be in \[0, 1\)"),
        ({**FAIR, "review_threshold": 5}, r"experiments\.e\.review_threshold: "),
        ({**FAIR, "mix": "concat"}, r"experiments\.e\.mix: must be one of interleave_over, interleave_under"),
        ({**FAIR, "baseline": False}, r"experiments\.e\.baseline: only used by method undo"),
    ],
)
def test_config_errors_name_the_key(spec, message):
    with pytest.raises(ConfigError, match=message):
        runs_of(**spec)


def test_committee_is_a_reserved_teacher_name():
    cfg = {**BASE, "teachers": {**BASE["teachers"], "committee": {"kind": "offline"}},
           "experiments": {"e": {**FAIR, "teachers": ["t1", "committee"]}}}
    with pytest.raises(ConfigError, match="experiments.e.teachers: 'committee' is reserved"):
        expand_runs(cfg)


def test_snakemake_reports_a_rounds_config_error_before_any_job(tmp_path):
    wd = workflow_copy(tmp_path / "wd", "tests/configs/rounds_tiny.yaml")
    cfg = yaml.safe_load((wd / "config.yaml").read_text())
    cfg["experiments"]["committee"]["teachers"] = ["offline"]
    (wd / "config.yaml").write_text(yaml.safe_dump(cfg))
    proc = snakemake(wd, "-n", check=False)
    assert proc.returncode != 0
    assert "config error: experiments.committee.teachers: fair needs at least 2 teachers" in proc.stdout + proc.stderr


# --- peer review ---------------------------------------------------------------------------------------

def test_parse_score_takes_the_last_bracketed_score_in_range():
    assert fair.parse_score("Step 2 [3] is off.\nScore: [4]") == 4
    assert fair.parse_score("Score: [ 5 ]") == 5
    assert fair.parse_score("Score: [7]") is None
    assert fair.parse_score("Score: 4/5") is None
    assert fair.parse_score(None) is None


def test_select_ignores_invalid_scores_and_needs_a_mean_above_the_threshold():
    rows = [{"id": i, "teacher": "a", "correct": True, "response": "x", "pred": "1"} for i in ("p", "q", "r")]
    reviews = [
        {"id": "p", "author": "a", "score": 4.0}, {"id": "p", "author": "a", "score": None},  # mean of valid: 4
        {"id": "q", "author": "a", "score": 3.0}, {"id": "q", "author": "a", "score": 3.0},  # mean 3: not > 3
        {"id": "r", "author": "a", "score": None},                                           # no valid score
    ]
    accepted, report = fair.select(rows, reviews, threshold=3)
    assert [r["id"] for r in accepted] == ["p"]
    assert report["teachers"]["a"] == {"rationales": 3, "accepted": 1, "invalid_scores": 2, "correct": 3, "accepted_correct": 1}


def test_peer_review_raises_precision_over_the_unfiltered_pool():
    """Two offline teachers write feedback + fresh rationales for 300 mistakes; each reviews the other's."""
    cfg = {"source": "generator", "params": {"min_terms": 5, "max_terms": 5, "min_digits": 1, "max_digits": 1}, "n_train": 300, "seed": 7}
    problems = load_split("chain_sum", cfg, "train")
    wrong = [{"id": p["id"], "response": f"{p['question']} = 0", "pred": "0", "correct": False} for p in problems]
    teachers = {"careful": {"kind": "offline", "error_rate": 0.2, "seed": 0}, "sloppy": {"kind": "offline", "error_rate": 0.5, "seed": 1}}
    pool = []
    for name, tcfg in teachers.items():
        rows, _ = rounds.regenerate(name, tcfg, problems, wrong, "fair-e-s-r1", hint=True, cache_dir=None)
        assert len(rows) == 300 and all(r["attempt"] for r in rows)
        pool += rows
    reviews = [row for name, tcfg in teachers.items() for row in fair.review(name, tcfg, pool, problems, None)[0]]
    assert len(reviews) == len(pool)  # each rationale reviewed by the one other teacher, never by its author
    assert all(r["author"] != r["reviewer"] for r in reviews)
    accepted, report = fair.select(pool, reviews, threshold=3)
    pool_precision = sum(r["correct"] for r in pool) / len(pool)
    accepted_precision = sum(r["correct"] for r in accepted) / len(accepted)
    assert 0.55 < pool_precision < 0.75  # the teachers' error rates show in the pool
    assert accepted_precision > pool_precision + 0.15
    assert report["pool_precision"] == pytest.approx(pool_precision) and report["accepted_precision"] == pytest.approx(accepted_precision)
    assert 0 < report["teachers"]["sloppy"]["accepted"] < report["teachers"]["careful"]["accepted"]


def test_regeneration_prompt_shows_the_wrong_attempt_and_only_fair_gets_the_answer():
    p = load_split("chain_sum", {"source": "generator", "n_train": 2, "seed": 1}, "train")[0]
    undo = rounds.regeneration_messages(p, "3 + 4 = 8\nThe answer is 8.", "8", hint=False)[0]["content"]
    fair_ = rounds.regeneration_messages(p, "3 + 4 = 8\nThe answer is 8.", "8", hint=True)[0]["content"]
    assert "3 + 4 = 8" in undo and "The student answered 8" in undo and rounds.SOLUTION_MARKER in undo
    assert f"The correct answer is {p['answer']}." in fair_ and "correct answer" not in undo
    assert rounds.solution_part("The mistake is here.\nA careful solution:\n1 + 2 = 3") == "1 + 2 = 3"


def test_replace_swaps_a_problems_rows_and_add_keeps_both():
    r0 = [{"id": "a", "v": 0}, {"id": "b", "v": 0}]
    r1 = [{"id": "a", "v": 1}]
    assert rounds.merge([r0, r1], "replace") == [{"id": "b", "v": 0}, {"id": "a", "v": 1}]
    assert rounds.merge([r0, r1], "add") == r0 + r1


# --- the DAG -------------------------------------------------------------------------------------------

def dry_run_outputs(wd, target, *extra):
    proc = snakemake(wd, target, "-n", *extra)
    return [m.group(1) for m in re.finditer(r"^\s+output: (.+)$", proc.stdout, re.M)]


def test_round_one_depends_on_round_zero_train_evaluation_and_nothing_later(tmp_path):
    wd = workflow_copy(tmp_path / "wd", "tests/configs/rounds_tiny.yaml")
    outputs = " ".join(dry_run_outputs(wd, "results/eval/tiny/chain_sum/offline.undo-iter-tiny-r1.correct/chain_sum.metrics.json"))
    assert "results/eval/tiny/chain_sum/offline.cot.correct/chain_sum.train.jsonl" in outputs  # round 0 on the training problems
    assert "results/rationales/offline/chain_sum/undo-iter-tiny-r1.jsonl" in outputs
    assert "results/checkpoints/tiny/chain_sum/offline.cot.correct" in outputs  # init: previous
    assert "-r2" not in outputs and "offline.undo-iter-tiny-r1.correct/chain_sum.train" not in outputs
    assert "results/eval/tiny/chain_sum/offline.cot.correct/chain_sum.metrics.json" not in outputs  # not round 0's test score
    fair_outputs = " ".join(dry_run_outputs(wd, "results/checkpoints/tiny/chain_sum/committee.fair-committee-tiny-r1.all"))
    assert "results/eval/tiny/chain_sum/committee.pool-committee.all/chain_sum.train.jsonl" in fair_outputs
    assert "results/fair/committee/tiny/chain_sum/r1/reviews/offline_b.jsonl" in fair_outputs


def test_early_stop_is_a_checkpoint_before_later_rounds(tmp_path):
    wd = workflow_copy(tmp_path / "wd", "tests/configs/rounds_tiny.yaml")
    cfg = yaml.safe_load((wd / "config.yaml").read_text())
    cfg["experiments"]["iter"]["early_stop"] = "dev"
    (wd / "config.yaml").write_text(yaml.safe_dump(cfg))
    outputs = " ".join(dry_run_outputs(wd, "results/tables/all.csv"))
    assert "results/rounds/iter/offline/tiny/chain_sum/r1.gate.json" in outputs
    assert "results/eval/tiny/chain_sum/offline.undo-iter-tiny-r1.correct/chain_sum.dev.metrics.json" in outputs
    assert "offline.undo-iter-tiny-r2" not in outputs  # decided only once the gate has run


# --- real runs -----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def done(tmp_path_factory, lf_python):
    """Two UNDO rounds (continued from the previous checkpoint) and one FAIR round, trained and evaluated."""
    wd = workflow_copy(tmp_path_factory.mktemp("rounds"), "tests/configs/rounds_tiny.yaml")
    snakemake(wd, "--cores", "2")
    return wd


@pytest.mark.e2e
def test_table_rows_carry_round_and_method(done):
    with open(done / "results/tables/all.csv") as fh:
        rows = list(csv.DictReader(fh))
    undo = {r["recipe"]: r["round"] for r in rows if r["method"] == "undo"}
    assert undo == {"offline.cot.correct": "0", "offline.undo-iter-tiny-r1.correct": "1", "offline.undo-iter-tiny-r2.correct": "2"}
    fair_rows = {r["recipe"]: (r["round"], r["style"]) for r in rows if r["method"] == "fair"}
    assert fair_rows == {"offline.cot.all": ("", "single"), "offline_b.cot.all": ("", "single"),
                         "committee.pool-committee.all": ("0", "pool"), "committee.fair-committee-tiny-r1.all": ("1", "fair")}
    assert all(r["n"] == "8" for r in rows)
    for name in ("undo_rounds", "fair", "accuracy"):
        assert (done / f"results/figures/{name}.png").stat().st_size > 10_000


@pytest.mark.e2e
def test_undo_regenerates_exactly_the_training_problems_the_student_missed(done):
    res = done / "results"
    for r, previous in ((1, "offline.cot.correct"), (2, "offline.undo-iter-tiny-r1.correct")):
        missed = {row["id"]: row for row in read_jsonl(res / f"eval/tiny/chain_sum/{previous}/chain_sum.train.jsonl") if not row["correct"]}
        regenerated = read_jsonl(res / f"rationales/offline/chain_sum/undo-iter-tiny-r{r}.jsonl")
        assert missed and {row["id"] for row in regenerated} == set(missed)
        for row in regenerated:
            assert row["attempt"] == missed[row["id"]]["response"] and row["attempt"].strip() in row["messages"][0]["content"]
    r2 = yaml.safe_load((res / "configs/tiny/chain_sum/offline.undo-iter-tiny-r2.correct.yaml").read_text())
    assert r2["model_name_or_path"] == "results/checkpoints/tiny/chain_sum/offline.undo-iter-tiny-r1.correct"  # init: previous
    assert (res / "checkpoints/tiny/chain_sum/offline.undo-iter-tiny-r2.correct/model.safetensors").exists()


@pytest.mark.e2e
def test_fair_round_trains_on_accepted_rationales_and_mixed_feedback(done):
    res = done / "results"
    report = json.loads((res / "fair/committee/tiny/chain_sum/r1/acceptance.json").read_text())
    assert set(report["teachers"]) == {"offline", "offline_b"} and report["accepted"] > 0
    assert report["accepted_precision"] > report["pool_precision"]
    stats = json.loads((res / "sft/committee.fair-committee-tiny-r1.all/chain_sum/stats.json").read_text())
    assert stats["feedback"] == report["accepted"] == stats["new_rationales"]
    feedback = json.loads((res / "sft/committee.fair-committee-tiny-r1.all/chain_sum/feedback.json").read_text())
    assert all("A student's attempt:" in ex["instruction"] for ex in feedback)
    cfg = yaml.safe_load((res / "configs/tiny/chain_sum/committee.fair-committee-tiny-r1.all.yaml").read_text())
    assert cfg["dataset"] == "train,feedback" and cfg["interleave_probs"] == "0.5,0.5" and cfg["mix_strategy"] == "interleave_over"
    log = (res / "logs/train/tiny/chain_sum/committee.fair-committee-tiny-r1.all.log").read_text()
    assert "feedback" in log and (res / "checkpoints/tiny/chain_sum/committee.fair-committee-tiny-r1.all/model.safetensors").exists()


@pytest.mark.e2e
def test_nothing_to_do_after_a_complete_run(done):
    assert dry_run_jobs(done, "all") == {}


@pytest.mark.e2e
def test_early_stop_gate_decides_whether_round_two_counts(done):
    """Runs last: switching early stopping on adds dev evaluations and the gate, retraining nothing."""
    ckpt = done / "results/checkpoints/tiny/chain_sum/offline.undo-iter-tiny-r1.correct/model.safetensors"
    before = ckpt.stat().st_mtime_ns
    cfg = yaml.safe_load((done / "config.yaml").read_text())
    cfg["experiments"]["iter"]["early_stop"] = "dev"
    (done / "config.yaml").write_text(yaml.safe_dump(cfg))
    assert "train" not in dry_run_jobs(done, "all")
    # A finished report does not rerun for a checkpoint that only its input function asks for: force it.
    snakemake(done, "--cores", "2", "--forcerun", "table")
    gate = json.loads((done / "results/rounds/iter/offline/tiny/chain_sum/r1.gate.json").read_text())
    dev = [json.loads((done / f"results/eval/tiny/chain_sum/{r}/chain_sum.dev.metrics.json").read_text())["accuracy"]
           for r in ("offline.cot.correct", "offline.undo-iter-tiny-r1.correct")]
    assert gate["continue"] == (dev[1] > dev[0])
    with open(done / "results/tables/all.csv") as fh:
        undo_rounds = {r["round"] for r in csv.DictReader(fh) if r["experiment"] == "iter"}
    assert undo_rounds == ({"0", "1", "2"} if gate["continue"] else {"0", "1"})
    assert ckpt.stat().st_mtime_ns == before
