"""The router experiment for two students with different tokenizers (the Distill paper's Mistral-7B + Gemma-7B
situation, here two from-scratch students whose BPE vocabularies differ), through real snakemake: both
train, and every view (ens, a, b, and the is_sft baseline's ens) generates and is scored."""

from __future__ import annotations

import csv

import pytest
import yaml

from conftest import snakemake, workflow_copy
from cotdistill.io import read_json, read_jsonl


@pytest.mark.e2e
def test_two_vocabularies_every_view_generates_and_scores(tmp_path, lf_python):
    wd = workflow_copy(tmp_path, "tests/configs/methods_tiny.yaml")
    cfg = yaml.safe_load((wd / "config.yaml").read_text())
    del cfg["experiments"]["iterated"]
    cfg["students"]["tiny_qwen"]["init"]["vocab_size"] = 420  # a different BPE vocabulary than tiny's 300
    cfg["experiments"]["mix"].update(baselines=False, sft_baseline=True,
                                     router={**cfg["experiments"]["mix"]["router"], "consistency": "mse"})
    (wd / "config.yaml").write_text(yaml.safe_dump(cfg))
    snakemake(wd, "--cores", "2", "results/tables/all.csv")

    base = wd / "results/router/mix/offline/chain_sum"
    ens = read_json(base / "router/ensemble.json")
    assert (ens["shared_tokenizer"], ens["ensemble"]) == (False, "sequence")
    assert read_json(base / "sft/ensemble.json")["n_rows"] == len({r["group"] for r in read_jsonl(base / "train.jsonl")
                                                                    if not r.get("gold")})
    with open(wd / "results/tables/all.csv") as fh:
        rows = [r for r in csv.DictReader(fh) if r["method"] == "router"]
    assert sorted((r["mode"], r["member"]) for r in rows) == [("router", "a"), ("router", "b"), ("router", "ens"),
                                                              ("sft", "ens")]
    assert all(r["n"] == "6" for r in rows)
    gen = {m: read_jsonl(wd / f"results/generations/{s}/chain_sum/offline.router-mix-router-{m}.correct/chain_sum.jsonl")
           for m, s in (("ens", "tiny"), ("a", "tiny"), ("b", "tiny_qwen"))}
    # the sequence ensemble keeps, per problem, one of the two students' own greedy answers
    assert all(e["response"] in (a["response"], b["response"]) for e, a, b in zip(gen["ens"], gen["a"], gen["b"]))
    view = read_json(wd / "results/checkpoints/tiny/chain_sum/offline.router-mix-router-ens.correct/router_view.json")
    assert view["members"] == ["a", "b"] and view["templates"] == {"a": "default", "b": "default"}
