"""Real snakemake on the tiny config: data → rationales → SFT → LLaMA-Factory → generation → table."""

from __future__ import annotations

import csv
import json

import pytest
import yaml

from conftest import dry_run_jobs, snakemake, workflow_copy
from cotdistill.answers import check, extract
from cotdistill.stats import wilson

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def done(tmp_path_factory, lf_python):
    """A workdir where the whole tiny pipeline has run once."""
    wd = workflow_copy(tmp_path_factory.mktemp("e2e"))
    snakemake(wd, "--cores", "2", "results/tables/all.csv")
    return wd


def read_table(wd):
    with open(wd / "results/tables/all.csv") as fh:
        return list(csv.DictReader(fh))


def test_table_has_a_row_per_run(done):
    rows = read_table(done)
    recipes = sorted((r["experiment"], r["recipe"]) for r in rows)
    assert recipes == [
        ("baseline", "offline.cot.correct"),
        ("baseline", "offline.direct.correct"),
        ("baseline", "offline_b.cot.correct"),
        ("baseline", "offline_b.direct.correct"),
        ("grid", "offline.g3-symbolic.correct"),
    ]
    for r in rows:
        assert r["dataset"] == "chain_sum" and r["student"] == "tiny" and int(r["n"]) == 8
        # k recomputed from the generations with the checker; the interval is Wilson's for that k
        k = sum(recheck(done, f"tiny/chain_sum/{r['recipe']}"))
        assert int(r["k"]) == k and float(r["accuracy"]) == k / 8
        assert (float(r["ci_low"]), float(r["ci_high"])) == pytest.approx(wilson(k, 8))
    grid = next(r for r in rows if r["experiment"] == "grid")
    assert grid["granularity"] == "3" and grid["format"] == "symbolic" and grid["teacher"] == "offline"


def recheck(wd, run: str) -> list[bool]:
    """Correctness of a run's raw generations, recomputed with the checker against the problems' own gold
    answers (results/data), independently of the stored eval rows."""
    problems = {p["id"]: p for p in map(json.loads, open(wd / "results/data/chain_sum/test.jsonl"))}
    gens = [json.loads(line) for line in open(wd / f"results/generations/{run}/chain_sum.jsonl")]
    assert sorted(g["id"] for g in gens) == sorted(problems)
    return [check(extract(g["response"], "number"), problems[g["id"]]["answer"], "number")[0] for g in sorted(gens, key=lambda g: g["id"])]


def test_eval_rows_recheck_against_gold(done):
    run = "tiny/chain_sum/offline.cot.correct"
    rows = sorted((json.loads(l) for l in open(done / f"results/eval/{run}/chain_sum.jsonl")), key=lambda r: r["id"])
    metrics = json.loads((done / f"results/eval/{run}/chain_sum.metrics.json").read_text())
    assert [r["correct"] for r in rows] == recheck(done, run)
    assert metrics["n"] == 8 and metrics["k"] == sum(recheck(done, run)) and metrics["accuracy"] == metrics["k"] / 8
    assert {"id", "run", "dataset", "prompt", "response", "pred", "gold", "correct"} <= set(rows[0])


def test_html_report_with_provenance(done):
    """`make report`'s two commands: the study (rule all: table, figures, provenance page), then Snakemake's
    HTML report with the figures, the table and the provenance page."""
    snakemake(done, "--cores", "2")
    page = (done / "results/report/provenance.html").read_text()
    assert "git commit <code>" in page and "offline_b.cot.correct" in page and "llamafactory" in page.lower()
    assert "Wall time per run" in page and "error_rate: 0.4" in page
    snakemake(done, "--report", "results/report.html")
    html = (done / "results/report.html").read_text()
    assert len(html) > 10_000
    for name in ("accuracy.png", "granularity.png", "all.csv", "provenance.html"):
        assert name in html
    assert "Held-out accuracy of every run" in html  # the figure's caption from the registry, through params


def test_rationales_carry_grading_and_usage(done):
    rows = [json.loads(l) for l in open(done / "results/rationales/offline_b/chain_sum/cot.jsonl")]
    assert len(rows) == 48
    wrong = [r for r in rows if not r["correct"]]
    assert 0 < len(wrong) < 48  # error_rate 0.4 makes mistakes, not only mistakes
    assert all(r["usage"]["completion_tokens"] > 0 for r in rows)
    stats = json.loads((done / "results/sft/offline_b.cot.correct/chain_sum/stats.json").read_text())
    assert stats["kept"] == 48 - len(wrong) and stats["wrong"] == len(wrong)


def test_llamafactory_config_and_checkpoint(done):
    cfg = yaml.safe_load((done / "results/configs/tiny/chain_sum/offline.cot.correct.yaml").read_text())
    assert cfg["template"] == "default" and cfg["finetuning_type"] == "full" and cfg["num_train_epochs"] == 1
    assert (done / "results/checkpoints/tiny/chain_sum/offline.cot.correct/model.safetensors").exists()


def test_nothing_to_do_after_a_complete_run(done):
    assert dry_run_jobs(done, "results/tables/all.csv") == {}


def test_changing_one_teacher_reruns_only_its_branch(done, tmp_path):
    cfg = yaml.safe_load((done / "config.yaml").read_text())
    cfg["teachers"]["offline_b"]["error_rate"] = 0.1
    changed = tmp_path / "changed.yaml"
    changed.write_text(yaml.safe_dump(cfg))
    jobs = dry_run_jobs(done, "results/tables/all.csv", extra=("--configfile", str(changed)))
    # offline_b's two rationale files and everything downstream of them; nothing of teacher `offline`.
    assert jobs == {
        "rationales": 2, "sft": 2, "lf_config": 2, "train": 2, "generate": 2, "score": 2,
        "table": 1,
    }
    proc = snakemake(done, "results/tables/all.csv", "-n", "--configfile", str(changed))
    assert "rationales/offline/" not in proc.stdout
