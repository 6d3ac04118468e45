"""Equivalence of relations: the same relation up to a constant factor (``2x + 4y = 8`` vs ``x + 2y = 4``),
and a one-variable inequality read as an interval (``x ≥ 2`` vs ``[2, \\infty)``)."""

from __future__ import annotations

import math
import re
from fractions import Fraction

from .arithmetic import evaluate
from .arithmetic_values import Unsupported, close
from .nodes import Node

_REL_POINTS = (1, 2, 3, 4, 5)


def _scaled_name(n: Node) -> Fraction | None:
    """The factor c of ``c x`` (``x``, ``-y``, ``2x``, ``-3t``): a variable times a nonzero number."""
    m = re.fullmatch(r"(-)?\s*(\d+(?:\.\d+)?)?\s*\*?\s*([a-zA-Z](?:_\{?\w+\}?)?)", n.text) if n.kind == "expr" else None
    if not m or (m.group(2) and Fraction(m.group(2)) == 0):
        return None
    c = Fraction(m.group(2) or 1)
    return -c if m.group(1) else c


def as_interval(n: Node) -> Node | None:
    """A one-variable inequality ``x ≥ 2`` (or ``-2x ≤ -4``) as the interval ``[2, ∞)`` (other nodes
    unchanged)."""
    if n.kind != "rel":
        return n
    if n.op not in ("<", "≤"):
        return None
    lhs, rhs = n.items
    strict = n.op == "<"
    for var, const, var_above in ((rhs, lhs, True), (lhs, rhs, False)):  # const < c x  /  c x < const
        c = _scaled_name(var)
        if c is None or const.kind != "num" or isinstance(const.value, complex):
            continue
        bound = Node("num", text=const.text, value=const.value / c if c != 1 else const.value)
        if (c > 0) == var_above:  # x above the bound
            return Node("seq", items=[bound, Node("num", text="\\infty", value=math.inf)], open="(" if strict else "[", close=")")
        return Node("seq", items=[Node("num", text="-\\infty", value=-math.inf), bound], open="(", close=")" if strict else "]")
    return None


def relation_equal(a: Node, b: Node) -> bool | None:
    """``lhs op rhs`` relations of scalars as ``f = lhs - rhs``: the same relation when
    ``f_a = c * f_b`` at every sample point for one constant c (c > 0 for an inequality, c != 0 for
    ``=``/``≠``): ``y > 3`` vs ``-y < -3``, ``2x + 4y = 8`` vs ``x + 2y = 4``."""
    if a.op != b.op or any(n.kind not in ("num", "expr") for n in a.items + b.items):
        return None
    integers = any(n.integer for n in a.items + b.items)

    def f(rel: Node, point: int) -> complex:
        lhs, rhs = (n.value if n.kind == "num" else evaluate(n.text, point, integers) for n in rel.items)
        return complex(lhs - rhs)

    try:
        ratio = None
        for point in _REL_POINTS:
            fa, fb = f(a, point), f(b, point)
            if abs(fb) < 1e-12 or abs(fa) < 1e-12:
                if abs(fb) < 1e-12 and abs(fa) < 1e-12:
                    continue
                return False
            r = fa / fb
            if ratio is None:
                ratio = r
            elif not close(r, ratio, rel=1e-8):
                return False
    except (Unsupported, RecursionError, ArithmeticError, TypeError, ValueError, OverflowError):
        return None
    if ratio is None:
        return True  # identically 0 = 0 at every point
    if abs(ratio.imag) > 1e-9 * abs(ratio):
        return False
    return ratio.real > 0 if a.op in ("<", "≤") else True
