"""Wrongly typed fields are bad rows (issue #18, item 4): under `on_bad_row: skip` they are skipped
and logged with file:line, under `error` they stop the load naming file:line, for every converter."""

from __future__ import annotations

import json
import logging

import pytest

from cotdistill.data import CONVERTERS, convert_rows
from cotdistill.data.sources import read_local

MC = {"id": "m1", "question": "Pick one.", "choices": {"label": ["A", "B"], "text": ["x", "y"]}, "answerKey": "B"}

# format -> (a good row, [(what is wrong, a bad row), ...]); each bad row differs from the good one in one field's type
CASES = {
    "gsm8k": ({"question": "2+3?", "answer": "2+3=5\n#### 5"},
              [("question is a list", {"question": ["2+3?"], "answer": "#### 5"}),
               ("answer is an object", {"question": "2+3?", "answer": {"text": "#### 5"}})]),
    "svamp": ({"ID": "s1", "Body": "Ann has 2.", "Question": "How many?", "Answer": 2},
              [("Answer is a list", {"ID": "s2", "Body": "Ann has 2.", "Question": "How many?", "Answer": [2]}),
               ("Body is an object", {"ID": "s3", "Body": {"t": 1}, "Question": "How many?", "Answer": 2})]),
    "math": ({"problem": "1+1?", "solution": "so \\boxed{2}"},
             [("solution is a list (was a TypeError)", {"problem": "1+1?", "solution": ["\\boxed{2}"]}),
              ("answer is a list", {"problem": "1+1?", "answer": ["2"]})]),
    "math500": ({"problem": "1+1?", "answer": "2", "unique_id": "u1"},
                [("problem is a list", {"problem": ["1+1?"], "answer": "2", "unique_id": "u2"})]),
    "numinamath": ({"problem": "1+1?", "solution": "\\boxed{2}"},
                   [("solution is a number", {"problem": "1+1?", "solution": 2.0})]),
    "aqua": ({"question": "q?", "options": ["A)1", "B)2"], "correct": "B"},
             [("correct is a list", {"question": "q?", "options": ["A)1", "B)2"], "correct": ["B"]}),
              ("an option is an object", {"question": "q?", "options": [{"A": 1}, "B)2"], "correct": "B"})]),
    "mmlu_pro": ({"question": "q?", "options": ["1", "2"], "answer": "A", "question_id": 1},
                 [("an option is a list", {"question": "q?", "options": [["1"], "2"], "answer": "A", "question_id": 2})]),
    "tabmwp": ({"pid": "t1", "question": "q?", "table": "a | b", "answer": "5", "ans_type": "integer_number"},
               [("table is an object", {"pid": "t2", "question": "q?", "table": {"a": 1}, "answer": "5"}),
                ("choices is a string", {"pid": "t3", "question": "q?", "table": "t", "answer": "x", "choices": "xy"})]),
    "strategyqa": ({"qid": "q1", "question": "Is it?", "answer": True},
                   [("answer is a list", {"qid": "q2", "question": "Is it?", "answer": ["yes"]}),
                    ("target_scores is a list", {"input": "Is it?", "target_scores": ["Yes"]})]),
    "commonsenseqa": (MC, [("choices are strings", {**MC, "id": "m2", "choices": {"label": "AB", "text": "xy"}})]),
    "openbookqa": (MC, [("answerKey is a list", {**MC, "id": "m3", "answerKey": ["B"]})]),
    "arc_challenge": (MC, [("question is a number", {**MC, "id": "m4", "question": 7})]),
    "anli": ({"uid": "a1", "premise": "p.", "hypothesis": "h.", "label": 0},
             [("label is a list", {"uid": "a2", "premise": "p.", "hypothesis": "h.", "label": [0]}),
              ("premise is an object", {"uid": "a3", "premise": {"p": 1}, "hypothesis": "h.", "label": 0})]),
    "date_understanding": ({"input": "Today?\nOptions:\n(A) 01/01\n(B) 01/02", "target": "(B)"},
                           [("target_scores is a list (was an AttributeError)", {"input": "Today?", "target_scores": ["01/01"]}),
                            ("input is a list", {"input": ["Today?"], "target": "(A)"})]),
    "aime": ({"id": "2024-I-1", "question": "Find n.", "answer": "204"},
             [("answer is a list", {"id": "2024-I-2", "question": "Find n.", "answer": [204]}),
              ("question is an object", {"id": "2024-I-3", "question": {"text": "Find n."}, "answer": "1"})]),
    "gpqa": ({"Record ID": "r1", "Question": "Which?", "Correct Answer": "a", "Incorrect Answer 1": "b",
              "Incorrect Answer 2": "c", "Incorrect Answer 3": "d"},
             [("Correct Answer is a list", {"Record ID": "r2", "Question": "Which?", "Correct Answer": ["a"],
                                            "Incorrect Answer 1": "b", "Incorrect Answer 2": "c", "Incorrect Answer 3": "d"})]),
    "harp": ({"year": 2020, "contest": "AMC", "number": 1, "problem": "Compute.", "answer": "$5$"},
             [("answer is a list", {"year": 2020, "contest": "AMC", "number": 2, "problem": "Compute.", "answer": ["5"]}),
              ("choices is a string", {"year": 2020, "contest": "AMC", "number": 3, "problem": "Pick.", "choices": "AB",
                                       "answer_choice": "A"})]),
    "logiqa": ({"context": "c.", "query": "q?", "options": ["x", "y"], "correct_option": 1},
               [("context is a list", {"context": ["c."], "query": "q?", "options": ["x", "y"], "correct_option": 1}),
                ("correct_option is a float", {"context": "c.", "query": "q?", "options": ["x", "y"], "correct_option": 1.0})]),
}


