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
from cotdistill.methods import fair, fair_protocol, rounds

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
        ("t1.undo-e-x2.correct", 1, "one-shot"),  # per round r: (r + 1) rounds' worth of epochs in one run
        ("t1.undo-e-x3.correct", 2, "one-shot"),
    ]
    assert rounds.previous_recipe({"experiments": {"e": UNDO}}, "t1.undo-e-s-r2.correct") == "t1.undo-e-s-r1.correct"
    assert rounds.previous_recipe({"experiments": {"e": UNDO}}, "t1.undo-e-s-r1.correct") == "t1.cot.correct"


def test_fair_rounds_start_from_the_untrained_student_with_the_papers_baselines():
    runs = runs_of(**FAIR)
    assert [(r.recipe, r.labels["teacher"], r.labels.get("round"), r.labels["style"]) for r in runs] == [
        ("committee.untrained.all", "committee", 0, "untrained"),   # its mistakes start round 1
        ("committee.fair-e-s-r1.all", "committee", 1, "fair"),      # the reference runs one round (max_rounds: 1)
        ("committee.fair-e-s-r1-unfiltered.all", "committee", 1, "unfiltered"),
        ("committee.fair-e-s-r1-nofeedback.all", "committee", 1, "nofeedback"),
        ("committee.fair-e-s-r1-only-t1.all", "t1", 1, "single"),
        ("committee.fair-e-s-r1-only-t2.all", "t2", 1, "single"),
    ]
    assert [r.recipe for r in runs_of(**FAIR, max_rounds=2, baselines=False)] == [
        "committee.untrained.all", "committee.fair-e-s-r1.all", "committee.fair-e-s-r2.all"]
    assert rounds.parse_source("fair-e-s-r1") == {"kind": "round", "method": "fair", "experiment": "e", "student": "s", "round": 1,
                                                  "variant": None}
    assert rounds.parse_source("fair-e-s-r1-only-t2")["variant"] == "only-t2"
    assert fair.mistakes_recipe("e", "s", 1) == "committee.untrained.all"
    assert fair.mistakes_recipe("e", "s", 2) == "committee.fair-e-s-r1.all"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({**UNDO, "max_rounds": 0}, r"experiments\.e\.max_rounds: must be an integer ≥ 1"),
        ({**UNDO, "sft": "merge"}, r"experiments\.e\.sft: must be one of replace, add"),
        ({**UNDO, "init": "last"}, r"experiments\.e\.init: must be one of base, previous"),
        ({**UNDO, "early_stop": "train"}, r"experiments\.e\.early_stop: "),
        ({**UNDO, "early_stop": "test"}, r"experiments\.e\.early_stop: test would select rounds on the test split; use dev"),
        ({**UNDO, "alpha": 0.3}, r"experiments\.e\.alpha: only used by method fair"),
        ({**UNDO, "diagnose_on": "test"}, r"experiments\.e\.diagnose_on: must be train or dev \(never the test split\)"),
        ({**UNDO, "diagnose_on": "dev", "early_stop": "dev"}, r"experiments\.e\.diagnose_on: dev with early_stop: dev"),
        ({**UNDO, "diagnose_on": "dev"}, r"experiments\.e\.diagnose_on: dev, but datasets\.d has no dev split"),
        ({**UNDO, "patience": 0}, r"experiments\.e\.patience: an integer ≥ 1"),
        ({**FAIR, "teachers": ["t1"]}, r"experiments\.e\.teachers: fair needs at least 2 teachers"),
        ({**FAIR, "alpha": 1.5}, r"experiments\.e\.alpha: the feedback loss weight must be in \[0, 1\)"),
        ({**FAIR, "training": "mixed"}, r"experiments\.e\.training: must be one of paired, interleave"),
        ({**FAIR, "pairing": "every"}, r"experiments\.e\.pairing: must be one of sample, all"),
        ({**FAIR, "review_hint": "yes"}, r"experiments\.e\.review_hint: must be true or false"),
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

