"""Iterated summarization: the loop's prompts and stopping rule, and its iteration files in the DAG."""

from __future__ import annotations

import csv
import json

import pytest
import yaml

from conftest import dry_run_jobs, snakemake, workflow_copy
from cotdistill.data.generators import generate_split
from cotdistill.experiments import ConfigError, expand_runs
from cotdistill.methods import summarize as S
from cotdistill.paths import Layout

OFFLINE = ("offline", {"kind": "offline", "error_rate": 0.5}, True)
SUMMARIZER = ("summ", {"kind": "offline", "seed": 2}, True)


@pytest.fixture(scope="module")
def problems():
    cfg = {"n_test": 12, "seed": 3, "params": {"min_terms": 3, "max_terms": 3, "min_digits": 1, "max_digits": 1}}
    return generate_split("chain_sum", cfg, "test")


def test_prompts_list_every_summary_and_stop_on_correct(problems):
    rows0, _ = S.first_iteration(problems, OFFLINE, "v0")
    assert [r["id"] for r in rows0] == [p["id"] for p in problems]
    assert "SUMMARY" not in rows0[0]["messages"][0]["content"]
    wrong0 = sum(not r["correct"] for r in rows0)
    assert 0 < wrong0 < len(problems)  # error_rate 0.5 leaves work for later iterations

    rows1, stages = S.next_iteration(rows0, problems, OFFLINE, SUMMARIZER, "v0", "v1", continue_after_correct=False)
    rows2, _ = S.next_iteration(rows1, problems, OFFLINE, SUMMARIZER, "v0", "v1", continue_after_correct=False)
    assert stages["summary"]["requests"] == stages["attempt"]["requests"] == wrong0  # only unsolved problems go on
    for r0, r1, r2 in zip(rows0, rows1, rows2):
        if r0["correct"]:  # the oracle stop: carried over, nothing spent
            assert not r1["active"] and r1["response"] == r0["response"] and r1["attempt_tokens"] == 0
            continue
        assert r1["active"] and len(r1["summaries"]) == 1 and r1["summary_tokens"] > 0
        prompt = r1["messages"][0]["content"]
        # The summarizer saw attempt 0, and attempt 1's prompt lists its summary.
        assert f"ATTEMPT 1 SUMMARY: {r1['summaries'][0]}" in prompt and f"answer is {r0['pred']}" in r1["summaries"][0]
        if r2["active"]:
            assert r2["summaries"][0] == r1["summaries"][0] and "ATTEMPT 2 SUMMARY:" in r2["messages"][0]["content"]
        assert r2["correct_any"] == (r0["correct"] or r1["correct"] or r2["correct"])
    m = [S.metrics(rows)["oracle"]["accuracy"] for rows in (rows0, rows1, rows2)]
    assert m[0] <= m[1] <= m[2] and m[2] > m[0]


def test_no_oracle_accuracy_is_the_latest_attempt(problems):
    rows0, _ = S.first_iteration(problems, OFFLINE, "v0")
    rows1, _ = S.next_iteration(rows0, problems, OFFLINE, OFFLINE, "v0", "v2", continue_after_correct=True)
    assert all(r["active"] for r in rows1)
    m = S.metrics(rows1)
    assert m["no_oracle"]["accuracy"] == sum(r["correct"] for r in rows1) / len(rows1)
    assert m["oracle"]["accuracy"] == sum(r0["correct"] or r1["correct"] for r0, r1 in zip(rows0, rows1)) / len(rows1)
    assert m["oracle"]["tokens_per_problem"] == sum(r["attempt_tokens"] + r["summary_tokens"] for r in rows1) / len(rows1)
    assert "in at most two sentences" in S.summary_messages("v2", problems[0], "x")[0]["content"]


def config(**exp):
    return {
        "datasets": {"d": {"source": "generator"}},
        "teachers": {"t": {"kind": "offline"}},
        "students": {"s": {"template": "default", "init": {}}},
        "experiments": {"it": {"method": "summarize", "datasets": ["d"], "teachers": ["t"], "students": [], **exp}},
    }


@pytest.mark.parametrize("exp, message", [
    ({"summarize": "v9"}, r"experiments\.it\.summarize: no prompt version 'v9'.*versions: aime, gpqa, v1, v2"),
    ({"reasoning": "v7"}, r"experiments\.it\.reasoning: no prompt version 'v7'"),
    ({"summarizer": "gpt"}, r"experiments\.it\.summarizer: 'gpt' is neither 'self' nor a teacher"),
    ({"max_iterations": -1}, r"experiments\.it\.max_iterations: re-attempts after the first"),
    ({"summary_input": "trace"}, r"experiments\.it\.summary_input: one of reasoning, full, answer"),
    ({"continuation": {"max_total_tokens": 0}}, r"experiments\.it\.continuation: \{max_total_tokens"),
    ({"students": ["s"]}, r"experiments\.it\.student_recipes: students are listed"),
    ({"students": ["s"], "student_recipes": ["x.cot.correct"]}, r"experiments\.it\.student_recipes: 'x.cot.correct'"),
])
def test_config_errors_name_the_key(exp, message):
    with pytest.raises(ConfigError, match=message):
        expand_runs(config(**exp))


