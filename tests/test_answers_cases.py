"""The answer kinds that unseen peer cases showed failing, on this project's own cases
(tests/fixtures/answer_cases: dev.jsonl for development, heldout.jsonl never tuned on), the per-kind
confusion report of ``cotdistill check-answers --by kind``, and undecided symbolic checks."""

from __future__ import annotations

import hashlib
import importlib
import json
from pathlib import Path

import pytest

from cotdistill.answers import check, check_answers_cli, extract, judge, symbolic
from cotdistill.answers.compare import fast_compare
from cotdistill.scoring import score

check_module = importlib.import_module("cotdistill.answers.check")  # the module; the package exports check()
CASES = Path(__file__).parent / "fixtures" / "answer_cases"
KINDS = ["choice", "multiple_answers", "relation", "number", "matrix", "text"]
HELDOUT_FLOOR = 0.97  # the target of issue 16 (measured: 78/78); held-out cases are a floor, never tuned on


def _cases(name: str) -> list[dict]:
    return [json.loads(x) for x in (CASES / f"{name}.jsonl").read_text(encoding="utf-8").splitlines() if x.strip()]


def _held_out(case: dict) -> bool:
    return int(hashlib.sha256((case["gold"] + "\0" + case["pred"]).encode()).hexdigest(), 16) % 3 == 0


def test_split_follows_the_hash_rule_and_has_negatives_of_every_kind():
    dev, held = _cases("dev"), _cases("heldout")
    assert (len(dev), len(held)) == (137, 78)
    assert not [c for c in dev if _held_out(c)] and all(_held_out(c) for c in held)
    assert not {(c["gold"], c["pred"]) for c in dev} & {(c["gold"], c["pred"]) for c in held}
    everything = dev + held
    assert {c["kind"] for c in everything} == set(KINDS)
    for kind in KINDS:
        assert sum(not c["equivalent"] for c in everything if c["kind"] == kind) >= 6, kind
    assert not [c for c in everything if "answer_type" in c]  # types are inferred, as for unseen cases


@pytest.mark.parametrize("kind", KINDS)
def test_dev_cases_of_each_kind_agree(kind):
    cases = [c for c in _cases("dev") if c["kind"] == kind]
    misses = [(c["gold"], c["pred"], judge(c["pred"], c["gold"])["reason"]) for c in cases
              if judge(c["pred"], c["gold"])["verdict"] != c["equivalent"]]
    assert not misses


def test_heldout_cases_floor():
    cases = _cases("heldout")
    verdicts = [judge(c["pred"], c["gold"])["verdict"] for c in cases]
    agree = sum(v == c["equivalent"] for v, c in zip(verdicts, cases)) / len(cases)
    false_accepts = sum(v is True and not c["equivalent"] for v, c in zip(verdicts, cases))
    assert agree >= HELDOUT_FLOOR and false_accepts == 0, (agree, false_accepts)


@pytest.mark.parametrize(
    "response, choices, expected",
    [
        ("[C]", None, "C"), ("{e}", None, "E"), (r"\text{B}", None, "B"), (r"\boxed{\textbf{(E)}}", None, "E"),
        ("(d)", None, "D"), ("Looking again, B is the answer.", None, "B"), ("[B] is correct.", None, "B"),
        ("A is too big and C double-counts, so it must be D.", None, "D"), ("I would pick (a).", None, "A"),
        ("The answer is not B; it is C.", None, "C"), ("B is the answer, not A", None, "B"),
        ("Checking each choice: (A) gives 12, (C) gives 18. So the correct choice is C", None, "C"),
        ("The capital is London.", {"label": ["A", "B", "C"], "text": ["Paris", "Rome", "London"]}, "C"),
    ],
)
def test_choice_labels_in_any_bracket_and_at_the_end_of_reasoning(response, choices, expected):
    assert extract(response, "choice", choices) == expected


def test_gold_with_option_text_against_a_bare_label_or_the_text():
    assert judge("A", "(A) Paris")["verdict"] is True
    assert judge("Paris", "(A) Paris")["verdict"] is True
    assert judge("B", "(A) Paris")["verdict"] is False
    assert judge("a", "A) 7")["answer_type"] == "choice"


@pytest.mark.parametrize(
    "response, expected",
    [
        (r"The solutions are \boxed{3} and \boxed{-4}.", "3, -4"),
        (r"$x = \boxed{2}$ or $x = \boxed{5}$", "2, 5"),
        (r"so $x = \boxed{7}$, and checking, $\boxed{7}$ works", "7"),
        (r"first \boxed{1}; later we see the real answer is \boxed{2}", "2"),  # a revision, not a set
    ],
)
def test_several_boxes_joined_only_by_separators_form_one_set(response, expected):
    assert extract(response, "latex") == expected


