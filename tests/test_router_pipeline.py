"""The router mixture through real snakemake on a tiny config: training modes, logs, positive rates, and
evaluation of the ensemble and each student by the same generate/score rules as every other run."""

from __future__ import annotations

import csv
import json

import pytest

from conftest import snakemake, workflow_copy
from cotdistill.experiments import ConfigError, expand_runs
from cotdistill.io import read_json, read_jsonl
from cotdistill.methods import router


def test_training_rows_carry_style_and_filter():
    problems = [{"id": "p1", "question": "1+2", "answer": "3", "answer_type": "number"},
                {"id": "p2", "question": "2+2", "answer": "4", "answer_type": "number"}]
    enriched = [{"id": "p1", "styles": ["a", "b"], "responses": ["r1a", "r1b"], "correct_flags": [True, False]},
                {"id": "p2", "styles": ["a", "b"], "responses": ["r2a", " "], "correct_flags": [True, True]},
                {"id": "gone", "styles": ["a"], "responses": ["x"], "correct_flags": [True]}]
    rows = router.training_rows(problems, enriched, "correct")
    assert [(r["id"], r["style"]) for r in rows] == [("p1-a", "a"), ("p2-a", "a")]  # wrong and empty dropped
    assert rows[0]["messages"] == [{"role": "user", "content": "1+2"}, {"role": "assistant", "content": "r1a"}]
    assert len(router.training_rows(problems, enriched, "all")) == 3
    assert router.members("router", "ens") == ["a", "b"] and router.members("only_b", "b") == ["b"]
    with pytest.raises(ValueError, match="no member 'b'"):
        router.members("only_a", "b")


def config(**exp):
    students = {s: {"template": "default", "init": {}} for s in ("s1", "s2", "s3")}
    return {"datasets": {"d": {"source": "generator"}}, "teachers": {"t": {"kind": "offline"}}, "students": students,
            "experiments": {"mix": {"method": "router", "datasets": ["d"], "teachers": ["t"], "students": ["s1", "s2"],
                                    "styles": ["code", "plain"], **exp}}}


@pytest.mark.parametrize("exp, message", [
    ({"students": ["s1"]}, r"experiments\.mix\.students: a router experiment needs exactly two students"),
    ({"styles": []}, r"experiments\.mix\.styles"),
    ({"styles": ["poetry"]}, r"experiments\.mix\.styles: unknown style 'poetry'"),
    ({"router": {"consistency": "kld"}}, r"experiments\.mix\.router\.consistency = 'kld'"),
    ({"router": {"epoch": 2}}, r"experiments\.mix\.router\.epoch: unknown key \(did you mean epochs\?\)"),
    ({"router": {"mode": "naive"}}, r"experiments\.mix\.router\.mode: set by the DAG"),
])
def test_config_errors_name_the_key(exp, message):
    with pytest.raises(ConfigError, match=message):
        expand_runs(config(**exp))


def test_runs_cover_router_views_and_baselines():
    runs = expand_runs(config())
    assert {(r.labels["mode"], r.labels["member"], r.student) for r in runs} == {
        ("router", "ens", "s1"), ("router", "a", "s1"), ("router", "b", "s2"),
        ("naive", "ens", "s1"), ("only_a", "a", "s1"), ("only_b", "b", "s2")}
    assert all(r.recipe == f"t.router-mix-{r.labels['mode']}-{r.labels['member']}.correct" for r in runs)
    assert {r.labels["mode"] for r in expand_runs(config(baselines=False))} == {"router"}


@pytest.fixture(scope="module")
def done(tmp_path_factory, lf_python):
    wd = workflow_copy(tmp_path_factory.mktemp("router"), "tests/configs/methods_tiny.yaml")
    snakemake(wd, "--cores", "2", "results/tables/all.csv", "results/figures/router.png")
    return wd


