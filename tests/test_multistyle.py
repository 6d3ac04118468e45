"""Multi-style CoT: the enriched log's schema, the correct-only set, the SFT mixes, and best-of-styles'
ranking chosen on the dev split (not on the training problems it trains on, never on test)."""

from __future__ import annotations

import json

import pytest
import yaml

from conftest import ROOT, dry_run_jobs, snakemake, workflow_copy
from cotdistill.answers import check, extract
from cotdistill.data.generators import generate_split
from cotdistill.experiments import ConfigError, expand_runs
from cotdistill.io import read_jsonl
from cotdistill.methods.multistyle import correct_only, enrich, select_styles, sft_rationales, style_accuracy
from cotdistill.rationales import solve
from cotdistill.sft import sft_example

STYLES = ["step_by_step", "code", "plain"]
CFG = {"kind": "offline", "error_rate": 0.0, "style_error_rates": {"plain": 0.6, "code": 0.2}, "seed": 5}


def enriched(split="train", cfg=CFG):
    problems = generate_split("cs", {"generator": "chain_sum", "n_train": 60, "n_dev": 60, "seed": 2}, split)
    rationales = {s: solve("t", cfg, problems, f"style-{s}", None)[0] for s in STYLES}
    return problems, enrich(problems, STYLES, rationales)


def test_enriched_log_schema():
    problems, rows = enriched()
    assert len(rows) == len(problems)
    for row in rows:
        assert set(row) == {"id", "question", "answer", "styles", "prompts", "responses", "preds", "correct_flags"}
        assert row["styles"] == STYLES
        assert all(len(row[k]) == len(STYLES) for k in ("prompts", "responses", "preds", "correct_flags"))
        # every flag is the checker's verdict on that style's response (recomputed here), not just a bool
        assert row["correct_flags"] == [check(extract(r, "number"), row["answer"], "number")[0] for r in row["responses"]]
    # each style's prompt carries its own instruction
    assert "Python program" in rows[0]["prompts"][1] and "step by step" in rows[0]["prompts"][0]


def test_correct_only_and_style_accuracy():
    _, rows = enriched()
    acc = style_accuracy(rows)
    assert acc["step_by_step"] == 1.0 and acc["plain"] < acc["code"] < 1.0
    kept = correct_only(rows)
    assert kept == [r for r in rows if any(r["correct_flags"])] and len(kept) == len(rows)


def test_sft_mixes():
    _, rows = enriched()
    everything = sft_rationales(rows, "all")
    assert len(everything) == len(rows) * len(STYLES)
    best = sft_rationales(rows, "best", select_styles(rows, "train")["ranking"])
    assert len(best) == len(rows) and all(r["correct"] for r in best)
    assert {r["style"] for r in best} == {"step_by_step"}  # the teacher's most accurate style
    with pytest.raises(ValueError, match="needs the style ranking"):
        sft_rationales(rows, "best")


