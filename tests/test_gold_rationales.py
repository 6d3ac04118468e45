"""The key-factors baselines (human rationales, gold answer only) and the SFT target's answer line."""

from __future__ import annotations

import pytest

from cotdistill.answers import check, extract
from cotdistill.gold_rationales import answer_line, human_rows, set_ending
from cotdistill.sft import build_sft

GSM = {"id": "g1", "dataset": "gsm8k", "question": "Ann has 3 bags of 4 apples. How many apples?", "answer": "12",
       "answer_type": "number", "solution": "Ann has 3 * 4 = 12 apples."}
MATH = {"id": "m1", "dataset": "math", "question": "Solve 2x = 3.", "answer": "\\frac{3}{2}", "answer_type": "latex",
        "solution": "Divide by 2: $x = \\boxed{\\frac{3}{2}}$."}
CSQA = {"id": "c1", "dataset": "csqa", "question": "Where do fish live?", "answer": "B", "answer_type": "choice",
        "choices": {"label": ["A", "B"], "text": ["desert", "water"]}, "solution": None}


@pytest.mark.parametrize(("text", "ending", "want"), [
    ("3 * 4 = 12 apples.", "answer_is", "3 * 4 = 12 apples.\nThe answer is 12"),
    ("3 * 4 = 12 apples.", "boxed", "3 * 4 = 12 apples.\n\\boxed{12}"),
    ("3 * 4 = 12 apples.\n#### 12", "answer_is", "3 * 4 = 12 apples.\nThe answer is 12"),
    ("3 * 4 = 12 apples. The answer is 12.", "boxed", "3 * 4 = 12 apples.\n\\boxed{12}"),
    ("3 * 4 = 12.\nTherefore, the answer is \\boxed{12}.", "answer_is", "3 * 4 = 12.\nThe answer is 12"),
    ("Steps.\nFinal Answer: $\\boxed{12}$", "answer_is", "Steps.\nThe answer is 12"),
    ("", "answer_is", "The answer is 12"),
])
def test_set_ending(text, ending, want):
    assert set_ending(text, "12", ending) == want


def test_endings_are_read_by_the_checker():
    for p in (GSM, MATH, CSQA):
        for ending in ("answer_is", "boxed"):
            line = answer_line(p["answer"], ending)
            pred = extract(f"Some reasoning first.\n{line}", p["answer_type"], p.get("choices"))
            assert check(pred, p["answer"], p["answer_type"])[0], (p["id"], ending, pred)
    with pytest.raises(ValueError, match="answer ending"):
        answer_line("1", "hash")


def test_human_rationale_recipe_builds():
    rows, stats = human_rows([GSM, MATH, CSQA], "solution", "answer_is")
    assert [r["id"] for r in rows] == ["g1", "m1"] and stats["no_solution"] == 1     # CSQA has no human rationale
    assert rows[0]["response"] == "Ann has 3 * 4 = 12 apples.\nThe answer is 12"
    assert rows[1]["response"].endswith("\nThe answer is \\frac{3}{2}") and rows[1]["teacher"] == "human"
    sft, sft_stats = build_sft([GSM, MATH, CSQA], rows, "all")
    assert sft_stats["kept"] == 2
    assert {r["output"] for r in sft} == {rows[0]["response"], rows[1]["response"]}
    assert {r["instruction"] for r in sft} == {GSM["question"], MATH["question"]}


def test_answer_only_recipe_builds():
    rows, stats = human_rows([GSM, MATH, CSQA], "answer", "boxed")
    assert [r["response"] for r in rows] == ["\\boxed{12}", "\\boxed{\\frac{3}{2}}", "\\boxed{B}"]
    assert stats == {"problems": 3, "rows": 3, "no_solution": 0, "source": "answer", "ending": "boxed"}
    sft, _ = build_sft([GSM, MATH, CSQA], rows, "correct")   # every gold row counts as correct
    assert len(sft) == 3
    with pytest.raises(ValueError, match="source"):
        human_rows([GSM], "teacher")


