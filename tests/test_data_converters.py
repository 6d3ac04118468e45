"""Gold parsing and the hub/release layouts each converter accepts."""

from __future__ import annotations

import pytest

from cotdistill.data import BadRow, CONVERTERS, convert_rows, last_boxed, normalize_number


@pytest.mark.parametrize("raw, want", [
    ("1,234", "1234"), ("51.0", "51"), (51.0, "51"), ("-3.50", "-3.5"), ("$1,000.00", "1000"),
    (" 7 ", "7"), ("0.125", "0.125"), ("1e3", "1000"), ("5.", "5"),
])
def test_normalize_number(raw, want):
    assert normalize_number(raw) == want


@pytest.mark.parametrize("raw", ["abc", "3/4", "", "nan", "1,2,3x"])
def test_normalize_number_rejects(raw):
    with pytest.raises(BadRow):
        normalize_number(raw)


@pytest.mark.parametrize("text, want", [
    ("so $\\boxed{\\frac{1}{2}}$.", "\\frac{1}{2}"),
    ("\\boxed{1} then \\boxed{\\left( 3, \\frac{\\pi}{2} \\right)}", "\\left( 3, \\frac{\\pi}{2} \\right)"),
    ("\\boxed{\\{1, 2\\}}", "\\{1, 2\\}"),
    ("\\fbox{x^{2^{3}}}", "x^{2^{3}}"),
    ("answer \\boxed 5$", "5"),
    ("no box here", None),
    ("\\boxed{unclosed", None),
])
def test_last_boxed_nested(text, want):
    assert last_boxed(text) == want


def conv(fmt, row):
    return CONVERTERS[fmt](row)


def test_gsm8k_strips_calculator_notes_and_separators():
    out = conv("gsm8k", {"question": "Q?", "answer": "2*600=<<2*600=1200>>1,200 cents\n#### 1,200"})
    assert out["answer"] == "1200" and out["solution"] == "2*600=1,200 cents" and out["answer_type"] == "number"
    with pytest.raises(BadRow, match="####"):
        conv("gsm8k", {"question": "Q?", "answer": "no marker"})
    with pytest.raises(BadRow, match="not a number"):
        conv("gsm8k", {"question": "Q?", "answer": "x\n#### twelve"})


def test_svamp_release_and_hub():
    release = conv("svamp", {"ID": "chal-9", "Body": "Dan had 4.", "Question": "How many?", "Answer": 2.0,
                             "Equation": "( 4.0 - 2.0 )"})
    hub = conv("svamp", {"ID": "chal-9", "Body": "Dan had 4.", "Question": "How many?", "Answer": "2",
                         "question_concat": "Dan had 4. How many?"})
    assert release["question"] == hub["question"] == "Dan had 4. How many?"
    assert release["answer"] == hub["answer"] == "2" and release["native_id"] == "chal-9"


def test_math_answer_from_boxed_or_field():
    row = {"problem": "P", "solution": "so $\\boxed{\\dfrac{\\sqrt{3}}{2}}$", "level": "Level 5", "type": "Algebra"}
    out = conv("math", row)
    assert out["answer"] == "\\dfrac{\\sqrt{3}}{2}" and out["answer_type"] == "latex"
    assert out["meta"] == {"level": "Level 5", "type": "Algebra"}
    assert conv("math500", {**row, "answer": "x"})["answer"] == "x"
    numina = conv("numinamath", {"problem": "P", "solution": "…\\boxed{42}", "source": "olympiads",
                                 "messages": []})
    assert numina["answer"] == "42" and numina["meta"] == {"source": "olympiads"}
    with pytest.raises(BadRow, match="boxed"):
        conv("numinamath", {"problem": "P", "solution": "no box"})


def test_aqua_release_and_hub_layouts():
    out = conv("aqua", {"question": "Q", "options": ["A)21", "B)21.5", "C) 22", "D)22.5", "E)23"],
                        "rationale": "r", "correct": "C"})
    assert out["choices"] == {"label": list("ABCDE"), "text": ["21", "21.5", "22", "22.5", "23"]}
    assert out["answer"] == "C"
    with pytest.raises(BadRow, match="not one of the option labels"):
        conv("aqua", {"question": "Q", "options": ["A)1", "B)2"], "correct": "F"})


def test_commonsenseqa_release_and_hub_agree():
    release = {"answerKey": "B", "id": "x1", "question": {"question_concept": "c", "stem": "S?",
               "choices": [{"label": "A", "text": "a"}, {"label": "B", "text": "b"}]}}
    hub = {"id": "x1", "question": "S?", "question_concept": "c",
           "choices": {"label": ["A", "B"], "text": ["a", "b"]}, "answerKey": "B"}
    assert conv("commonsenseqa", release) == conv("commonsenseqa", hub)
    with pytest.raises(BadRow, match="missing field answerKey"):
        conv("commonsenseqa", {**hub, "answerKey": ""})  # the unlabelled hub test split


