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


# --- requests through the committee, and its verdict ------------------------------------------------------

from cotdistill.methods.fair_protocol import (  # noqa: E402
    feedback_requests,
    mistakes_of,
    rationale_requests,
    review_requests,
    review_rows,
    select,
    variant_pairs,
)
from cotdistill.teachers import run_requests  # noqa: E402

P2 = {"id": "p2", "question": "What is 3 + 4 + 5?", "answer": "12", "answer_type": "number", "meta": {"expression": "3 + 4 + 5"}}


def test_requests_carry_what_the_reference_sends():
    evals = [{"id": "p1", "response": ATTEMPT, "pred": "32", "correct": False}, {"id": "p2", "response": "12", "pred": "12", "correct": True}]
    mistakes = mistakes_of(evals)
    assert mistakes == [{"id": "p1", "attempt": ATTEMPT, "attempt_pred": "32"}]
    cfg = {"temperature": 0.8, "max_tokens": 512, "kind": "openai"}
    fb = feedback_requests([PROBLEM, P2], mistakes, cfg, "fair-x")
    rat = rationale_requests([PROBLEM, P2], mistakes, cfg, "fair-x")
    assert len(fb) == len(rat) == 1 and fb[0].params == rat[0].params == {"temperature": 0.8, "max_tokens": 512}
    assert text(fb[0].messages).endswith(HINT) and ATTEMPT in text(fb[0].messages)
    assert text(rat[0].messages) == core_prompt(PROBLEM)                          # no gold, no attempt
    rows = [{"id": "p1", "teacher": "a", "response": "r", "pred": "37"}, {"id": "p1", "teacher": "b", "response": "s", "pred": "3"},
            {"id": "p1", "teacher": "c", "response": "", "pred": None}]
    revs = review_requests([PROBLEM], rows, "a", cfg, hint=True)
    assert [q.task["author"] for q in revs] == ["b"]                               # not its own, not an empty one
    assert text(revs[0].messages).endswith(HINT)
    assert not text(review_requests([PROBLEM], rows, "a", cfg, hint=False)[0].messages).endswith(HINT)


def test_select_reports_precision_per_reviewer_with_its_hint():
    rationales = [{"id": "p1", "teacher": "a", "response": "x", "correct": True},
                  {"id": "p1", "teacher": "b", "response": "y", "correct": False},
                  {"id": "p2", "teacher": "a", "response": "z", "correct": False}]
    reviews = [  # b (hinted) reviews a's; a (unhinted) reviews b's; c (unhinted) reviews all
        {"id": "p1", "author": "a", "reviewer": "b", "hint": True, "score": 5},
        {"id": "p2", "author": "a", "reviewer": "b", "hint": True, "score": 2},
        {"id": "p1", "author": "b", "reviewer": "a", "hint": False, "score": 4},
        {"id": "p1", "author": "a", "reviewer": "c", "hint": False, "score": 4},
        {"id": "p1", "author": "b", "reviewer": "c", "hint": False, "score": None},
        {"id": "p2", "author": "a", "reviewer": "c", "hint": False, "score": 4},
    ]
    kept, report = select(rationales, reviews)
    assert [(r["id"], r["teacher"], r["review_mean"]) for r in kept] == [("p1", "a", 4.5), ("p1", "b", 4.0)]   # p2/a: (2+4)/2 = 3
    assert report["pool_precision"] == pytest.approx(1 / 3) and report["accepted_precision"] == 0.5
    assert report["reviewers"]["b"] | {} == {"hint": True, "reviews": 2, "invalid": 0, "passed": 1, "passed_correct": 1, "precision": 1.0}
    assert report["reviewers"]["c"]["precision"] == 0.5 and report["reviewers"]["c"]["invalid"] == 1
    assert report["reviewer_precision"] == {"hinted": {"reviewers": 1, "passed": 1, "precision": 1.0},
                                            "unhinted": {"reviewers": 2, "passed": 3, "precision": pytest.approx(1 / 3)}}
    assert report["teachers"]["b"]["invalid_scores"] == 1