def test_peer_review_raises_precision_over_the_unfiltered_pool():
    """Two offline teachers answer 300 mistakes' bare questions and review each other's rationales, with the
    reference's hint and without it; precision is reported per kind of reviewer."""
    cfg = {"source": "generator", "params": {"min_terms": 5, "max_terms": 5, "min_digits": 1, "max_digits": 1}, "n_train": 300, "seed": 7}
    problems = load_split("chain_sum", cfg, "train")
    wrong = [{"id": p["id"], "response": f"{p['question']} = 0", "pred": "0", "correct": False} for p in problems]
    teachers = {"careful": {"kind": "offline", "error_rate": 0.2, "seed": 0}, "sloppy": {"kind": "offline", "error_rate": 0.5, "seed": 1}}
    pool = []
    for name, tcfg in teachers.items():
        feedback, rationales, summary = fair_protocol.teacher_pass(name, tcfg, problems, wrong, "fair-e-s-r1", None)
        assert summary["mistakes"] == len(feedback) == len(rationales) == 300 and all(f["attempt"] for f in feedback)
        pool += rationales
    reports = {}
    for hint in (True, False):
        reviews = [row for name, tcfg in teachers.items() for row in fair_protocol.review_pass(name, tcfg, problems, pool, hint=hint, cache_dir=None)[0]]
        assert len(reviews) == len(pool) and all(r["author"] != r["reviewer"] and r["hint"] is hint for r in reviews)
        accepted, reports[hint] = fair_protocol.select(pool, reviews, threshold=3)
        assert reports[hint]["accepted_precision"] == pytest.approx(sum(r["correct"] for r in accepted) / len(accepted))
    pool_precision = sum(r["correct"] for r in pool) / len(pool)
    assert 0.55 < pool_precision < 0.75  # the teachers' error rates show in the pool
    hinted, unhinted = reports[True], reports[False]
    assert hinted["accepted_precision"] > pool_precision + 0.2                       # 0.94 vs 0.65 on this seed
    assert pool_precision + 0.15 < unhinted["accepted_precision"] < hinted["accepted_precision"]   # 0.90
    assert unhinted["accepted"] < hinted["accepted"]                                  # own slips reject correct rationales
    assert set(hinted["reviewer_precision"]) == {"hinted"} and set(unhinted["reviewer_precision"]) == {"unhinted"}
    assert 0 < hinted["teachers"]["sloppy"]["accepted"] < hinted["teachers"]["careful"]["accepted"]


def test_undo_regeneration_prompt_shows_the_wrong_attempt_and_not_the_answer():
    p = load_split("chain_sum", {"source": "generator", "n_train": 2, "seed": 1}, "train")[0]
    undo = rounds.regeneration_messages(p, "3 + 4 = 8\nThe answer is 8.", "8", hint=False)[0]["content"]
    assert "3 + 4 = 8" in undo and "The student answered 8" in undo and rounds.SOLUTION_MARKER in undo
    assert "correct answer" not in undo
    assert rounds.solution_part("The mistake is here.\nA careful solution:\n1 + 2 = 3") == "1 + 2 = 3"


def test_early_stop_waits_patience_rounds_for_a_new_best():
    assert rounds.gate_verdict([0.5, 0.6])["continue"]                       # round 1 beat round 0
    assert not rounds.gate_verdict([0.5, 0.5])["continue"]
    assert not rounds.gate_verdict([0.5, 0.7, 0.6])["continue"]              # patience 1: round 2 is no new best
    assert rounds.gate_verdict([0.5, 0.7, 0.6], patience=2)["continue"]      # round 1 or 2 beat round 0
    assert not rounds.gate_verdict([0.7, 0.6, 0.65], patience=2)["continue"]  # neither beat round 0
    assert rounds.gate_verdict([0.7, 0.6], patience=2)["continue"]           # too few rounds to judge
    assert rounds.gate_verdict([0.7, 0.6, 0.65], patience=2)["best_before"] == 0.7


def test_undo_diagnoses_on_dev_when_asked(tmp_path):
    wd = workflow_copy(tmp_path / "wd", "tests/configs/rounds_tiny.yaml")
    cfg = yaml.safe_load((wd / "config.yaml").read_text())
    cfg["datasets"]["chain_sum"]["n_dev"] = 8
    cfg["experiments"]["iter"]["diagnose_on"] = "dev"
    (wd / "config.yaml").write_text(yaml.safe_dump(cfg))
    outputs = " ".join(dry_run_outputs(wd, "results/sft/offline.undo-iter-tiny-r1.correct/chain_sum/train.json"))
    assert "results/eval/tiny/chain_sum/offline.cot.correct/chain_sum.dev.jsonl" in outputs     # the dev split's mistakes
    assert "chain_sum.train.jsonl" not in outputs and "chain_sum.test" not in outputs


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
    assert "results/eval/tiny/chain_sum/committee.untrained.all/chain_sum.train.jsonl" in fair_outputs  # the untrained student's mistakes
    assert "results/checkpoints/tiny/chain_sum/committee.untrained.all" in fair_outputs
    for t in ("offline", "offline_b"):
        assert f"results/fair/committee/tiny/chain_sum/r1/feedback/{t}.jsonl" in fair_outputs
        assert f"results/fair/committee/tiny/chain_sum/r1/reviews/{t}.jsonl" in fair_outputs
    assert "results/fair/committee/tiny/chain_sum/r1/pairs/fair.json" in fair_outputs
    assert "pairs/unfiltered.json" not in fair_outputs and "rationales/offline/chain_sum/cot.jsonl" not in fair_outputs
    jobs = dry_run_jobs(wd, "results/checkpoints/tiny/chain_sum/committee.fair-committee-tiny-r1.all")
    assert jobs.get("fair_train") == 1 and "lf_config" not in jobs and "train" not in jobs   # the paired trainer, not LLaMA-Factory


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
    """Two UNDO rounds (continued from the previous checkpoint) and one FAIR round with its five baselines
    (six paired trainings), trained and evaluated: 61 jobs, about 15 minutes on two busy cores."""
    wd = workflow_copy(tmp_path_factory.mktemp("rounds"), "tests/configs/rounds_tiny.yaml")
    snakemake(wd, "--cores", "2", timeout=2400)
    return wd