def test_capped_all_mix_samples_many_problems():
    """LLaMA-Factory's max_samples keeps the first N rows: the SFT set is shuffled (seeded) so that a cap
    on the all-styles mix covers many problems, not the first few problems' every style."""
    from cotdistill.sft import build_sft

    problems, rows = enriched()
    sft, stats = build_sft(problems, sft_rationales(rows, "all"), "correct")
    assert stats["kept"] == len(sft)
    first = {r["instruction"] for r in sft[: len(problems) // 2]}
    assert len(first) > len(problems) // 4  # unshuffled, the first half would hold ~len/6 problems
    assert sft == build_sft(problems, sft_rationales(rows, "all"), "correct")[0]  # deterministic


# A teacher whose styles rank the other way round on the dev problems than on the training problems.
DEV_CFG = {"kind": "offline", "error_rate": 0.0, "style_error_rates": {"step_by_step": 0.7, "plain": 0.3, "code": 0.0}, "seed": 5}


def test_dev_ranking_wins_over_the_training_ranking():
    _, train_rows = enriched("train", CFG)
    dev_problems, dev_rows = enriched("dev", DEV_CFG)
    assert {p["split"] for p in dev_problems} == {"dev"} and not {p["id"] for p in dev_problems} & {r["id"] for r in train_rows}
    on_train, on_dev = select_styles(train_rows, "train"), select_styles(dev_rows, "dev")
    # the record holds each style's accuracy on its split, recomputed here from the checker's flags
    dev_acc = {s: sum(check(extract(r["responses"][i], "number"), r["answer"], "number")[0] for r in dev_rows) / len(dev_rows)
               for i, s in enumerate(STYLES)}
    assert on_dev["accuracy"] == dev_acc and on_dev["n"] == 60 and on_dev["select_on"] == "dev"
    assert on_train["ranking"] == ["step_by_step", "code", "plain"] and on_train["chosen"] == "step_by_step"
    assert on_dev["ranking"] == ["code", "plain", "step_by_step"] and on_dev["chosen"] == "code"
    # best-of-styles on the training rows follows the dev ranking: per problem the first dev-ranked style that
    # is right there (code wherever code is right), not the training ranking's step_by_step everywhere
    best = sft_rationales(train_rows, "best", on_dev["ranking"])
    expected = [next(s for s in on_dev["ranking"] if r["correct_flags"][STYLES.index(s)]) for r in train_rows]
    assert [b["style"] for b in best] == expected
    n_code = sum(r["correct_flags"][STYLES.index("code")] for r in train_rows)
    assert [b["style"] for b in best].count("code") == n_code and 0 < n_code < len(train_rows)
    assert {b["style"] for b in sft_rationales(train_rows, "best", on_train["ranking"])} == {"step_by_step"}


MS = {"method": "multistyle", "datasets": ["d"], "teachers": ["t"], "students": ["s"], "styles": ["code", "plain"]}


def _config(dataset: dict, **keys) -> dict:
    return {"datasets": {"d": dataset}, "teachers": {"t": {"kind": "offline"}},
            "students": {"s": {"init": {}, "template": "default"}}, "experiments": {"ms": {**MS, **keys}}}


@pytest.mark.parametrize(("dataset", "keys", "message"), [
    ({"source": "generator"}, {},
     "experiments.ms.select_on: dev, but datasets.d has no dev split (set datasets.d.n_dev for a generator, "
     "dev_size or a dev file otherwise; or select_on: train)"),
    ({"source": "jsonl", "files": {"train": "a.jsonl", "test": "b.jsonl"}}, {"select_on": "dev"},
     "experiments.ms.select_on: dev, but datasets.d has no dev split"),
    ({"source": "generator", "n_dev": 10}, {"select_on": "test"},
     "experiments.ms.select_on: test would choose the best style on the test split; use dev (or train)"),
    ({"source": "generator", "n_dev": 10}, {"select_on": "best"}, "experiments.ms.select_on: must be one of dev, train"),
])
def test_select_on_refused_without_a_dev_split_or_on_test(dataset, keys, message):
    with pytest.raises(ConfigError) as err:
        expand_runs(_config(dataset, **keys))
    assert str(err.value).startswith(message) and "\n" not in str(err.value)


@pytest.mark.parametrize(("dataset", "keys"), [
    ({"source": "generator", "n_dev": 10}, {}),  # a generator's dev split
    ({"source": "jsonl", "files": {"train": "a.jsonl", "test": "b.jsonl"}, "dev_size": 5}, {}),  # carved from train
    ({"source": "jsonl", "files": {"train": "a.jsonl", "test": "b.jsonl", "dev": "c.jsonl"}}, {}),  # the source's own
    ({"source": "generator"}, {"select_on": "train"}),  # the honest name for ranking on the training problems
])
def test_select_on_accepted(dataset, keys):
    assert [r.recipe for r in expand_runs(_config(dataset, **keys))][:2] == ["t.multistyle-ms-all.correct", "t.multistyle-ms-best.correct"]


def _styles_workflow(tmp_path, **keys):
    wd = workflow_copy(tmp_path / "wd")
    cfg = yaml.safe_load((ROOT / "tests/configs/tiny.yaml").read_text())
    cfg["datasets"]["chain_sum"]["n_dev"] = 12
    cfg["teachers"]["offline"]["style_error_rates"] = {"plain": 0.5, "code": 0.0}
    cfg["experiments"] = {"styles": {"method": "multistyle", "datasets": ["chain_sum"], "teachers": ["offline"],
                                     "students": ["tiny"], "styles": ["step_by_step", "code", "plain"], **keys}}
    (wd / "config.yaml").write_text(yaml.safe_dump(cfg))
    return wd


SELECTION = "results/multistyle/styles/offline/chain_sum.selection.json"
BEST_SFT = "results/sft/offline.multistyle-styles-best.correct/chain_sum/train.json"


def test_dry_run_plans_the_dev_rationales_for_best_of_styles(tmp_path):
    wd = _styles_workflow(tmp_path)
    jobs = dry_run_jobs(wd, BEST_SFT)
    # the dev split, each style's rationales on it, the ranking; the training side as before
    assert jobs == {"data": 2, "rationales": 3, "rationales_split": 3, "multistyle_log": 1, "multistyle_select": 1, "sft": 1}
    out = snakemake(wd, "-n", BEST_SFT).stdout
    for style in ("step_by_step", "code", "plain"):
        assert f"results/rationales/offline/chain_sum/style-{style}.dev.jsonl" in out
    assert "results/data/chain_sum/dev.jsonl" in out and SELECTION in out
    # the all-styles mix needs no ranking; select_on: train ranks on the training rationales, no dev split
    assert "multistyle_select" not in dry_run_jobs(wd, BEST_SFT.replace("-best.", "-all."))
    wd_train = _styles_workflow(tmp_path / "train", select_on="train")
    assert dry_run_jobs(wd_train, BEST_SFT) == {"data": 1, "rationales": 3, "multistyle_log": 1, "multistyle_select": 1, "sft": 1}


def test_selection_record_from_the_dev_rationales(tmp_path):
    """Real snakemake up to the best-of-styles SFT set: the record is the teacher's accuracy per style on the
    dev problems (recomputed from the dev rationale files) and the SFT set takes each problem's response from
    the first style of that ranking that got it right."""
    wd = _styles_workflow(tmp_path)
    snakemake(wd, BEST_SFT, "--cores", "2")
    record = json.loads((wd / SELECTION).read_text())
    res = wd / "results"
    dev_ids = {p["id"] for p in read_jsonl(res / "data/chain_sum/dev.jsonl")}
    dev = {s: read_jsonl(res / f"rationales/offline/chain_sum/style-{s}.dev.jsonl") for s in ("step_by_step", "code", "plain")}
    assert all({r["id"] for r in rows} == dev_ids for rows in dev.values()) and len(dev_ids) == record["n"] > 0
    acc = {s: sum(bool(r["correct"]) for r in rows) / len(rows) for s, rows in dev.items()}
    assert record["select_on"] == "dev" and record["accuracy"] == acc
    assert record["ranking"] == sorted(acc, key=lambda s: (-acc[s], ["step_by_step", "code", "plain"].index(s)))
    assert record["chosen"] == record["ranking"][0] and set(record["train_accuracy"]) == set(acc)
    log = read_jsonl(res / "multistyle/styles/offline/chain_sum.enriched.jsonl")
    problems = {p["id"]: p for p in read_jsonl(res / "data/chain_sum/train.jsonl")}
    styles = log[0]["styles"]
    expected = [sft_example(problems[r["id"]], r["responses"][styles.index(next(s for s in record["ranking"] if r["correct_flags"][styles.index(s)]))])
                for r in log if any(r["correct_flags"])]
    got = json.loads((wd / BEST_SFT).read_text())
    assert sorted(map(json.dumps, got)) == sorted(map(json.dumps, expected)) and len(got) > 0
