"""Answer extraction and equivalence: every category, positive and negative, plus the shared real cases."""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

import pytest

from cotdistill.answers import check, check_answers_cli, equivalent, extract, infer_answer_type, judge
from cotdistill.answers.symbolic import symbolic_equal

BENCH = os.environ.get("COTDISTILL_BENCHMARKS")  # shared development cases: answer_equivalence/cases.jsonl
CASES = Path(BENCH or ".") / "answer_equivalence" / "cases.jsonl"
AGREEMENT_FLOOR = 1.0  # 43/43 on the shared cases; raise, never lower


@pytest.mark.parametrize(
    "response, answer_type, expected",
    [
        (r"so $x = \boxed{\frac{1}{\sqrt{2}}}$ and later \boxed{\frac{\sqrt{3}}{2}}.", "latex", r"\frac{\sqrt{3}}{2}"),
        (r"\boxed{\{1, \{2\}\}}", "latex", r"\{1, \{2\}\}"),
        ("She makes 9 * 2 = $18 every day.\n#### 1,234", "number", "1,234"),
        ("We add them up. The answer is 42.", "number", "42"),
        ("Final Answer: The final answer is $20 \\%$. I hope it is correct.", "number", "20 \\%"),
        ("Final Answer: The volume of $ABCDEFGH$ is 120. I hope it is correct.", "number", "120"),
        ("First 3 apples, then 4 more, so 7 in total", "number", "7"),
        ("The answer is $1,234.", "number", "$1,234"),
        ("We find that $x \\lt 3$.", "latex", "x \\lt 3"),
        ("-0.5", "number", "-0.5"),
        ("no digits here at all, none", "number", None),
        ("", "number", None),
    ],
)
def test_extract_maths(response, answer_type, expected):
    assert extract(response, answer_type) == expected


AQUA = {"label": list("ABCDE"), "text": ["5 km", "8 km", "12 km", "15 km", "None of these"]}


@pytest.mark.parametrize(
    "response, choices, expected",
    [
        ("Thus the answer is (B).", None, "B"),
        ("B) is right, so answer: b", None, "B"),
        ("Among A through E, the answer is most likely C, inspiration.", None, "C"),
        ("The answer is for sure D, it can't be A or B", None, "D"),
        ("B is correct", None, "B"),
        (r"The final answer is $\boxed{\textbf{(E)}\ 2\sqrt{43}}$", None, "E"),
        ("So they travel 12 km. The answer is 12 km.", AQUA, "C"),
        ("Distance = 15 km", AQUA, "D"),
        ("(C) 12 km", AQUA, "C"),
        ("I cannot tell.", None, None),
    ],
)
def test_extract_choice(response, choices, expected):
    assert extract(response, "choice", choices) == expected


@pytest.mark.parametrize(
    "response, answer_type, expected",
    [
        ("Therefore, the answer (Yes or No) is Yes.", "yesno", "yes"),
        ("No. Frogs cannot fly.", "yesno", "no"),
        ("The statement is true.", "yesno", "yes"),
        ("So the answer is: false", "yesno", "no"),
        ("The premise contradicts the hypothesis.", "nli", "contradiction"),
        ("Answer: entailment", "nli", "entailment"),
        ("It is neither confirmed nor refuted, so neutral.", "nli", "neutral"),
    ],
)
def test_extract_labels(response, answer_type, expected):
    assert extract(response, answer_type) == expected


