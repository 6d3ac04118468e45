"""Intervals and paired comparisons: values checked against hand computations and textbook results."""

from __future__ import annotations

import math

import pytest

from cotdistill.scoring import accuracy_metrics, score
from cotdistill.stats import compare, mcnemar, paired_bootstrap, paired_outcomes, seed_interval, wilson


def test_wilson_matches_the_closed_form():
    # 140 of 200: p = 0.7; Wilson (z = 1.96) gives [0.6332, 0.7592] (Newcombe 1998's formula, by hand)
    low, high = wilson(140, 200)
    assert low == pytest.approx(0.6332, abs=5e-4) and high == pytest.approx(0.7592, abs=5e-4)
    # 0 of 10 keeps a non-degenerate upper bound z²/(n+z²) = 0.2775; 10 of 10 mirrors it
    assert wilson(0, 10) == pytest.approx((0.0, 0.2775), abs=5e-4)
    assert wilson(10, 10) == pytest.approx((0.7225, 1.0), abs=5e-4)
    assert all(math.isnan(x) for x in wilson(0, 0))
    with pytest.raises(ValueError):
        wilson(11, 10)


def test_seed_interval_is_a_t_interval():
    mean, low, high = seed_interval([0.6, 0.7, 0.8])
    # sd 0.1, t(0.975, 2) = 4.303: half-width 4.303 * 0.1 / sqrt(3) = 0.2484
    assert mean == pytest.approx(0.7) and high - mean == pytest.approx(0.2484, abs=1e-3) and mean - low == pytest.approx(0.2484, abs=1e-3)
    assert seed_interval([0.5]) == (0.5, 0.5, 0.5)


def test_mcnemar_exact():
    # A alone solves 10 problems, B alone 2: two-sided binomial p = 2 * P(X <= 2 | 12, 1/2) = 0.0386
    a = [True] * 10 + [False] * 2 + [True] * 5 + [False] * 3
    b = [False] * 10 + [True] * 2 + [True] * 5 + [False] * 3
    r = mcnemar(a, b)
    assert (r["a_only"], r["b_only"]) == (10, 2)
    assert r["p_value"] == pytest.approx(2 * (1 + 12 + 66) / 4096, rel=1e-9)
    assert mcnemar([True, False], [True, False])["p_value"] == 1.0
    with pytest.raises(ValueError):
        mcnemar([True], [True, False])


def test_paired_bootstrap_brackets_the_difference():
    a = [True] * 70 + [False] * 30
    b = [True] * 40 + [False] * 60
    diff, low, high = paired_bootstrap(a, b, samples=2000, seed=1)
    assert diff == pytest.approx(0.3) and low < 0.3 < high and low > 0.15 and high < 0.45
    same, lo, hi = paired_bootstrap(a, a, samples=500)
    assert (same, lo, hi) == (0.0, 0.0, 0.0)
    c = compare(a, b, samples=500)
    assert c["acc_a"] == 0.7 and c["acc_b"] == 0.4 and c["a_only"] == 30 and c["p_value"] < 1e-6


def test_paired_outcomes_align_by_id():
    a = [{"id": "p2", "correct": True}, {"id": "p1", "correct": False}]
    b = [{"id": "p1", "correct": True}, {"id": "p2", "correct": True}]
    assert paired_outcomes(a, b) == ([False, True], [True, True])
    with pytest.raises(ValueError, match="only one file"):
        paired_outcomes(a, [{"id": "p3", "correct": True}, {"id": "p1", "correct": True}])


def test_score_recomputes_correctness_and_interval():
    problems = [{"id": f"p{i}", "dataset": "cs", "answer": str(i), "answer_type": "number"} for i in range(4)]
    gens = [{"id": "p0", "prompt": "q", "response": "The answer is 0"}, {"id": "p1", "prompt": "q", "response": "The answer is 7"},
            {"id": "p2", "prompt": "q", "response": ""}, {"id": "p3", "prompt": "q", "response": "so 1 + 2 = 3. The answer is 3."}]
    rows, m = score("r", problems, gens)
    assert [r["correct"] for r in rows] == [True, False, False, True]
    assert (m["n"], m["k"], m["accuracy"]) == (4, 2, 0.5)
    assert (m["ci_low"], m["ci_high"]) == pytest.approx(wilson(2, 4))
    assert m["no_answer"] == 0.25 and accuracy_metrics([])["n"] == 0
