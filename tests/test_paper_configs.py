"""config/papers/*.yaml: each paper's setup plans every job (dry-run with fake keys, no network), and each
states line by line what is the paper's and what is ours."""

from __future__ import annotations

import pytest
import yaml

from conftest import ROOT, dry_run_jobs, workflow_copy

KEYS = {"OPENAI_API_KEY": "sk-dry-run-only", "GEMINI_API_KEY": "dry-run-only", "MISTRAL_API_KEY": "dry-run-only",
        "VLLM_API_KEY": "dry-run-only"}


def load(name: str) -> dict:
    return yaml.safe_load((ROOT / "config" / "papers" / f"{name}.yaml").read_text())


@pytest.fixture
def keys(monkeypatch):
    for k, v in KEYS.items():
        monkeypatch.setenv(k, v)


@pytest.mark.parametrize("name", ["fair", "undo", "keyfactors"])
def test_comment_block_says_what_is_the_papers(name):
    text = (ROOT / "config" / "papers" / f"{name}.yaml").read_text()
    header = text.split("\n\n", 1)[0]
    assert "PAPER" in header and "OURS" in header and "docs/fidelity.md" in header
    body = [ln for ln in text.splitlines() if ln and not ln.lstrip().startswith("#")]
    assert sum("# PAPER" in ln for ln in body) >= 8


def test_fair_config(tmp_path, keys):
    cfg = load("fair")
    assert cfg["students"]["llama2_7b_chat"]["train"] | {} == {
        "learning_rate": 1.0e-5, "epochs": 10, "per_device_batch_size": 8, "gradient_accumulation_steps": 2,
        "lr_scheduler_type": "constant", "warmup_ratio": 0.03, "weight_decay": 0.01, "cutoff_len": 512, "bf16": True,
        "seed": 731, "extra": {"max_grad_norm": 0.3}}
    assert cfg["teachers"]["mixtral"]["base_url"] == "https://api.deepinfra.com/v1/openai"
    assert {e["alpha"] for e in cfg["experiments"].values()} == {0.5}
    wd = workflow_copy(tmp_path / "wd", "config/papers/fair.yaml")
    jobs = dry_run_jobs(wd, "results/tables/all.csv")
    # per dataset: the untrained student (round 0, on test and on the training problems); round 1: 3 teachers'
    # feedback + rationales, 3 reviews, the verdict; pairs and a paired training (our trainer, no LLaMA-Factory)
    # for FAIR and its 5 baselines (unfiltered, no feedback, each of 3 teachers only), each evaluated on test
    assert jobs == {"data": 4, "fair_untrained": 2, "generate": 14, "score": 14, "generate_split": 2, "score_split": 2,
                    "fair_teacher": 6, "fair_review": 6, "fair_select": 2, "fair_pairs": 12, "fair_train": 12, "table": 1}
    assert {e["training"] for e in cfg["experiments"].values() if "training" in e} == {"paired"}


def test_undo_config(tmp_path, keys):
    cfg = load("undo")
    assert cfg["students"]["qwen25_math_15b"]["train"]["learning_rate"] == 2.0e-5
    assert cfg["experiments"]["undo_numina"]["diagnose_on"] == "train"
    assert cfg["experiments"]["undo_numina"]["max_rounds"] == 3
    wd = workflow_copy(tmp_path / "wd", "config/papers/undo.yaml")
    jobs = dry_run_jobs(wd, "results/tables/all.csv")
    # round 0 + 3 rounds + a one-shot baseline per round, each evaluated on 3 test sets; rounds 0-2 on the train split
    assert jobs == {"data": 4, "rationales": 1, "sft": 1, "lf_config": 1, "rounds_sft": 6, "rounds_lf_config": 6,
                    "train": 7, "generate": 21, "score": 21, "generate_split": 3, "score_split": 3, "regenerate": 3,
                    "table": 1}
    assert cfg["teachers"]["qwen3_30b"]["system"].startswith("You are a careful math expert")


def test_keyfactors_config(tmp_path, keys):
    cfg = load("keyfactors")
    train = cfg["students"]["gemma_2b"]["train"]
    assert (train["learning_rate"], train["epochs"], train["lr_scheduler_type"], train["cutoff_len"], train["seed"]) == (5.0e-5, 3, "cosine", 512 * 8, 100)
    assert train["per_device_batch_size"] * train["gradient_accumulation_steps"] == 64
    assert cfg["students"]["bloom_560m"]["generation"]["decoding"] == {"strategy": "beam", "num_beams": 5}
    wd = workflow_copy(tmp_path / "wd", "config/papers/keyfactors.yaml")
    jobs = dry_run_jobs(wd, "results/tables/all.csv")
    # granularity: 6 levels x 3 teachers x 3 datasets = 54 rationale sets, x 3 students = 162 runs;
    # formats: 4 formats (nl at level 3 shared with the grid) -> 3 more rationale sets and 3 more runs;
    # baselines: human rationales and gold answers on GSM8K and MATH (4 sets) x 3 students = 12 more runs
    assert jobs == {"data": 6, "gold_rationales": 4, "rationales": 57, "sft": 61, "lf_config": 177, "train": 177, "generate": 177,
                    "score": 177, "table": 1}
    assert cfg["experiments"]["baselines"]["gold_baselines"] == ["human", "answer_only"]