EQUAL = [
    ("1,234", "1234", "number"), ("$1,234.00", "1234", "number"), ("\\$5", "5", "number"),
    ("50%", "0.5", "number"), ("50\\%", "50", "number"), ("90^\\circ", "90", "number"), ("90°", "90", "number"),
    ("12 km", "12", "number"), ("3.50", "3.5", "number"), ("1000.0", "1000", "number"),
    ("\\frac{1}{2}", "0.5", "latex"), ("\\dfrac12", "\\frac{1}{2}", "latex"), ("1/2", "\\tfrac{1}{2}", "latex"),
    ("3\\frac{1}{2}", "\\frac{7}{2}", "latex"), ("3 1/2", "3.5", "number"),
    ("2\\sqrt{2}", "\\sqrt{8}", "latex"), ("\\frac{\\sqrt{2}}{2}", "\\frac{1}{\\sqrt2}", "latex"),
    ("2\\pi", "\\pi \\cdot 2", "latex"), ("\\frac{\\pi}{2}", "\\pi/2", "latex"),
    ("\\text{(B)}", "B", "choice"), ("\\left( 1, 2 \\right)", "(1,2)", "latex"),
    ("\\{3, 1, 2\\}", "\\{1,2,3\\}", "latex"), ("[0, 1)", "[0,1)", "latex"),
    ("(-\\infty, 2] \\cup (3, \\infty)", "(3,\\infty)\\cup(-\\infty,2]", "latex"),
    ("\\begin{bmatrix}1&2\\\\3&4\\end{bmatrix}", "\\begin{pmatrix}1 & 2 \\\\ 3 & 4\\end{pmatrix}", "latex"),
    ("x=3", "3", "latex"), ("y = 2x + 1", "1 + 2x", "latex"), ("x^2+2x+1", "(x+1)^2", "latex"),
    ("5 \\geq x", "x \\le 5", "latex"), ("\\text{odd}", "odd", "text"), ("Paris.", "paris", "text"),
    ("True", "yes", "yesno"), ("contradicts", "contradiction", "nli"),
    ("1\\,000", "1000", "number"), ("1{,}000", "1000", "number"), ("3 \\text{ cm}^2", "3", "number"),
    ("5.0\\%", "5\\%", "number"), ("\\frac{1}{2}", "50\\%", "number"), ("−5", "-5", "number"),
    ("e^2", "\\exp(2)", "latex"), ("\\ln e", "1", "latex"), ("\\cos^2 x - \\sin^2 x", "\\cos 2x", "latex"),
    ("0.\\overline{3}", "\\frac13", "latex"), ("0.1\\overline{6}", "\\frac{1}{6}", "latex"),
    ("\\varnothing", "\\emptyset", "latex"), ("\\mathbb{R}", "(-\\infty, \\infty)", "latex"),
    ("x \\ge 2", "[2, \\infty)", "latex"), ("x < 3", "(-\\infty, 3)", "latex"), ("2 \\le x < 5", "[2, 5)", "latex"),
    ("5 > x \\geq 2", "2 \\le x < 5", "latex"),
]
DIFFERENT = [
    ("1,235", "1234", "number"), ("0.33", "\\frac{1}{3}", "latex"), ("2", "-2", "number"),
    ("(1,2)", "(2,1)", "latex"), ("[0,1]", "[0,1)", "latex"), ("\\{1,2\\}", "\\{1,2,3\\}", "latex"),
    ("\\sqrt{2}", "\\sqrt{3}", "latex"), ("x^2", "x^3", "latex"), ("x < 3", "x \\le 3", "latex"),
    ("\\begin{pmatrix}1\\\\2\\end{pmatrix}", "\\begin{pmatrix}1\\\\3\\end{pmatrix}", "latex"),
    ("\\pm 3", "3", "latex"), ("A", "B", "choice"), ("no", "yes", "yesno"),
    ("neutral", "entailment", "nli"), ("London", "Paris", "text"), ("10000001", "10000000", "number"),
    ("\\$5", "6", "number"), ("50%", "5", "number"), ("90°", "45", "number"), ("12 km", "13", "number"),
    ("3 1/2", "3.2", "number"), ("3\\frac{1}{2}", "\\frac{5}{2}", "latex"), ("x=3", "4", "latex"),
    ("y = 2x + 1", "2x - 1", "latex"), ("\\text{even}", "odd", "text"), ("\\sqrt{2}\\pi", "\\pi\\sqrt{3}", "latex"),
    ("(-\\infty, 0)", "(-\\infty, 0]", "latex"), ("1.0", "1.00001", "number"), ("\\emptyset", "\\{1\\}", "latex"),
    ("2\\sin x", "\\sin 2x", "latex"), ("0.\\overline{3}", "0.3", "latex"),
    ("x > 2", "[2, \\infty)", "latex"), ("x \\le 3", "(-\\infty, 3)", "latex"), ("2 \\le x < 5", "[2, 5]", "latex"),
]


@pytest.mark.parametrize("pred, gold, answer_type", EQUAL)
def test_equivalent(pred, gold, answer_type):
    ok, why = check(pred, gold, answer_type)
    assert ok, why


@pytest.mark.parametrize("pred, gold, answer_type", DIFFERENT)
def test_not_equivalent(pred, gold, answer_type):
    ok, why = check(pred, gold, answer_type)
    assert not ok, why


