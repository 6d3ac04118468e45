"""FAIR's protocol points as the reference code runs them: requests, score parsing, acceptance, pairs."""

from __future__ import annotations

import pytest

from cotdistill.methods.fair_protocol import (
    accepted,
    feedback_messages,
    form_pairs,
    pair_rows,
    parse_review_score,
    rationale_messages,
    review_messages,
)
from cotdistill.prompts import core_prompt

PROBLEM = {"id": "p1", "question": "Tom has 12 apples and buys 25 more. How many apples does he have?", "answer": "37",
           "answer_type": "number"}
ATTEMPT = "12 + 20 = 32. The answer is 32."
HINT = "Hint: The correct answer should be 37."


def text(messages):
    assert len(messages) == 1 and messages[0]["role"] == "user"
    return messages[0]["content"]


def test_rationale_request_is_the_bare_question():
    t = text(rationale_messages(PROBLEM))
    assert t == core_prompt(PROBLEM)
    assert "37" not in t and "Hint" not in t and "32" not in t and "student" not in t.lower()


def test_feedback_request_shows_the_attempt_and_the_hint():
    t = text(feedback_messages(PROBLEM, ATTEMPT))
    assert t.startswith("Imagine you are a teacher, I will give you one student's incorrect answer to a question.")
    assert f"Question: {core_prompt(PROBLEM)}\nStudent's Answer: {ATTEMPT}\n{HINT}" in t
    assert t.endswith(HINT)


def test_review_request_carries_the_hint_unless_switched_off():
    t = text(review_messages(PROBLEM, "25 + 12 = 37. The answer is 37."))
    assert t.startswith("Imagine you are a reviewer") and "wrapped by square brackets, such as: [5]." in t
    assert t.endswith(f"Rationale: 25 + 12 = 37. The answer is 37.\n{HINT}")
    t = text(review_messages(PROBLEM, "25 + 12 = 37. The answer is 37.", hint=False))
    assert "Hint" not in t and t.endswith("Rationale: 25 + 12 = 37. The answer is 37.")


@pytest.mark.parametrize(("review", "score"), [
    ("Each step holds. [4/5]", 4),           # the slash form: the integer before the slash
    ("Score: [3]", 3),
    ("First [2], on reflection [5]", 5),     # the last brackets
    ("[score 4 of 5 points]", 5),            # inside brackets without a slash: the last number
    ("I would give this a 4", 4),            # no brackets: the last number in the text
    ("Step 2 is wrong, so 1 overall", 1),
    ("[7]", None),                           # outside 1-5: invalid
    ("[0]", None),
    ("[4.5]", 5),                            # the reference's digit runs: 4.5 reads as 5
    ("[score: 4/5]", None),                  # int('score: 4') fails in the reference: invalid
    ("[n/a] and later 3", None),             # the last brackets hold no score: invalid, not 3
    ("no score at all", None),
    ("", None),
    (None, None),
])
def test_review_score_parser(review, score):
    assert parse_review_score(review) == score


def test_acceptance_is_mean_of_valid_scores_above_3():
    assert accepted([4, None, 3])          # (4 + 3) / 2 = 3.5
    assert not accepted([3, 3])
    assert not accepted([5, 1])            # exactly 3 is not above 3
    assert not accepted([None, None])      # no valid score
    assert not accepted([])
    assert accepted([5, 2], threshold=3)   # 3.5
    assert not accepted([4, 3], threshold=3.5)


MISTAKES = [{"id": "p1", "attempt": ATTEMPT}, {"id": "p2", "attempt": "no idea"}, {"id": "p3", "attempt": "9"}]
FEEDBACK = [{"id": pid, "teacher": t, "response": f"{t} on {pid}"} for pid in ("p1", "p2", "p3") for t in ("a", "b", "c")]
ACCEPTED = [
    {"id": "p1", "teacher": "a", "response": "a solves p1"},
    {"id": "p1", "teacher": "c", "response": "c solves p1"},
    {"id": "p3", "teacher": "b", "response": "b solves p3"},
]   # p2: no rationale survived review


def test_pairs_are_formed_per_mistake():
    pairs = form_pairs(MISTAKES, FEEDBACK, ACCEPTED, pairing="sample")
    assert [p["id"] for p in pairs] == ["p1", "p3"]                  # one pair per mistake; p2 has no rationale
    for p in pairs:
        assert p["feedback"] == f"{p['feedback_teacher']} on {p['id']}"
        assert p["rationale"] == f"{p['rationale_teacher']} solves {p['id']}"
    assert pairs[1]["rationale_teacher"] == "b"
    assert form_pairs(MISTAKES, FEEDBACK, ACCEPTED, pairing="sample") == pairs   # seeded
    drawn = {(p["feedback_teacher"], p["rationale_teacher"]) for s in range(40)
             for p in form_pairs(MISTAKES[:1], FEEDBACK, ACCEPTED, seed=s)}
    assert drawn == {(f, r) for f in "abc" for r in "ac"}            # every combination can be drawn

    every = form_pairs(MISTAKES, FEEDBACK, ACCEPTED, pairing="all")
    assert len(every) == 3 * 2 + 3 * 1
    assert {(p["feedback_teacher"], p["rationale_teacher"]) for p in every if p["id"] == "p1"} == {(f, r) for f in "abc" for r in "ac"}


def test_single_teacher_pairs_and_unusable_rows():
    pairs = form_pairs(MISTAKES, FEEDBACK, ACCEPTED, pairing="all", teacher="a")
    assert [(p["id"], p["feedback_teacher"], p["rationale_teacher"]) for p in pairs] == [("p1", "a", "a")]
    cut = FEEDBACK[:3] + [{"id": "p3", "teacher": "b", "response": "", "finish_reason": "stop"}]
    assert [p["id"] for p in form_pairs(MISTAKES, cut, ACCEPTED, pairing="all")] == ["p1"] * 6
    with pytest.raises(ValueError, match="pairing"):
        form_pairs(MISTAKES, FEEDBACK, ACCEPTED, pairing="every")


def test_pair_rows_show_the_student_its_wrong_answer_and_the_hint():
    rows = pair_rows([PROBLEM], form_pairs(MISTAKES[:1], FEEDBACK, ACCEPTED[:1]))
    assert len(rows) == 1
    fb, rat = rows[0]["feedback"]["messages"], rows[0]["rationale"]["messages"]
    assert fb[0]["content"].startswith("Imagine you are a teacher")
    assert f"Student's Answer: {ATTEMPT}\n{HINT}" in fb[0]["content"]
    assert fb[1] == {"role": "assistant", "content": rows[0]["feedback"]["messages"][1]["content"]} and fb[1]["content"].endswith("on p1")
    assert rat == [{"role": "user", "content": core_prompt(PROBLEM)}, {"role": "assistant", "content": "a solves p1"}]
