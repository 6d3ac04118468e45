"""config/papers/distill.yaml and config/papers/itersumm.yaml: each paper's setup plans every job (dry-run with
fake keys, no network, released-layout data files written by the test), each says line by line what is the
paper's and what is ours, and the keys hold the papers' values."""

from __future__ import annotations

import csv
import json

import pytest

from conftest import dry_run_jobs, workflow_copy
from cotdistill.experiments import expand_runs
from cotdistill.methods.router.config import RouterConfig
from test_paper_configs import keys, load  # noqa: F401  (the fake-keys fixture: GEMINI_API_KEY, VLLM_API_KEY, ...)
from test_paper_configs import test_comment_block_says_what_is_the_papers as comment_block


@pytest.mark.parametrize("name", ["distill", "itersumm"])
def test_comment_blocks(name):
    comment_block(name)


def test_distill_config_values():
    cfg = load("distill")
    exp = cfg["experiments"]["distill"]
    r = RouterConfig.from_dict(exp["router"])
    assert [cfg["students"][s]["model"] for s in exp["students"]] == ["mistralai/Mistral-7B-Instruct-v0.3", "google/gemma-7b-it"]
    assert (r.finetuning, r.lora.r, r.lora.alpha, r.lora.dropout, r.lora.target_modules) == ("qlora", 8, 32, 0.05, ["q_proj", "v_proj"])
    assert (r.lr_s1, r.lr_s2, r.router_lr, r.epochs, r.batch_size, r.max_length, r.seed) == (2e-4, 2e-4, 1e-4, 10, 4, 768, 42)
    assert (r.encoder.kind, r.encoder.model, r.encoder.max_length, r.router_hidden) == ("hub", "FacebookAI/roberta-base", 512, None)
    assert (r.reference_gradients, r.ensemble, r.ensemble_length_normalise, r.ensemble_weights) == (True, "sequence", False, False)
    assert len(exp["styles"]) == 6 and exp["sft_baseline"] and exp["prompt"] == "wrapped"
    assert cfg["teachers"]["gemini"]["temperature"] == 0.8


def test_distill_config_dry_run(tmp_path, keys):
    wd = workflow_copy(tmp_path / "wd", "config/papers/distill.yaml")
    jobs = dry_run_jobs(wd, "results/tables/all.csv")
    runs = expand_runs(load("distill"))
    # per dataset: the six styles' rationales and the enriched log, the rows, five trained modes (router, naive,
    # only_a, only_b, sft) and seven views (router ens/a/b, naive ens, only_a a, only_b b, sft ens)
    assert len(runs) == 3 * 7
    assert {k: jobs.get(k) for k in ("rationales", "multistyle_log", "router_data", "router_train", "router_view",
                                      "generate", "score")} == {
        "rationales": 18, "multistyle_log": 3, "router_data": 3, "router_train": 15, "router_view": 21,
        "generate": 21, "score": 21}
    assert "train" not in jobs and "build_student" not in jobs  # hub students, trained by the router trainer


def write_itersumm_data(wd):
    d = wd / "data" / "itersumm"
    d.mkdir(parents=True)
    with open(d / "aime_2024.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "question", "solution", "answer"])
        w.writerows([["2024-I-1", "Find a.", "", "204"], ["2024-I-2", "Find b.", "", "25"]])
    with open(d / "gpqa_diamond.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["Question", "Correct Answer", "Incorrect Answer 1", "Incorrect Answer 2", "Incorrect Answer 3", "Record ID"])
        w.writerows([["Which is a lepton?", "electron", "proton", "neutron", "pion", "rec1"],
                     ["Which is a boson?", "photon", "electron", "muon", "proton", "rec2"]])
    rows = [{"year": 2004, "contest": "AIME_I", "number": 15, "level": 6, "multiple_choice_only": False,
             "problem": "Find n.", "answer": "$448$"},
            {"year": 1990, "contest": "AHSME", "number": 30, "level": 6, "multiple_choice_only": True,
             "problem": "Which?", "answer": "$C$"},
            {"year": 1950, "contest": "AHSME", "number": 1, "level": 2, "multiple_choice_only": False,
             "problem": "Split.", "answer": "$3$"}]
    (d / "HARP.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))


def test_itersumm_config_values_and_dry_run(tmp_path, keys):
    cfg = load("itersumm")
    solver = cfg["teachers"]["r1_qwen14b"]
    assert (solver["temperature"], solver["top_p"], solver["top_k"], solver["max_tokens"]) == (0.6, 0.95, 40, 8192)
    for exp in cfg["experiments"].values():
        assert (exp["max_iterations"], exp["continue_after_correct"], exp["summarizer"]) == (4, True, "qwen25_14b")
        assert exp["continuation"]["max_total_tokens"] in (32000, 32768) and exp["summary_post_think"] is False
    # max_iterations counts re-attempts after the first: iterations 0-4, two variants each, per experiment
    assert sorted({r.labels["round"] for r in expand_runs(cfg)}) == [0, 1, 2, 3, 4]
    wd = workflow_copy(tmp_path / "wd", "config/papers/itersumm.yaml")
    write_itersumm_data(wd)
    jobs = dry_run_jobs(wd, "results/tables/all.csv")
    assert {k: jobs.get(k) for k in ("data", "summarize_first", "summarize_next", "summarize_metrics")} == {
        "data": 3, "summarize_first": 3, "summarize_next": 12, "summarize_metrics": 15}