@pytest.mark.parametrize(
    "pred, gold, expected",
    [
        ("3 and -4", r"\boxed{-4,3}", True), ("x_1=2, x_2=1", "1, 2", True), ("a=3,b=4; a=1,b=2", "(1,2), (3,4)", True),
        ("a=1,b=4; a=3,b=2", "(1,2), (3,4)", False), ("(-3, 2)", "x=-3, y=2", True), ("(2, -3)", "x=-3, y=2", False),
        ("(2,1), (1,2)", "(x, y) = (1, 2), (2, 1)", True), ("The roots are 3 and -4.", "-4, 3", True),
        ("The roots are 3 and 4.", "-4, 3", False), ("So x = 1, x = 2 or x = 5.", "1, 2, 5", True), (r"\boxed{15\frac{39}{40}}, \boxed{\frac{639}{40}}", r"\frac{639}{40}", True),
    ],
)
def test_several_answers_as_sets_and_labelled_tuples(pred, gold, expected):
    assert judge(pred, gold)["verdict"] is expected


@pytest.mark.parametrize(
    "pred, gold, expected",
    [
        ("-y < -3", "y > 3", True), ("-y > -3", "y > 3", False), (r"-2x \ge -10", r"x \le 5", True),
        ("-3 < -x < 2", "-2 < x < 3", True), ("y = 2 - x/2", "x + 2y - 4 = 0", True), ("y = 2 - 2x", "x + 2y - 4 = 0", False),
        ("y - x = 1", "x - y = 1", False), ("-2x + 2y = -2", "x - y = 1", True), (r"\sqrt{2}", r"\frac{AB}{CD}=\sqrt2", True),
        (r"\sqrt{3}", r"\frac{AB}{CD}=\sqrt2", False), ("7", "f(2) = 7", True), ("0", "x + 2y - 4 = 0", False),
        ("-y < -3", r"(3, \infty)", True), ("-y > -3", r"(3, \infty)", False), (r"-2x \ge -10", r"(-\infty, 5]", True),
        (r"2x \le 10", r"(-\infty, 5)", False),
    ],
)
def test_relations_equal_up_to_a_factor_and_labelled_values(pred, gold, expected):
    ok, why = check(pred, gold, "latex")
    assert ok is expected and "symbolic" not in why, why


@pytest.mark.parametrize(
    "pred, gold, expected",
    [
        (".25", "0.25", True), (".35", "0.25", False), ("12 500", "12500", True), ("12 600", "12500", False),
        ("1 234", "1.234", False), (r"12\text{ cm}^2", "12", True), (r"\textbf{5 meters}", "5", True),
        (r"45\,\text{km/h}", "45", True), (r"2 \text{ and } 5", "5, 2", True),
        ("12cm", "12", True), ("2ab", "2xy", False),  # a unit right after a number is a known one; "xy" is algebra
    ],
)
def test_number_forms(pred, gold, expected):
    assert check(pred, gold, "latex")[0] is expected


def test_minerva_ending_with_separators():
    for sep, ok in (("1,500", True), ("1{,}500", True), (r"1\,500", True), ("1,600", False)):
        response = f"Final Answer: The final answer is ${sep}$. I hope it is correct."
        assert judge(response, "1500")["verdict"] is ok, sep


P = r"\begin{pmatrix} %s \end{pmatrix}"


@pytest.mark.parametrize(
    "pred, gold, expected",
    [
        (P % r"1&0\\0&1" + " + " + P % r"2&1\\2&4", P % r"3&1\\2&5", True),
        (P % r"1&2\\3&4" + P % r"5&6\\7&8", P % r"19&22\\43&50", True),
        (P % r"5&6\\7&8" + P % r"1&2\\3&4", P % r"19&22\\43&50", False),
        (r"\frac{1}{2}" + P % r"2&4\\6&8", P % r"1&2\\3&4", True),
        (P % r"1&2\\3&4" + r" \cdot " + P % r"1\\1", P % r"3\\7", True),
        (P % r"1\\2" + " - " + P % r"3\\4", P % r"2\\2", False),
        (P % r"1&1\\0&1" + "^2", P % r"1&2\\0&1", True), (P % r"1&1\\0&1" + "^2", P % r"1&1\\0&1", False),
    ],
)
def test_matrix_sums_and_products_are_evaluated(pred, gold, expected):
    ok, why = fast_compare(pred, gold)
    assert ok is expected, why