def test_variants():
    kept = [r for r in ACCEPTED if r["teacher"] != "c"]
    unfiltered = variant_pairs("unfiltered", MISTAKES, FEEDBACK, ACCEPTED + [{"id": "p2", "teacher": "a", "response": "a p2"}], kept,
                               pairing="all")
    assert {p["id"] for p in unfiltered} == {"p1", "p2", "p3"}
    assert {(p["id"], p["rationale_teacher"]) for p in variant_pairs("fair", MISTAKES, FEEDBACK, ACCEPTED, kept, pairing="all")} == {
        ("p1", "a"), ("p3", "b")}
    single = variant_pairs("only-b", MISTAKES, FEEDBACK, ACCEPTED, kept, pairing="all")
    assert [(p["id"], p["feedback_teacher"], p["rationale_teacher"]) for p in single] == [("p3", "b", "b")]
    with pytest.raises(ValueError, match="variant"):
        variant_pairs("pooled", MISTAKES, FEEDBACK, ACCEPTED, kept)


def test_offline_committee_runs_the_protocol():
    """Two offline teachers through the engine: feedback and rationale rows, reviews parsed by the reference parser."""
    from cotdistill.rationales import rationale_rows

    problems = [{**P2, "id": f"q{i}", "dataset": "d"} for i in range(20)]
    mistakes = [{"id": p["id"], "attempt": "3 + 4 = 8\n8 + 5 = 13\nThe answer is \\boxed{13}.", "attempt_pred": "13"} for p in problems]
    teachers = {"good": {"kind": "offline", "error_rate": 0.0}, "bad": {"kind": "offline", "error_rate": 1.0, "seed": 1}}
    rationales = []
    for name, cfg in teachers.items():
        reqs = rationale_requests(problems, mistakes, cfg, "fair-t")
        comps, _ = run_requests(name, cfg, reqs)
        rationales += rationale_rows(name, "fair-t", reqs, comps)
        fb_comps, _ = run_requests(name, cfg, feedback_requests(problems, mistakes, cfg, "fair-t"))
        assert all("13" in c.text and "12" in c.text for c in fb_comps)          # the wrong answer and the hinted gold
    assert sum(r["correct"] for r in rationales) == 20                           # the careful teacher only
    reviews = []
    for name, cfg in teachers.items():
        reqs = review_requests(problems, rationales, name, {**cfg, "review_error_rate": 0.0}, hint=True)
        comps, _ = run_requests(name, {**cfg, "review_error_rate": 0.0}, reqs)
        reviews += review_rows(name, reqs, comps)
    kept, report = select(rationales, reviews)
    assert all(r["score"] in (1, 2, 4, 5) for r in reviews)
    assert report["accepted_precision"] == 1.0 and report["accepted"] == 20 and report["pool_precision"] == 0.5


def test_offline_reviewer_without_the_hint_checks_against_its_own_solution():
    """An unhinted offline reviewer is as good as its own solving: a sloppy one misjudges, a careful one does not."""
    from cotdistill.teachers.offline import OfflineTeacher

    problems = [{**P2, "id": f"q{i}", "dataset": "d"} for i in range(200)]
    def verdicts(teacher, hint):
        return [parse_review_score(teacher.review({"problem": p, "author": "x", "pred": "12", "hint": hint})) > 3 for p in problems]
    careful = OfflineTeacher("careful", {"error_rate": 0.0, "review_error_rate": 0.0})
    sloppy = OfflineTeacher("sloppy", {"error_rate": 0.5, "review_error_rate": 0.0})
    assert all(verdicts(careful, True)) and all(verdicts(careful, False)) and all(verdicts(sloppy, True))
    assert 0.3 < sum(verdicts(sloppy, False)) / len(problems) < 0.7             # its own slips reject correct rationales