def test_arc_numeric_labels_become_letters():
    out = conv("arc_challenge", {"id": "Q1", "question": "S?", "answerKey": "3",
                                 "choices": {"text": ["a", "b", "c", "d"], "label": ["1", "2", "3", "4"]}})
    assert out["choices"]["label"] == ["A", "B", "C", "D"] and out["answer"] == "C"


def test_openbookqa_hub_layout():
    out = conv("openbookqa", {"id": "7-980", "question_stem": "The sun is responsible for",
                              "choices": {"text": ["puppies", "plants sprouting"], "label": ["A", "B"]},
                              "answerKey": "B", "fact1": "the sun is a source of energy"})
    assert out["question"] == "The sun is responsible for" and out["answer"] == "B"
    assert out["solution"] == "the sun is a source of energy"


@pytest.mark.parametrize("label, want", [(0, "entailment"), (1, "neutral"), (2, "contradiction"),
                                         ("e", "entailment"), ("c", "contradiction"), ("Neutral", "neutral")])
def test_anli_labels(label, want):
    out = conv("anli", {"uid": "u", "premise": "P.", "hypothesis": "H.", "label": label})
    assert out["answer"] == want and out["context"] == "P." and out["question"] == "H."


def test_anli_release_context_and_bad_label():
    assert conv("anli", {"uid": "u", "context": "C.", "hypothesis": "H.", "label": "n"})["context"] == "C."
    with pytest.raises(BadRow, match="NLI label"):
        conv("anli", {"premise": "P", "hypothesis": "H", "label": 3})


def test_strategyqa_bigbench_release_and_hub():
    bb = conv("strategyqa", {"input": "Q?", "target_scores": {"Yes": 0, "No": 1}, "target": "No. Because."})
    assert bb["answer"] == "no" and bb["solution"] == "Because."
    hub = conv("strategyqa", {"qid": "abc", "question": "Q?", "answer": True, "facts": ["f1.", "f2."]})
    assert hub["answer"] == "yes" and hub["solution"] == "f1. f2." and hub["native_id"] == "abc"
    with pytest.raises(BadRow):
        conv("strategyqa", {"input": "Q?", "target_scores": {"Yes": 1, "No": 1}})


def test_date_understanding_bbh_layout():
    out = conv("date_understanding", {"input": "Today is 1/1/2020. What is tomorrow?\nOptions:\n"
                                               "(A) 01/02/2020\n(B) 12/31/2019", "target": "(A)"})
    assert out["question"] == "Today is 1/1/2020. What is tomorrow?"
    assert out["choices"] == {"label": ["A", "B"], "text": ["01/02/2020", "12/31/2019"]} and out["answer"] == "A"


def test_mmlu_pro_logiqa_tabmwp():
    mp = conv("mmlu_pro", {"question_id": 70, "question": "Q", "options": ["1", "2", "3"], "answer": "B",
                           "answer_index": 1, "cot_content": "", "category": "math", "src": "s"})
    assert mp["answer"] == "B" and mp["native_id"] == "70" and mp["solution"] is None
    lq = conv("logiqa", {"context": "Passage.", "query": "Which?", "options": ["w", "x", "y", "z"],
                         "correct_option": 2})
    assert lq["answer"] == "C" and lq["context"] == "Passage."
    tab = {"question": "How many?", "choices": None, "answer": "1,130", "unit": "", "table_title": "Cars",
           "table": "Day | Cars\nMon | 1130", "solution": "s", "ques_type": "free_text",
           "ans_type": "integer_number", "pid": "17"}
    out = conv("tabmwp", tab)
    assert out["answer"] == "1130" and out["answer_type"] == "number"
    assert out["context"] == "Table: Cars\nDay | Cars\nMon | 1130"
    mc = conv("tabmwp", {**tab, "choices": ["yes", "no"], "answer": "no", "ques_type": "multi_choice",
                         "ans_type": "boolean_text"})
    assert mc["answer"] == "B" and mc["answer_type"] == "choice"


def test_filter_and_duplicate_ids():
    rows = [("f:1", {"question": "Q", "options": ["1", "2"], "answer": "A", "category": "math"}),
            ("f:2", {"question": "Q", "options": ["1", "2"], "answer": "A", "category": "law"}),
            ("f:3", {"question": "Q", "options": ["1", "2"], "answer": "A", "category": "math"})]
    out = convert_rows(rows, "mmlu_pro", "mmlu_pro", "test", row_filter={"category": "math"})
    assert len(out) == 2 and out[1]["id"] == out[0]["id"] + "~2"
    assert [p["meta"]["row"] for p in out] == [0, 2]


def test_unknown_format_names_the_key():
    with pytest.raises(ValueError, match="datasets.x.format"):
        convert_rows([], "nope", "x", "test", label="datasets.x")