@pytest.mark.parametrize(
    "pred, gold",
    [("man bites dog", "dog bites man"), (r"\text{York New}", r"\text{New York}"), (r"\text{B then A}", r"\text{A then B}"),
     (r"\text{dod}", r"\text{odd}")],
)
def test_same_words_in_another_order_differ(pred, gold):
    assert judge(pred, gold)["verdict"] is False
    assert judge(gold, gold)["verdict"] is True


def test_check_answers_by_kind_counts_false_accepts_and_rejects(tmp_path, capsys):
    rows = [
        {"gold": "C", "pred": "[C]", "equivalent": True, "kind": "choice"},
        {"gold": "C", "pred": "[C]", "equivalent": False, "kind": "choice"},  # a wrong label: a false accept
        {"gold": "12", "pred": "13", "equivalent": True},  # no kind: inferred "number"; a false reject
        {"gold": "y > 3", "pred": "-y < -3", "equivalent": True},
    ]
    cases = tmp_path / "cases.jsonl"
    cases.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "out.jsonl"
    assert check_answers_cli(str(cases), str(out), by="kind") == 0
    summary = json.loads(out.read_text().splitlines()[-1])
    assert (summary["false_accepts"], summary["false_rejects"], summary["agree"]) == (1, 1, 2)
    assert summary["by_kind"] == {
        "choice": {"cases": 2, "agree": 1, "agreement": 0.5, "false_accepts": 1, "false_rejects": 0, "undecided": 0},
        "number": {"cases": 1, "agree": 0, "agreement": 0.0, "false_accepts": 0, "false_rejects": 1, "undecided": 0},
        "relation": {"cases": 1, "agree": 1, "agreement": 1.0, "false_accepts": 0, "false_rejects": 0, "undecided": 0},
    }
    table = capsys.readouterr().err.splitlines()
    assert table[0].split()[:3] == ["kind", "cases", "agree"]
    assert table[1].split() == ["choice", "2", "0.500", "1", "0", "0"]


@pytest.mark.timeout(120)
def test_a_symbolic_timeout_is_undecided_in_the_cli_and_in_run_metrics(tmp_path, monkeypatch):
    monkeypatch.setattr(symbolic, "TIMEOUT_S", 0.02)
    monkeypatch.setattr(check_module, "_SYMBOLIC", {})  # no verdict decided earlier in this process
    slow = (r"\sum_{n=1}^{\infty} \frac{1}{n^2}", r"\frac{\pi^2}{6}")  # only the symbolic worker can decide it
    res = judge(slow[0], slow[1])
    assert res["verdict"] is None and res["undecided"] and res["reason"].startswith("undecided: symbolic timeout")
    cases = tmp_path / "cases.jsonl"
    cases.write_text(json.dumps({"gold": slow[1], "pred": slow[0], "equivalent": True}) + "\n")
    out = tmp_path / "out.jsonl"
    assert check_answers_cli(str(cases), str(out)) == 0
    summary = json.loads(out.read_text().splitlines()[-1])
    assert (summary["undecided"], summary["false_rejects"], summary["agree"]) == (1, 0, 0)
    problems = [{"id": "a", "dataset": "m", "answer": slow[1], "answer_type": "latex"},
                {"id": "b", "dataset": "m", "answer": "3", "answer_type": "latex"}]
    gens = [{"id": "a", "prompt": "q", "response": f"$\\boxed{{{slow[0]}}}$"}, {"id": "b", "prompt": "q", "response": "\\boxed{3}"}]
    rows, metrics = score("run", problems, gens)
    assert [r["undecided"] for r in rows] == [True, False] and [r["correct"] for r in rows] == [False, True]
    assert (metrics["undecided"], metrics["k"]) == (1, 1)


def test_cli_by_kind_flag(tmp_path, capsys):
    from cotdistill.cli import main

    cases = tmp_path / "cases.jsonl"
    cases.write_text(json.dumps({"gold": r"\boxed{-4,3}", "pred": "3 and -4", "equivalent": True}) + "\n")
    assert main(["check-answers", str(cases), "--by", "kind"]) == 0
    captured = capsys.readouterr()
    summary = json.loads(captured.out.splitlines()[-1])
    assert summary["by_kind"]["multiple_answers"]["agree"] == 1
    assert captured.err.splitlines()[1].split()[:2] == ["multiple_answers", "1"]
