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