# --- through the DAG --------------------------------------------------------------------------------------

def test_baseline_recipes_build_through_the_ordinary_sft_rule(tmp_path):
    """A factors experiment with gold_baselines: the dataset's own solutions and gold answers become SFT sets
    (recipes human.solution.all / human.answer_boxed.all) that train, generate and score like any other."""
    import json

    import yaml

    from conftest import ROOT, dry_run_jobs, snakemake, workflow_copy
    from cotdistill.experiments import expand_runs

    wd = workflow_copy(tmp_path / "wd")
    cfg = yaml.safe_load((ROOT / "tests/configs/tiny.yaml").read_text())
    cfg["datasets"] = {"gsm_symbolic": {"source": "generator", "n_train": 12, "n_test": 4, "seed": 1}}
    cfg["experiments"] = {"kf": {"method": "factors", "datasets": ["gsm_symbolic"], "teachers": ["offline"], "students": ["tiny"],
                                 "granularities": [3], "formats": ["nl"], "gold_baselines": ["human", "answer_only"], "filter": "all"}}
    (wd / "config.yaml").write_text(yaml.safe_dump(cfg))
    runs = {r.recipe: r.labels for r in expand_runs(cfg)}
    assert runs == {"offline.g3-nl.all": {"teacher": "offline", "granularity": 3, "format": "nl"},
                    "human.solution.all": {"teacher": "human", "style": "human"},
                    "human.answer.all": {"teacher": "answer only", "style": "answer_only"}}
    jobs = dry_run_jobs(wd, "results/tables/all.csv")
    assert jobs["gold_rationales"] == 2 and jobs["sft"] == 3 and jobs["train"] == 3 and jobs["score"] == 3
    snakemake(wd, "--cores", "1", "results/sft/human.solution.all/gsm_symbolic/train.json", "results/sft/human.answer.all/gsm_symbolic/train.json")
    problems = {json.loads(ln)["question"]: json.loads(ln) for ln in (wd / "results/data/gsm_symbolic/train.jsonl").read_text().splitlines()}
    human = json.loads((wd / "results/sft/human.solution.all/gsm_symbolic/train.json").read_text())
    answers = json.loads((wd / "results/sft/human.answer.all/gsm_symbolic/train.json").read_text())
    assert len(human) == len(answers) == 12
    for row in human:
        p = problems[row["instruction"]]
        assert row["output"].endswith(f"\nThe answer is {p['answer']}") and row["output"].startswith(p["solution"].strip()[:20])
    assert all(row["output"] == f"The answer is {problems[row['instruction']]['answer']}" for row in answers)
    cfg["experiments"]["kf"]["ending"] = "boxed"   # every target, the teacher's too, ends \boxed{X}
    (wd / "config.yaml").write_text(yaml.safe_dump(cfg))
    assert {r.recipe for r in expand_runs(cfg)} == {"offline.g3-nl-ending_boxed.all", "human.solution_boxed.all", "human.answer_boxed.all"}
    snakemake(wd, "--cores", "1", "results/sft/offline.g3-nl-ending_boxed.all/gsm_symbolic/train.json")
    teacher = {json.loads(ln)["id"]: json.loads(ln) for ln in (wd / "results/rationales/offline/gsm_symbolic/g3-nl.jsonl").read_text().splitlines()}
    boxed = json.loads((wd / "results/sft/offline.g3-nl-ending_boxed.all/gsm_symbolic/train.json").read_text())
    preds = {teacher_row["pred"] for teacher_row in teacher.values()}
    assert len(boxed) == 12 and all(row["output"].rsplit("\n", 1)[-1].startswith("\\boxed{") for row in boxed)
    assert {row["output"].rsplit("\n", 1)[-1][len("\\boxed{"):-1] for row in boxed} <= preds    # the teacher's own answers
