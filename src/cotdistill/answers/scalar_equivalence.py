"""Equivalence of scalar nodes: numbers (exactly, or to the digits given, under percent scales),
expressions in free variables (at sample points), and text (up to spacing, braces and case)."""

from __future__ import annotations

import re

from .arithmetic import evaluate
from .arithmetic_values import Unsupported, close
from .nodes import Node

_DECIMAL = re.compile(r"-?\d*\.(\d+)")
_INT_POINTS = (1, 2, 3, 4, 5, 6)


def text_key(s: str) -> str:
    return re.sub(r"[\s{}\\]|\\text|\\mathrm", "", s).lower()


def _decimals(text: str) -> int:
    m = _DECIMAL.fullmatch(text.strip())
    return len(m.group(1)) if m else 0


def num_equal(a: Node, b: Node, scales=(1,)) -> bool:
    for k in scales:
        x = a.value * k
        if close(x, b.value):
            return True
        digits = max(_decimals(a.text) if k == 1 else 0, _decimals(b.text))
        if digits >= 4:
            try:
                if abs(complex(x) - complex(b.value)) < 10.0 ** (-digits):
                    return True
            except (OverflowError, TypeError):
                pass
    return False


def expr_equal(a: Node, b: Node) -> bool | None:
    integers = a.integer or b.integer

    def at(n: Node, point: int):
        return n.value if n.kind == "num" else evaluate(n.text, point, integers)

    try:
        for point in _INT_POINTS if integers else (1, 2, 3):
            if not close(at(a, point), at(b, point), rel=1e-8):
                return False
        return True
    except (Unsupported, RecursionError, ArithmeticError, TypeError, ValueError):
        return None
