"""The fast path: parse an answer into a small structure and compare two of them.

``fast_compare`` answers True, False, or None (cannot decide: hand over to the symbolic checker).
``compare`` dispatches on the structures (``structure.parse``): scalars to ``scalar_equivalence``,
relations and inequalities to ``relation_equivalence``; sets, unions, tuples and matrices are compared
here, item by item, because their items recurse through ``compare``.
"""

from __future__ import annotations

import re
from fractions import Fraction

from .arithmetic_values import Unsupported
from .latex import clean
from .nodes import Node
from .relation_equivalence import as_interval, relation_equal
from .scalar_equivalence import expr_equal, num_equal, text_key
from .structure import parse

_PLAIN = re.compile(r"-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?")
_WORDY = re.compile(r"[A-Za-z][A-Za-z ]+")


def _distinct(items: list[Node]) -> list[Node]:
    """A set's items without repeats: ``\\boxed{15\\frac{39}{40}}`` or ``\\boxed{\\frac{639}{40}}`` is one value."""
    out: list[Node] = []
    for it in items:
        if not any(compare(it, o) for o in out):
            out.append(it)
    return out


def _unordered(xs: list[Node], ys: list[Node], scales) -> bool | None:
    if len(xs) != len(ys):
        xs, ys = _distinct(xs), _distinct(ys)
    if len(xs) != len(ys):
        return False
    left = list(ys)
    unknown = False
    for x in xs:
        for j, y in enumerate(left):
            r = compare(x, y, scales)
            if r:
                del left[j]
                break
            if r is None:
                unknown = True
        else:
            return None if unknown else False
    return True


def compare(a: Node, b: Node, scales=(1,)) -> bool | None:
    """True/False when the structures decide, None when only a symbolic check can."""
    if a.label is not None and b.kind != "rel":
        return compare(a.label, b, scales)
    if b.label is not None and a.kind != "rel":
        return compare(a, b.label, scales)
    if a.kind == "set" and 1 < len(a.items) <= 20 and b.kind != "set":
        a = Node("set", items=_distinct(a.items))
    if b.kind == "set" and 1 < len(b.items) <= 20 and a.kind != "set":
        b = Node("set", items=_distinct(b.items))
    if a.kind == "set" and len(a.items) == 1:
        return compare(a.items[0], b, scales)
    if b.kind == "set" and len(b.items) == 1:
        return compare(a, b.items[0], scales)
    if a.kind == "text" or b.kind == "text":
        if text_key(a.text) == text_key(b.text) and a.text:
            return True
        words = [n for n in (a, b) if n.kind == "text" and _WORDY.fullmatch(n.text)]
        return False if words and (len(words) == 2 or {a.kind, b.kind} & {"num", "expr", "set", "seq"}) else None
    if "huge" in (a.kind, b.kind) and "num" in (a.kind, b.kind):
        return False  # beyond 10^300 vs an evaluated finite number
    if a.kind == "num" and b.kind == "num":
        return num_equal(a, b, scales)
    if a.kind in ("num", "expr") and b.kind in ("num", "expr"):
        return expr_equal(a, b)
    if a.kind != b.kind:
        if "rel" in (a.kind, b.kind) and {a.kind, b.kind} & {"seq", "union"}:  # x ≥ 2 vs [2, \\infty)
            a, b = as_interval(a), as_interval(b)
            return None if a is None or b is None else compare(a, b, scales)
        if {a.kind, b.kind} == {"seq", "set"}:
            seq, st = (a, b) if a.kind == "seq" else (b, a)
            if seq.open == "(":
                return _unordered(seq.items, st.items, (1,))
        if {a.kind, b.kind} == {"matrix", "seq"}:
            m, q = (a, b) if a.kind == "matrix" else (b, a)
            if sum(len(r) for r in m.items) != len(q.items):
                return False
        scalar = {"num", "expr"}
        return False if (a.kind in scalar) != (b.kind in scalar) else None
    if a.kind == "seq":
        if len(a.items) != len(b.items):
            return False
        if (a.open, a.close) != (b.open, b.close):
            return False
        return _all(compare(x, y) for x, y in zip(a.items, b.items))
    if a.kind in ("set", "union"):
        return _unordered(a.items, b.items, scales)
    if a.kind == "rel":
        same = a.op == b.op and _all(compare(x, y) for x, y in zip(a.items, b.items))
        if not same and a.op in ("=", "≠"):
            same = _all(compare(x, y) for x, y in zip(a.items, reversed(b.items)))
        if same:
            return True
        scaled = relation_equal(a, b)
        if scaled is not None:
            same = scaled
        if not same and a.label is not None and b.label is not None:  # x = 5 vs y = 5
            return compare(a.label, b.label, scales)
        return same
    if a.kind == "matrix":
        if [len(r) for r in a.items] != [len(r) for r in b.items]:
            return False
        return _all(compare(x, y) for ra, rb in zip(a.items, b.items) for x, y in zip(ra, rb))
    return None


def _all(results) -> bool | None:
    unknown = False
    for r in results:
        if r is False:
            return False
        unknown |= r is None
    return None if unknown else True


def fast_compare(pred: str, gold: str) -> tuple[bool | None, str]:
    """Compare two answers without sympy; (None, why) when undecided."""
    p, p_pct = clean(pred)
    g, g_pct = clean(gold)
    if p == g and p:
        return True, "identical after normalisation"
    if _PLAIN.fullmatch(p) and _PLAIN.fullmatch(g) and not (p_pct or g_pct):  # the common case, no parsing
        r = Fraction(p.replace(",", "")) == Fraction(g.replace(",", ""))
        return r, f"numbers {'equal' if r else 'different'}"
    try:
        pn, gn = parse(p), parse(g)
    except (Unsupported, RecursionError) as e:
        return None, f"unparsed: {e}"
    scales = (1, Fraction(1, 100), 100) if (p_pct or g_pct) else (1,)
    r = compare(pn, gn, scales)
    if r is None:
        return None, "undecided by fast path"
    return r, f"{pn.kind} vs {gn.kind}: {'equal' if r else 'different'}"