def test_every_converter_has_a_case():
    assert set(CASES) == set(CONVERTERS)


def _file(tmp_path, rows):
    path = tmp_path / "rows.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


@pytest.mark.parametrize("fmt,what,bad", [(f, w, b) for f, (_, bads) in CASES.items() for w, b in bads],
                         ids=lambda v: v if isinstance(v, str) else None)
def test_a_wrongly_typed_field_is_a_bad_row(tmp_path, caplog, fmt, what, bad):
    good = CASES[fmt][0]
    other = {"id": "other"} if "id" in good else {"Record ID": "other"} if "Record ID" in good else {"number": 9} if "number" in good else {}
    path = _file(tmp_path, [good, bad, good | other])
    with caplog.at_level(logging.WARNING, logger="cotdistill.data.benchmarks"):
        kept = convert_rows(read_local(path), fmt, fmt, "test", on_bad_row="skip", label=f"datasets.{fmt}")
    assert len(kept) == 2 and all(p["question"] for p in kept)
    assert f"skipped 1 bad row(s) of 3; first: {path}:2: " in caplog.text
    with pytest.raises(ValueError) as err:
        convert_rows(read_local(path), fmt, fmt, "test", on_bad_row="error", label=f"datasets.{fmt}")
    msg = str(err.value)
    assert msg.startswith(f"{path}:2: ") and "datasets." + fmt + ".on_bad_row: skip" in msg and "\n" not in msg


def test_an_unforeseen_type_error_in_a_converter_is_still_a_bad_row(tmp_path, monkeypatch):
    def fragile(row):
        return row["question"]["stem"].upper()  # AttributeError / TypeError on an unexpected shape

    monkeypatch.setitem(CONVERTERS, "fragile", fragile)
    path = _file(tmp_path, [{"question": ["a list"]}])
    assert convert_rows(read_local(path), "fragile", "x", "test", on_bad_row="skip") == []
    with pytest.raises(ValueError, match=rf"^{path}:1: a field has an unexpected type or shape \(TypeError: "):
        convert_rows(read_local(path), "fragile", "x", "test")
