"""Intervals and paired comparisons for accuracies: a leaf module (numpy only).

- ``wilson(k, n)``: the 95 % Wilson score interval of one accuracy (k correct of n).
- ``seed_interval(values)``: mean over training seeds with a t interval across seeds.
- ``mcnemar(a, b)``: exact McNemar test on per-problem correctness of two runs on the same problems.
- ``paired_bootstrap(a, b)``: a bootstrap interval of the accuracy difference, resampling problems.
- ``compare(a, b)``: both, as one dict, for "A beats B" claims.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

Z95 = 1.959963984540054
# Student's t quantile t_{0.975, df} for df = 1..30 (beyond 30 the normal's 1.96 is within 4 %).
_T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
         2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042]


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of k successes in n trials (``(nan, nan)`` when n is 0)."""
    if n <= 0:
        return math.nan, math.nan
    if not 0 <= k <= n:
        raise ValueError(f"wilson: k={k} is not within 0..n={n}")
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def seed_interval(values: Sequence[float]) -> tuple[float, float, float]:
    """``(mean, low, high)``: the mean over seeds and its 95 % Student-t interval (low = high = mean for one seed)."""
    vals = [float(v) for v in values]
    if not vals:
        return math.nan, math.nan, math.nan
    mean = sum(vals) / len(vals)
    if len(vals) == 1:
        return mean, mean, mean
    sd = math.sqrt(sum((v - mean) ** 2 for v in vals) / (len(vals) - 1))
    df = len(vals) - 1
    half = (_T975[df - 1] if df <= len(_T975) else Z95) * sd / math.sqrt(len(vals))
    return mean, mean - half, mean + half


def _paired(a: Sequence[bool], b: Sequence[bool]) -> tuple[list[bool], list[bool]]:
    a, b = [bool(x) for x in a], [bool(x) for x in b]
    if len(a) != len(b):
        raise ValueError(f"paired comparison needs the same problems: {len(a)} vs {len(b)} outcomes")
    return a, b


def mcnemar(a: Sequence[bool], b: Sequence[bool]) -> dict:
    """Exact (binomial) two-sided McNemar test: ``a_only`` problems only A solved, ``b_only`` only B."""
    a, b = _paired(a, b)
    a_only = sum(x and not y for x, y in zip(a, b))
    b_only = sum(y and not x for x, y in zip(a, b))
    discordant = a_only + b_only  # under H0 each discordant problem is A's with probability 1/2
    tail = sum(math.comb(discordant, i) for i in range(min(a_only, b_only) + 1)) / 2**discordant
    return {"a_only": a_only, "b_only": b_only, "p_value": min(1.0, 2 * tail)}


def paired_bootstrap(a: Sequence[bool], b: Sequence[bool], *, samples: int = 10_000, seed: int = 0,
                     level: float = 0.95) -> tuple[float, float, float]:
    """``(diff, low, high)``: accuracy(A) − accuracy(B) and its percentile interval over resampled problems."""
    a, b = _paired(a, b)
    n = len(a)
    if n == 0:
        return math.nan, math.nan, math.nan
    d = np.array(a, dtype=float) - np.array(b, dtype=float)
    means = d[np.random.default_rng(seed).integers(0, n, size=(samples, n))].mean(axis=1)
    lo, hi = np.quantile(means, [(1 - level) / 2, (1 + level) / 2])
    return float(d.mean()), float(lo), float(hi)


def compare(a: Sequence[bool], b: Sequence[bool], **bootstrap) -> dict:
    """A vs B on the same problems: accuracies, the difference with its bootstrap interval, McNemar's p."""
    a, b = _paired(a, b)
    diff, lo, hi = paired_bootstrap(a, b, **bootstrap)
    n = len(a)
    return {"n": n, "acc_a": sum(a) / n if n else math.nan, "acc_b": sum(b) / n if n else math.nan,
            "diff": diff, "diff_low": lo, "diff_high": hi, **mcnemar(a, b)}


def paired_outcomes(rows_a: Sequence[dict], rows_b: Sequence[dict]) -> tuple[list[bool], list[bool]]:
    """Per-problem correctness of two eval files (rows with ``id``, ``correct``), aligned by problem id."""
    a = {r["id"]: bool(r["correct"]) for r in rows_a}
    b = {r["id"]: bool(r["correct"]) for r in rows_b}
    if a.keys() != b.keys():
        raise ValueError(f"paired comparison needs the same problems: {len(a.keys() ^ b.keys())} ids are in only one file")
    ids = sorted(a)
    return [a[i] for i in ids], [b[i] for i in ids]