@pytest.mark.e2e
def test_router_logs_weights_and_positive_rates(done):
    run = done / "results/router/mix/offline/chain_sum/router"
    rows = read_jsonl(done / "results/router/mix/offline/chain_sum/train.jsonl")
    assert {r["style"] for r in rows} == {"step_by_step", "code"}
    logs = [read_jsonl(run / f"router_logs_epoch{e}.jsonl") for e in (0, 1)]
    assert all(sorted(r["id"] for r in lg) == sorted(r["id"] for r in rows) for lg in logs)
    ens = read_json(run / "ensemble.json")
    assert set(ens["members"]) == {"a", "b"} and abs(sum(ens["weights"].values()) - 1) < 1e-6
    assert ens["config"]["mode"] == "router" and ens["config"]["epochs"] == 2
    # Baselines: naive trains both without routing (no logs), only_a / only_b one student each.
    assert not list((run.parent / "naive").glob("router_logs_epoch*"))
    assert set(read_json(run.parent / "only_b/ensemble.json")["members"]) == {"b"}

    with open(done / "results/tables/router_posrate.csv") as fh:
        table = list(csv.DictReader(fh))
    for r in table:  # the rate is recomputed from the logs by hand
        picked = [x for x in logs[int(r["epoch"])] if x["style"] == r["style"]]
        assert int(r["n"]) == len(picked)
        assert float(r["pos_rate"]) == pytest.approx(sum(x["choice"] == "a" for x in picked) / len(picked))
    assert {(r["epoch"], r["style"]) for r in table} == {(e, s) for e in ("0", "1") for s in ("step_by_step", "code")}
    assert (done / "results/figures/router.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.e2e
def test_ensemble_and_students_evaluated_like_any_run(done):
    with open(done / "results/tables/all.csv") as fh:
        rows = [r for r in csv.DictReader(fh) if r["method"] == "router"]
    assert sorted((r["mode"], r["member"]) for r in rows) == sorted(
        [("router", "ens"), ("router", "a"), ("router", "b"), ("naive", "ens"), ("only_a", "a"), ("only_b", "b")])
    for r in rows:
        path = done / f"results/eval/{r['student']}/chain_sum/{r['recipe']}/chain_sum.metrics.json"
        assert read_json(path)["n"] == int(r["n"]) == 6
        view = read_json(done / f"results/checkpoints/{r['student']}/chain_sum/{r['recipe']}/router_view.json")
        assert view["members"] == (["a", "b"] if r["member"] == "ens" else [r["member"]])
    gens = read_jsonl(done / "results/generations/tiny/chain_sum/offline.router-mix-router-ens.correct/chain_sum.jsonl")
    assert len(gens) == 6 and all(isinstance(g["response"], str) for g in gens)
    log = (done / "results/logs/generate/tiny/chain_sum/offline.router-mix-router-ens.correct/chain_sum.log").read_text()
    assert "6 generations written" in log


def test_paper_config_schedules_both_methods(tmp_path):
    from conftest import ROOT, dry_run_jobs

    wd = workflow_copy(tmp_path)
    jobs = dry_run_jobs(wd, extra=("--configfile", str(ROOT / "config/paper.yaml")))
    assert jobs["router_train"] == 4 and jobs["router_view"] == 6
    assert jobs["summarize_first"] == 2 and jobs["summarize_next"] == 4
    assert jobs["figure"] == 5  # one figure rule: accuracy, undo_rounds, fair, summarization, router


@pytest.mark.e2e
def test_lora_router_adapters_are_evaluated_in_the_llamafactory_env(tmp_path, lf_python):
    """LoRA students train in the pipeline env (peft there) and are decoded in LLaMA-Factory's env (an
    older peft): the adapters must load there and every view be scored."""
    import yaml

    wd = workflow_copy(tmp_path, "tests/configs/methods_tiny.yaml")
    cfg = yaml.safe_load((wd / "config.yaml").read_text())
    del cfg["experiments"]["iterated"]
    cfg["experiments"]["mix"].update(baselines=False, router={**cfg["experiments"]["mix"]["router"], "finetuning": "lora"})
    (wd / "config.yaml").write_text(yaml.safe_dump(cfg))
    snakemake(wd, "--cores", "2", "results/tables/all.csv")
    run = wd / "results/router/mix/offline/chain_sum/router"
    for member in ("student_a", "student_b"):
        assert (run / member / "adapter_config.json").exists() and not (run / member / "model.safetensors").exists()
    with open(wd / "results/tables/all.csv") as fh:
        rows = [r for r in csv.DictReader(fh) if r["method"] == "router"]
    assert sorted(r["member"] for r in rows) == ["a", "b", "ens"] and all(r["n"] == "6" for r in rows)