def test_runs_label_iterations_and_variants():
    runs = expand_runs(config(max_iterations=1, continue_after_correct=True, students=["s"],
                              student_recipes=["t.cot.correct"]))
    cells = {(r.labels["model"], r.labels["round"], r.labels["variant"]) for r in runs}
    assert cells == {(m, i, v) for m in ("t", "s@t.cot.correct") for i in (0, 1) for v in ("oracle", "no_oracle")}
    student = next(r for r in runs if r.student == "s")
    assert student.labels["teacher"] == "t" and student.recipe == "t.cot.correct"
    assert student.metrics in {f"summarize/it/s@t.cot.correct/d/iter{i}.{v}.metrics.json" for i in (0, 1)
                               for v in ("oracle", "no_oracle")}
    oracle_only = expand_runs(config(max_iterations=1))
    assert {r.labels["variant"] for r in oracle_only} == {"oracle"}


# ----------------------------------------------------------------------------- the DAG


@pytest.fixture(scope="module")
def done(tmp_path_factory):
    wd = workflow_copy(tmp_path_factory.mktemp("summarize"), "tests/configs/methods_tiny.yaml")
    snakemake(wd, "--cores", "2", "results/figures/summarization.png")
    return wd


@pytest.mark.e2e
def test_iteration_files_table_and_figure(done):
    base = done / "results/summarize/iterated/offline/chain_sum"
    iters = [[json.loads(l) for l in open(base / f"iter{i}.jsonl")] for i in range(3)]
    assert [len(rows) for rows in iters] == [6, 6, 6] and all(r["iteration"] == 2 for r in iters[2])
    # continue_after_correct: true — every problem is attempted in every iteration, with every summary so far.
    assert all(r["active"] and len(r["summaries"]) == 2 for r in iters[2])
    assert all("ATTEMPT 2 SUMMARY:" in r["messages"][0]["content"] for r in iters[2])
    with open(done / "results/tables/summarization.csv") as fh:
        table = list(csv.DictReader(fh))
    assert {(int(r["iteration"]), r["variant"]) for r in table} == {(i, v) for i in range(3) for v in ("oracle", "no_oracle")}
    last = next(r for r in table if r["iteration"] == "2" and r["variant"] == "no_oracle")
    assert float(last["accuracy"]) == sum(r["correct"] for r in iters[2]) / 6
    tokens = [float(r["tokens_per_problem"]) for r in sorted(table, key=lambda r: r["iteration"]) if r["variant"] == "oracle"]
    assert float(next(r for r in table if r["iteration"] == "2" and r["variant"] == "oracle")["tokens_cumulative"]) == sum(tokens)
    assert (done / "results/figures/summarization.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.e2e
def test_new_summarize_prompt_or_summarizer_reruns_only_later_iterations(done, tmp_path):
    assert dry_run_jobs(done, "results/figures/summarization.png") == {}
    cfg = yaml.safe_load((done / "config.yaml").read_text())
    for change in ({"summarize": "v2"}, {"summarizer": "self"}):
        cfg2 = {**cfg, "experiments": {**cfg["experiments"], "iterated": {**cfg["experiments"]["iterated"], **change}}}
        path = tmp_path / "changed.yaml"
        path.write_text(yaml.safe_dump(cfg2))
        jobs = dry_run_jobs(done, "results/figures/summarization.png", extra=("--configfile", str(path)))
        assert "summarize_first" not in jobs, (change, jobs)  # iteration 0 is reused
        assert jobs["summarize_next"] == 2, (change, jobs)  # iterations 1 and 2 rerun
    cfg2 = {**cfg, "experiments": {**cfg["experiments"], "iterated": {**cfg["experiments"]["iterated"], "max_iterations": 3}}}
    path.write_text(yaml.safe_dump(cfg2))
    jobs = dry_run_jobs(done, "results/figures/summarization.png", extra=("--configfile", str(path)))
    assert jobs.get("summarize_next") == 1 and "summarize_first" not in jobs  # one more iteration, nothing redone


def test_a_trained_student_runs_the_loop_through_transformers(tmp_path, problems):
    from cotdistill.student import build_model, train_tokenizer

    ckpt = tmp_path / "results/checkpoints/s/d/t.cot.correct"
    tok = train_tokenizer([p["question"] for p in problems] + ["Human: Assistant: System:"], 200)
    build_model(tok, {"hidden_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2}).save_pretrained(ckpt)
    tok.save_pretrained(ckpt)
    cfg = {"teachers": {"t": {"kind": "offline"}}, "students": {"s": {"generation": {"max_new_tokens": 5, "batch_size": 4}}}}
    model = S.solver(cfg, "s@t.cot.correct", "d", Layout(str(tmp_path / "results")))
    assert model[1]["kind"] == "hf" and model[1]["model"].endswith("checkpoints/s/d/t.cot.correct") and not model[2]
    rows0, stages = S.first_iteration(problems[:3], model, "v0", cache_dir=str(tmp_path / "cache"))
    rows1, _ = S.next_iteration(rows0, problems[:3], model, model, "v0", "v1", continue_after_correct=True)
    assert stages["attempt"]["requests"] == 3 and stages["attempt"]["cache_hits"] == 0
    assert all(r["attempt_tokens"] > 0 and r["summary_tokens"] > 0 for r in rows1)  # the student wrote both
    assert not (tmp_path / "cache").exists()  # a checkpoint keeps its path when retrained: never cached