@pytest.mark.e2e
def test_table_rows_carry_round_and_method(done):
    with open(done / "results/tables/all.csv") as fh:
        rows = list(csv.DictReader(fh))
    undo = {r["recipe"]: r["round"] for r in rows if r["method"] == "undo"}
    assert undo == {"offline.cot.correct": "0", "offline.undo-iter-tiny-r1.correct": "1", "offline.undo-iter-tiny-r2.correct": "2"}
    fair_rows = {r["recipe"]: (r["round"], r["style"]) for r in rows if r["method"] == "fair"}
    assert fair_rows == {"committee.untrained.all": ("0", "untrained"), "committee.fair-committee-tiny-r1.all": ("1", "fair"),
                         "committee.fair-committee-tiny-r1-unfiltered.all": ("1", "unfiltered"),
                         "committee.fair-committee-tiny-r1-nofeedback.all": ("1", "nofeedback"),
                         "committee.fair-committee-tiny-r1-only-offline.all": ("1", "single"),
                         "committee.fair-committee-tiny-r1-only-offline_b.all": ("1", "single")}
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
def test_fair_round_learns_the_untrained_students_mistakes_with_the_paired_loss(done):
    res = done / "results"
    r1 = res / "fair/committee/tiny/chain_sum/r1"
    missed = {row["id"] for row in read_jsonl(res / "eval/tiny/chain_sum/committee.untrained.all/chain_sum.train.jsonl") if not row["correct"]}
    assert missed
    for t in ("offline", "offline_b"):
        feedback, rationales = read_jsonl(r1 / f"feedback/{t}.jsonl"), read_jsonl(r1 / f"rationales/{t}.jsonl")
        assert {f["id"] for f in feedback} == {r["id"] for r in rationales} == missed          # every mistake, every teacher
        assert all(f["messages"][0]["content"].rstrip().endswith(".") and "Hint: The correct answer should be" in f["messages"][0]["content"]
                   for f in feedback)
        assert all("Hint" not in r["messages"][0]["content"] and "Student" not in r["messages"][0]["content"] for r in rationales)
    report = json.loads((r1 / "acceptance.json").read_text())
    assert set(report["teachers"]) == {"offline", "offline_b"} and report["accepted"] > 0
    assert report["accepted_precision"] >= report["pool_precision"] and "hinted" in report["reviewer_precision"]
    pairs = json.loads((r1 / "pairs/fair.json").read_text())
    accepted_ids = {r["id"] for r in read_jsonl(r1 / "accepted.jsonl")}
    assert pairs and {p["id"].split("#")[0] for p in pairs} == accepted_ids                 # one pair per mistake with an accepted rationale
    ckpt = res / "checkpoints/tiny/chain_sum/committee.fair-committee-tiny-r1.all"
    summary = json.loads((ckpt / "paired.json").read_text())
    assert summary["pairs"] == len(pairs) and summary["config"]["alpha"] == 0.5 and (ckpt / "model.safetensors").exists()
    assert json.loads((res / "checkpoints/tiny/chain_sum/committee.fair-committee-tiny-r1-nofeedback.all/paired.json").read_text())["config"]["alpha"] == 0
    assert json.loads((res / "checkpoints/tiny/chain_sum/committee.untrained.all/base_view.json").read_text())["model"].endswith("students/tiny/chain_sum")


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


def test_fair_interleave_option_trains_the_pairs_halves_with_llamafactory(tmp_path):
    """training: interleave (the approximation): the pairs' rationale and feedback halves become LLaMA-Factory's
    `train` and `feedback` sets, mixed with interleave_probs 1-alpha,alpha; the paired trainer is not used."""
    wd = workflow_copy(tmp_path / "wd", "tests/configs/rounds_tiny.yaml")
    cfg = yaml.safe_load((wd / "config.yaml").read_text())
    cfg["experiments"] = {"committee": {**cfg["experiments"]["committee"], "training": "interleave", "baselines": False}}
    (wd / "config.yaml").write_text(yaml.safe_dump(cfg))
    jobs = dry_run_jobs(wd, "results/checkpoints/tiny/chain_sum/committee.fair-committee-tiny-r1.all")
    assert jobs["fair_sft"] == 1 and jobs["rounds_lf_config"] == 1 and jobs["train"] == 1 and "fair_train" not in jobs
    rows = [{"id": "p#0", "feedback": {"messages": [{"role": "user", "content": "fb prompt"}, {"role": "assistant", "content": "fb"}]},
             "rationale": {"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "r"}]}}]
    assert fair_protocol.pair_alpaca(rows) == ([{"instruction": "q", "input": "", "output": "r"}],
                                               [{"instruction": "fb prompt", "input": "", "output": "fb"}])
    assert rounds.config_overrides({"kind": "round", "method": "fair"}, {"alpha": 0.5, "mix": "interleave_over"}, 1, 1) == {
        "dataset": "train,feedback", "mix_strategy": "interleave_over", "interleave_probs": "0.5,0.5"}