CLOSED_FORMS = [  # decided by the fast path: sums, products, n!, binomials, floor/ceil, max/gcd
    (r"\sum_{k=1}^{10} k^2", "385", True), (r"\sum\limits_{k=1}^{100} k", "5050", True),
    (r"\sum_{k=1}^{10} k^2", "386", False), (r"\prod_{k=1}^{5} k", "120", True),
    (r"\sum_{k=1}^{n} k", r"\frac{n(n+1)}{2}", True), (r"\sum_{k=1}^{n} k", r"\frac{n(n-1)}{2}", False),
    (r"\sum_{k=1}^{n} k^2", r"\frac{n(n+1)(2n+1)}{6}", True), (r"\sum_{i=0}^{n} 2^i", "2^{n+1}-1", True),
    (r"\sum_{j=1}^{n} (2j-1)", "n^2", True), (r"\prod_{k=1}^{n} k", "n!", True),
    (r"F_n = \sum_{k=0}^{n-1} F_{n-1-k} F_{k}", r"F_n = \sum_{k=0}^{n-1} F_k F_{n-k-1}", True),
    (r"F_n = \sum_{k=0}^{n-2} F_k F_{n-k-2}", r"F_n = \sum_{k=0}^{n-1} F_k F_{n-k-1}", False),
    (r"\binom{n}{2}", r"\frac{n(n-1)}{2}", True), (r"\binom{n}{2}", r"\frac{n(n+1)}{2}", False),
    (r"\frac{(n+1)!}{n!}", "n+1", True), ("n!", "n(n-1)!", True),
    (r"\left\lfloor \frac{7}{2} \right\rfloor", "3", True), (r"\lceil 3.2 \rceil", "4", True),
    (r"\lfloor \sqrt{17} \rfloor", "5", False), (r"\max(3,5)", "5", True), (r"\gcd(12,18)", "6", True),
    (r"\operatorname{lcm}(4,6)", "12", True), (r"\sin 2x", r"2\sin x\cos x", True),
]


@pytest.mark.parametrize("pred, gold, expected", CLOSED_FORMS)
def test_closed_forms_are_decided_without_sympy(pred, gold, expected):
    ok, why = check(pred, gold, "latex")
    assert ok is expected, why
    assert "symbolic" not in why


def test_series_are_bounded():
    t = time.monotonic()
    for pred in (r"\sum_{k=1}^{1000000000} k", r"\sum_{i=1}^{9999}\sum_{j=1}^{9999} ij", r"\prod_{k=1}^{9000} k"):
        ok, why = check(pred, "5", "latex")
        assert ok is False, why
    assert time.monotonic() - t < 30


@pytest.mark.timeout(120)
@pytest.mark.parametrize(
    "pred, gold, expected",
    [(r"\sum_{n=1}^{\infty} \frac{1}{2^n}", "1", True), (r"\int_0^1 x\,dx", r"\frac12", True),
     (r"\lim_{x\to 0} \frac{\sin x}{x}", "1", True), (r"\int_0^1 x\,dx", r"\frac13", False)],
)
def test_symbolic_fallback_decides_what_the_fast_path_cannot(pred, gold, expected):
    ok, why = check(pred, gold, "latex")
    assert ok is expected and "symbolic" in why, why


@pytest.mark.timeout(120)
def test_symbolic_timeout_returns_false_and_the_worker_restarts():
    pred, gold = r"\sum_{n=1}^{\infty} \frac{1}{n^2}", r"\frac{\pi^2}{6}"
    assert symbolic_equal(pred, gold, timeout_s=0.02) == (False, "undecided: symbolic timeout after 0.02s")
    assert symbolic_equal(pred, gold, timeout_s=60) == (True, "symbolic (math-verify)")


def _check_in_child(pair):
    return check(pair[0], pair[1], "latex")


@pytest.mark.timeout(180)
@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_checks_run_in_worker_processes(method):
    symbolic_equal("x", "x")  # the parent's worker is up before the fork: children must not share its pipes
    pairs = [(r"\int_0^1 x\,dx", r"\frac12"), ("7", "8"), (r"\lim_{x\to 0} \frac{\sin x}{x}", "1")] * 2
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context(method)) as pool:
        results = list(pool.map(_check_in_child, pairs))
    assert [r[0] for r in results] == [True, False, True] * 2, results
    assert check(r"\int_0^2 x\,dx", "2", "latex")[0]  # the parent's worker still answers


@pytest.mark.parametrize(
    "gold, expected",
    [("1234", "number"), ("-3.5", "number"), ("\\frac{1}{2}", "latex"), ("B", "choice"), ("(C)", "choice"),
     ("Yes", "yesno"), ("false", "yesno"), ("entailment", "nli"), ("x^2+1", "latex"), ("Paris France", "text")],
)
def test_infer_answer_type(gold, expected):
    assert infer_answer_type(gold) == expected


def test_check_never_raises_and_none_is_false():
    assert check(None, "1") == (False, "no answer extracted")
    assert equivalent("}}}{{{\\frac", "1", "latex") is False
    assert check("1", "\\frac{", "weird-type")[0] is False


