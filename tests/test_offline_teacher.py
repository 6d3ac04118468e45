"""The built-in offline teacher: every prompting renders a rationale whose answer is right (or, at a
slip, wrong), deterministically; reviews and feedback check steps against the gold answer."""

from __future__ import annotations

import pytest

from cotdistill.answers import equivalent, extract
from cotdistill.data.schema import make_problem
from cotdistill.teacher_prompts import load_prompts, parse_prompting, solve_requests
from cotdistill.teachers import run_requests
from cotdistill.teachers.offline import Derivation, OfflineTeacher

PROMPTS = load_prompts()
ALL_PROMPTINGS = (
    ["direct", "cot", "strong"]
    + [f"style-{s}" for s in PROMPTS["styles"]]
    + [f"g{g}-{f}" for g in range(1, 7) for f in PROMPTS["formats"]]
)


def arithmetic(i: int, expr: str) -> dict:
    value = Derivation(expr).value
    return make_problem(id=f"a{i}", dataset="arith", split="train", question=f"What is {expr}?",
                        answer=str(value.numerator), answer_type="number", meta={"expression": expr})


PROBLEMS = [arithmetic(0, "4 - 1 + 7 + 7 - 7"), arithmetic(1, "(3 + 4) * (2 - 5)"), arithmetic(2, "12 - -3 + 8"),
            make_problem(id="w0", dataset="word", split="train", question="Ann has 3 apples and buys 4 more. How many?",
                         answer="7", answer_type="number", solution="Ann has 3 + 4 = 7 apples.\n#### 7")]


def answers(teacher_cfg: dict, prompting: str) -> list[str]:
    completions, summary = run_requests("t", teacher_cfg, solve_requests(PROBLEMS, prompting, teacher_cfg))
    assert summary["requests"] == len(PROBLEMS)
    return [c.text for c in completions]


@pytest.mark.parametrize("prompting", ALL_PROMPTINGS)
def test_every_prompting_is_right_without_slips(prompting):
    for problem, text in zip(PROBLEMS, answers({"kind": "offline", "error_rate": 0.0}, prompting)):
        assert equivalent(extract(text, "number"), problem["answer"], "number"), text
        if prompting != "direct":
            assert len(text.splitlines()) >= 2, text


@pytest.mark.parametrize("prompting", ["cot", "g6-symbolic", "style-code"])
def test_slips_make_wrong_answers(prompting):
    for problem, text in zip(PROBLEMS, answers({"kind": "offline", "error_rate": 1.0}, prompting)):
        assert not equivalent(extract(text, "number"), problem["answer"], "number"), text


def test_error_rate_is_a_rate_and_deterministic():
    problems = [arithmetic(i, f"{i % 9} + {(i * 7) % 9} - {(i * 5) % 9} + 3") for i in range(400)]
    cfg = {"kind": "offline", "error_rate": 0.25, "seed": 3}
    first, _ = run_requests("t", cfg, solve_requests(problems, "cot", cfg))
    again, _ = run_requests("t", cfg, solve_requests(problems, "cot", cfg))
    assert [c.text for c in first] == [c.text for c in again]
    wrong = sum(not equivalent(extract(c.text), p["answer"]) for c, p in zip(first, problems))
    assert 0.18 < wrong / 400 < 0.32


def test_style_error_rates_override():
    teacher = OfflineTeacher("t", {"error_rate": 0.0, "style_error_rates": {"plain": 1.0}})
    spec = parse_prompting("style-plain")
    text = teacher.solve({**spec, "prompting": "style-plain", "problem": PROBLEMS[0]})
    assert not equivalent(extract(text), PROBLEMS[0]["answer"])


def test_granularity_changes_the_number_of_steps():
    teacher = OfflineTeacher("t", {})
    problem = arithmetic(9, "1 + 2 + 3 + 4 + 5 + 6 + 7")
    lengths = [len(teacher.solve({**parse_prompting(f"g{g}-nl"), "problem": problem}).splitlines()) for g in range(1, 7)]
    assert lengths[0] < lengths[1] < lengths[2] and lengths[5] == lengths[4] + 1


def test_review_scores_follow_correctness():
    teacher = OfflineTeacher("t", {"review_error_rate": 0.0})
    good = teacher.review({"problem": PROBLEMS[0], "pred": PROBLEMS[0]["answer"], "author": "x"})
    bad = teacher.review({"problem": PROBLEMS[0], "pred": "99", "author": "x"})
    assert good.endswith("[4]") or good.endswith("[5]")
    assert bad.endswith("[1]") or bad.endswith("[2]")


def test_feedback_names_the_wrong_step():
    teacher = OfflineTeacher("t", {})
    attempt = "4 - 1 = 3\n3 + 7 = 11\n11 + 7 = 18\n18 - 7 = 11\nThe answer is \\boxed{11}."
    text = teacher.feedback({"problem": PROBLEMS[0], "attempt": attempt, "attempt_pred": "11"})
    assert "student answered 11" in text and "'3 + 7 = 11'" in text
    assert equivalent(extract(text), PROBLEMS[0]["answer"])
