"""Disjoint splits: the normalised key, de-duplication within and across splits, the data rule's summary."""

from __future__ import annotations

import json

import pytest
import yaml

from conftest import ROOT, snakemake, workflow_copy
from cotdistill.data.dedup import dedup, key, normalise
from cotdistill.data.generators import generate_split


def test_normalise_folds_case_whitespace_and_number_formatting():
    assert normalise("  What is  1,000.50 +\n2?") == normalise("what is 1000.5+2 ?") == "what is 1000.5+2?"
    assert normalise("3.0 apples") == normalise("3 apples") and normalise("3.05") == "3.05"
    assert normalise("3 - 5 + 0") == normalise("3-5+0") != normalise("3-5+1")
    assert normalise("１２ Ａpples") == "12 apples"  # full-width forms
    assert key({"question": "Pick one", "choices": ["A b", "c"]}) != key({"question": "Pick one", "choices": ["a b", "d"]})


def test_dedup_within_and_against_earlier_splits():
    p = lambda i, q: {"id": f"p{i}", "question": q}  # noqa: E731
    train = [p(0, "1 + 1 ="), p(1, "1+1 ="), p(2, "2 + 2 ="), p(3, "3 + 3 ="), p(4, "  2 + 2 = ")]
    test = [p(9, "3+3 =")]
    kept, s = dedup(train, {"test": test, "missing": None})
    assert [x["id"] for x in kept] == ["p0", "p2"]
    assert s["within_split_duplicates"] == 2 and s["removed_as_in"] == {"test": 1, "missing": 0}
    assert s["absent_splits"] == ["missing"] and (s["loaded"], s["kept"]) == (5, 2)


def test_template_disjoint_gsm_symbolic():
    cfg = {"generator": "gsm_symbolic", "n_train": 120, "n_test": 20, "seed": 1}
    train, test = generate_split("g", cfg, "train"), generate_split("g", cfg, "test")
    assert all(p["meta"]["template"].startswith("gsm_symbolic:") for p in train + test)
    kept, s = dedup(train, {"test": test}, disjoint="template")
    test_templates = {p["meta"]["template"] for p in test}
    assert kept and not {p["meta"]["template"] for p in kept} & test_templates
    assert s["removed_as_in"]["test"] == sum(p["meta"]["template"] in test_templates for p in train) - s["within_split_duplicates"]
    with pytest.raises(ValueError, match="template"):
        dedup([{"id": "a", "question": "q"}], {"test": []}, disjoint="template")


@pytest.fixture(scope="module")
def default_data(tmp_path_factory):
    """The default config's chain_sum splits, built by the real data rule."""
    wd = workflow_copy(tmp_path_factory.mktemp("dedup"), config="config.yaml")
    snakemake(wd, "--cores", "2", "results/data/chain_sum/train.jsonl", "results/data/chain_sum/test.jsonl")
    return wd


def _read(wd, split):
    rows = [json.loads(line) for line in open(wd / f"results/data/chain_sum/{split}.jsonl")]
    return rows, json.loads((wd / f"results/data/chain_sum/{split}.summary.json").read_text())


def test_default_chain_sum_known_duplicates_removed(default_data):
    train, s_train = _read(default_data, "train")
    test, s_test = _read(default_data, "test")
    known = "State the final answer to the following arithmetic problem: 3 - 5 + 0 + 3 + 1 ="
    assert any(p["question"] == known for p in test)  # test keeps it ...
    assert not any(p["question"] == known for p in train)  # ... train drops it
    assert s_train["within_split_duplicates"] == 13 and s_train["removed_as_in"] == {"test": 1}
    assert (s_train["loaded"], s_train["kept"], len(train)) == (6000, 5986, 5986)
    assert s_train["examples_removed"] == [known]
    assert (s_test["loaded"], s_test["kept"], s_test["within_split_duplicates"]) == (200, 200, 0)
    train_keys, test_keys = [key(p) for p in train], {key(p) for p in test}
    assert len(set(train_keys)) == len(train_keys) and not set(train_keys) & test_keys


def test_dry_run_of_the_default_plans_the_summaries(tmp_path):
    wd = workflow_copy(tmp_path, config="config.yaml")
    out = snakemake(wd, "-n").stdout
    for ds in ("chain_sum", "gsm_symbolic"):
        for split in ("train", "test"):
            assert f"results/data/{ds}/{split}.summary.json" in out


def test_loaded_dataset_is_deduplicated_by_the_data_rule(tmp_path):
    """A local GSM8K-format dataset whose train file repeats a test question (other case, spacing and number
    formatting) and one of its own questions: the rule drops both and says so in the summary."""
    wd = workflow_copy(tmp_path / "wd")
    src = [json.loads(line) for line in open(ROOT / "tests/fixtures/gsm8k/test.jsonl")]
    train = [json.loads(line) for line in open(ROOT / "tests/fixtures/gsm8k/train.jsonl")]
    echo = {**src[0], "question": "  " + src[0]["question"].upper().replace(" 16 ", " 16.00 ").replace(". ", ".   ")}
    again = dict(train[1])
    data = wd / "local"
    data.mkdir()
    (data / "test.jsonl").write_text("".join(json.dumps(r) + "\n" for r in src))
    (data / "train.jsonl").write_text("".join(json.dumps(r) + "\n" for r in [*train, echo, again]))
    cfg = yaml.safe_load((wd / "config.yaml").read_text())
    cfg["datasets"]["local"] = {"source": "jsonl", "format": "gsm8k", "files": {"train": "local/train.jsonl", "test": "local/test.jsonl"}}
    (wd / "config.yaml").write_text(yaml.safe_dump(cfg))
    snakemake(wd, "--cores", "1", "results/data/local/train.jsonl")
    summary = json.loads((wd / "results/data/local/train.summary.json").read_text())
    assert (summary["loaded"], summary["kept"]) == (len(train) + 2, len(train))
    assert summary["within_split_duplicates"] == 1 and summary["removed_as_in"] == {"test": 1}
    kept = [json.loads(line) for line in open(wd / "results/data/local/train.jsonl")]
    assert not {key(p) for p in kept} & {key({"question": r["question"]}) for r in src}