PATHOLOGICAL = [  # (pred, gold, the verdict expected)
    ("x " * 50_000 + "\\boxed{7}", "7", True),
    ("{" * 10_000 + "1" + "}" * 10_000, "1", True),
    ("\\boxed{" + "{" * 5000 + "2", "2", False),  # never closed
    ("10^{10^{10}}", "5", False),
    ("2^{2^{2^{2^{2^{2}}}}}", "3", False),
    ("\\frac{\\frac{\\frac{1}{", "1", False),
    ("(" * 3000 + "a" + ")" * 3000, "a", False),  # a known false negative: extraction gives up on 3,000-deep nesting
    ("9" * 50_000, "1", False),
]


@pytest.mark.timeout(120)
def test_pathological_inputs_return_in_bounded_time():
    for pred, gold, expected in PATHOLOGICAL:
        t = time.monotonic()
        ans = extract(pred, "latex")
        ok, why = check(ans, gold, "latex")
        assert ok is expected and why, (pred[:40], why)
        assert time.monotonic() - t < 10, (pred[:40], why)


@pytest.mark.timeout(120)
def test_checks_run_in_threads():
    pairs = [("\\frac{2}{4}", "\\frac12"), ("\\sin^2 y + \\cos^2 y", "1"), ("7", "8"), ("10^{10^{10}}", "5")] * 3
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda p: check(p[0] + " ", p[1], "latex"), pairs))
    assert [r[0] for r in results] == [True, True, False, False] * 3


def _shared_cases():
    if not BENCH:
        pytest.skip("COTDISTILL_BENCHMARKS is not set (a folder with answer_equivalence/cases.jsonl)")
    if not CASES.exists():
        pytest.skip(f"{CASES} absent")
    return [json.loads(line) for line in CASES.read_text().splitlines() if line.strip()]


@pytest.mark.timeout(300)
def test_shared_cases_agreement_floor():
    cases = _shared_cases()
    misses = [c for c in cases if judge(c["pred"], c["gold"])["verdict"] != c["equivalent"]]
    agreement = 1 - len(misses) / len(cases)
    assert agreement >= AGREEMENT_FLOOR, [(m["gold"][:60], m["pred"][:60]) for m in misses]


@pytest.mark.timeout(300)
def test_shared_cases_never_reach_the_symbolic_worker():
    reasons = [judge(c["pred"], c["gold"])["reason"] for c in _shared_cases()]
    assert not [r for r in reasons if "symbolic" in r], reasons


def test_cli_command_infers_types_and_summarises(tmp_path):
    cases = tmp_path / "cases.jsonl"
    rows = [{"gold": "#### 1,234", "pred": "so 1234 in all", "equivalent": True},
            {"gold": "\\frac{1}{2}", "pred": "The answer is $0.5$.", "equivalent": True},
            {"gold": "Neutral", "pred": "The premise entails it.", "equivalent": False}]
    cases.write_text("".join(json.dumps(r) + "\n" for r in rows))
    cli = Path(sys.executable).with_name("cotdistill")
    out = subprocess.run([str(cli), "check-answers", str(cases)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    lines = [json.loads(x) for x in out.stdout.splitlines()]
    assert [x["answer_type"] for x in lines[:3]] == ["number", "latex", "nli"]
    assert [x["verdict"] for x in lines[:3]] == [True, True, False]
    assert lines[3] == {"cases": 3, "agree": 3, "agreement": 1.0, "false_accepts": 0, "false_rejects": 0, "undecided": 0}


def test_cli_writes_verdicts_and_summary(tmp_path, capsys):
    cases = tmp_path / "cases.jsonl"
    rows = [
        {"gold": "1234", "pred": "The answer is 1,234.", "equivalent": True},
        {"gold": "B", "pred": "so (C)", "equivalent": True},
        {"gold": "yes", "pred": "No.", "answer_type": "yesno"},
    ]
    cases.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "out.jsonl"
    assert check_answers_cli(str(cases), str(out)) == 0
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert [x["verdict"] for x in lines[:3]] == [True, False, False]
    assert lines[1]["answer_type"] == "choice" and lines[2]["answer_type"] == "yesno"
    assert lines[3] == {"cases": 2, "agree": 1, "agreement": 0.5, "false_accepts": 0, "false_rejects": 1, "undecided": 0}
    assert check_answers_cli(str(cases), "-") == 0
    assert len(capsys.readouterr().out.splitlines()) == 4
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"gold": "1"}\n')
    assert check_answers_cli(str(bad), "-") == 2
