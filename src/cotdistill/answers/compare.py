"""The fast path: parse an answer into a small structure and compare two of them.

``fast_compare`` answers True, False, or None (cannot decide: hand over to the symbolic checker).
Structures: numbers and expressions (via ``arithmetic.evaluate``), tuples/intervals (ordered, brackets
matter), sets and bare lists (unordered), unions of intervals, relations, matrices, and text.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from fractions import Fraction

from .arithmetic import NeedsInteger, TooLarge, Unsupported, close, evaluate
from .latex import clean, match_group

_OPEN = {"(": ")", "[": "]", "⦃": "⦄", "{": "}"}
_REL = ("≤", "≥", "≠", "<", ">", "=")
_FLIP = {">": "<", "≥": "≤"}
_THOUSANDS = re.compile(r"-?\d{1,3}(?:,\d{3})+(?:\.\d+)?")
_MIXED = re.compile(r"(-?)(\d+)\s*(?:\\frac\s*\{?\s*(\d+)\s*\}?\s*\{?\s*(\d+)\s*\}?|\s(\d+)\s*/\s*(\d+))")
_UNIT = re.compile(r"(-?(?:\d[\d,]*(?:\.\d+)?|\.\d+)(?:\s*/\s*\d+)?)\s*(?:[a-zA-Z]{2,}\.?|[a-zA-Z]{2,}(?:\s*\^\s*\{?\d\}?)?)(?:\s+[a-zA-Z]+\.?)*")
_BASE = re.compile(r"([0-9A-Fa-f]+)_\{?(\d+)\}?")  # 2516_8: a numeral in base 8
_PLAIN = re.compile(r"-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?")
_WORDY = re.compile(r"[A-Za-z][A-Za-z ]+")
_CURRENCY = re.compile(r"^(?:rs\.?|inr|usd|us|eur|gbp|€|£|¥|₹)\s*", re.I)
_DECIMAL = re.compile(r"-?\d*\.(\d+)")
_MATRIX = re.compile(r"\\begin\{([pbBvV]?matrix|array)\}(?:\{[^{}]*\})?(.*?)\\end\{\1\}", re.S)
_CONNECTIVE = re.compile(r"\s(?:and|or)\s|\\text\s*and|\\quad\b", re.I)
_INT_POINTS = (1, 2, 3, 4, 5, 6)
_NAME = re.compile(r"[a-zA-Z](?:_\{?\w+\}?)?(?:\([a-zA-Z, ]*\))?|\\[a-zA-Z]+")


@dataclass
class Node:
    kind: str  # num | expr | text | seq | set | union | rel | matrix
    text: str = ""
    value: object = None
    items: list = field(default_factory=list)
    open: str = ""
    close: str = ""
    op: str = ""
    integer: bool = False  # an expr that must be sampled at integer points (sums, n!, binomials)


_OPEN, _CLOSE = "([{⦃", ")]}⦄"
_BRACKETS = _OPEN + _CLOSE


def _depths(s: str):
    """(index, char, bracket depth after the char) for each character of ``s``."""
    depth = 0
    for i, c in enumerate(s):
        depth += (c in _OPEN) - (c in _CLOSE)
        yield i, c, depth


def _top_level(s: str, chars: str):
    """(index, char) of each character of ``chars`` in ``s`` that is outside any brackets."""
    for i, c, depth in _depths(s):
        if depth == 0 and c in chars and c not in _BRACKETS:
            yield i, c


def split_top(s: str, seps: str) -> list[str]:
    """Split ``s`` at characters in ``seps`` that are outside any brackets."""
    parts, start = [], 0
    for i, _ in _top_level(s, seps):
        parts.append(s[start:i])
        start = i + 1
    parts.append(s[start:])
    return parts


def _split_top_word(s: str, word: str) -> list[str]:
    """Split ``s`` at occurrences of ``word`` (no brackets in it) that are outside any brackets."""
    parts, start = [], 0
    for i, c, depth in _depths(s):
        if i >= start and depth == 0 and c not in _BRACKETS and s.startswith(word, i):
            parts.append(s[start:i])
            start = i + len(word)
    parts.append(s[start:])
    return parts


def _enclosed(s: str) -> str | None:
    """The opening bracket if one bracket pair encloses all of ``s``."""
    if len(s) < 2 or s[0] not in _OPEN:
        return None
    depth = 0
    for i, _, depth in _depths(s):
        if depth == 0 and i != len(s) - 1:
            return None
    return s[0] if s[-1] in _CLOSE and depth == 0 else None


def parse(s: str, depth: int = 0) -> Node:
    """Structure of a cleaned answer string."""
    s = s.strip().strip(",;.")
    if depth > 20:
        raise Unsupported("too deeply nested")
    s = re.sub(r"^[(\[]\s*(\\begin\{.*\\end\{\w+\})\s*[)\]]$", r"\1", s, flags=re.S)
    m = _MATRIX.fullmatch(s)
    if m:
        rows = [r for r in m.group(2).split("⏎") if r.strip()]
        return Node("matrix", items=[[parse(c, depth + 1) for c in r.split("&")] for r in rows])
    s = re.sub(r"^[a-zA-Z]\s*\\in\s*", "", s)
    if s == "\\emptyset":
        return Node("set")
    s = _CONNECTIVE.sub(",", s)
    unions = _split_top_word(s, "\\cup")
    if len(unions) > 1:
        return Node("union", items=[parse(u, depth + 1) for u in unions])
    if not _THOUSANDS.fullmatch(s):
        parts = [p for p in split_top(s, ",;") if p.strip()]
        if len(parts) > 1:
            return Node("set", items=_expand_pm([parse(p, depth + 1) for p in parts]))
    op = _enclosed(s)
    if op in ("(", "[") and s[-1] in ")]":
        inner = split_top(s[1:-1], ",;")
        if len(inner) > 1:
            return Node("seq", items=[parse(p, depth + 1) for p in inner], open=s[0], close=s[-1])
    if op == "⦃" and s[-1] == "⦄":
        return Node("set", items=_expand_pm([parse(p, depth + 1) for p in split_top(s[1:-1], ",;") if p.strip()]))
    if s.count("±") == 1 and not _enclosed(s):
        return Node("set", items=_expand_pm([_leaf(s)]))
    rel = _relation(s, depth)
    if rel is not None:
        return rel
    return _leaf(s)


def _expand_pm(items: list[Node]) -> list[Node]:
    out = []
    for it in items:
        if it.kind in ("num", "expr", "text") and it.text.count("±") == 1:
            out += [_leaf(it.text.replace("±", "+")), _leaf(it.text.replace("±", "-"))]
        else:
            out.append(it)
    return out


def _relation(s: str, depth: int) -> Node | None:
    cut = list(_top_level(s, "".join(_REL)))  # the ``=`` in ``\\sum_{k=1}`` is not a relation
    if not cut:
        return None
    if len(cut) == 2:
        chain = _chain(s, cut, depth)
        if chain is not None:
            return chain
    if len(cut) != 1 or not all(p.strip() for p in (s[: cut[0][0]], s[cut[0][0] + 1 :])):
        return Node("text", text=s)
    i, op = cut[0]
    lhs, rhs = s[:i].strip(), s[i + 1 :].strip()
    if op == "=" and _NAME.fullmatch(lhs):
        return parse(rhs, depth + 1)
    if op == "=" and _NAME.fullmatch(rhs) and not _NAME.fullmatch(lhs):
        return parse(lhs, depth + 1)
    if op in _FLIP:
        lhs, rhs, op = rhs, lhs, _FLIP[op]
    return Node("rel", items=[parse(lhs, depth + 1), parse(rhs, depth + 1)], op=op)


def _chain(s: str, cut: list, depth: int) -> Node | None:
    """``2 ≤ x < 5`` (or ``5 > x ≥ 2``) as the interval ``[2, 5)``."""
    (i, o1), (j, o2) = cut
    lo, name, hi = s[:i].strip(), s[i + 1 : j].strip(), s[j + 1 :].strip()
    if not (lo and hi and _NAME.fullmatch(name)):
        return None
    if o1 in _FLIP and o2 in _FLIP:
        lo, hi, o1, o2 = hi, lo, _FLIP[o2], _FLIP[o1]
    if o1 not in "<≤" or o2 not in "<≤":
        return None
    items = [parse(lo, depth + 1), parse(hi, depth + 1)]
    return Node("seq", items=items, open="(" if o1 == "<" else "[", close=")" if o2 == "<" else "]")


def _as_interval(n: Node) -> Node | None:
    """A one-variable inequality ``x ≥ 2`` as the interval ``[2, ∞)`` (other nodes unchanged)."""
    if n.kind != "rel":
        return n
    if n.op not in ("<", "≤"):
        return None
    lhs, rhs = n.items
    strict = n.op == "<"
    if rhs.kind == "expr" and _NAME.fullmatch(rhs.text):
        top = Node("num", text="\\infty", value=math.inf)
        return Node("seq", items=[lhs, top], open="(" if strict else "[", close=")")
    if lhs.kind == "expr" and _NAME.fullmatch(lhs.text):
        bottom = Node("num", text="-\\infty", value=-math.inf)
        return Node("seq", items=[bottom, rhs], open="(", close=")" if strict else "]")
    return None


def _leaf(s: str) -> Node:
    s = s.strip()
    if s.startswith("\\pm"):
        s = "±" + s[3:]
    num = s
    num = _CURRENCY.sub("", num)
    num = re.sub(r"^\(?[A-J]\)\s+(?=\S)", "", num)  # "(D) 13": an option label before the value
    if _THOUSANDS.fullmatch(num):
        num = num.replace(",", "")
    bm = _BASE.fullmatch(num)
    if bm and 2 <= int(bm.group(2)) <= 36:
        try:
            return Node("num", text=num, value=Fraction(int(bm.group(1), int(bm.group(2)))))
        except ValueError:  # digit not valid in that base
            return Node("text", text=s)
    mm = _MIXED.fullmatch(num)
    if mm:
        sign, whole = mm.group(1), int(mm.group(2))
        a, b = (mm.group(3), mm.group(4)) if mm.group(3) else (mm.group(5), mm.group(6))
        if int(b) != 0 and int(a) < int(b):
            v = whole + Fraction(int(a), int(b))
            return Node("num", text=s, value=-v if sign else v)
    um = _UNIT.fullmatch(num)
    if um:
        num = um.group(1)
        num = num.replace(",", "") if _THOUSANDS.fullmatch(num) else num
    try:
        return Node("num", text=num, value=evaluate(num))
    except TooLarge:
        return Node("huge", text=num)
    except Unsupported as e:
        if "free variable" in str(e):
            for integers in (False, True):
                try:
                    evaluate(num, point=1, integers=integers)
                    return Node("expr", text=num, integer=integers)
                except NeedsInteger:
                    continue
                except (Unsupported, RecursionError, ArithmeticError, TypeError, ValueError):
                    break
    except (RecursionError, ArithmeticError, TypeError, ValueError):
        pass
    return Node("text", text=s)


def _text_key(s: str) -> str:
    return re.sub(r"[\s{}\\]|\\text|\\mathrm", "", s).lower()


def _decimals(text: str) -> int:
    m = _DECIMAL.fullmatch(text.strip())
    return len(m.group(1)) if m else 0


def _num_equal(a: Node, b: Node, scales=(1,)) -> bool:
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


def _expr_equal(a: Node, b: Node) -> bool | None:
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


def _unordered(xs: list[Node], ys: list[Node], scales) -> bool | None:
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
    if a.kind == "set" and len(a.items) == 1:
        return compare(a.items[0], b, scales)
    if b.kind == "set" and len(b.items) == 1:
        return compare(a, b.items[0], scales)
    if a.kind == "text" or b.kind == "text":
        if _text_key(a.text) == _text_key(b.text) and a.text:
            return True
        words = [n for n in (a, b) if n.kind == "text" and _WORDY.fullmatch(n.text)]
        return False if words and (len(words) == 2 or {a.kind, b.kind} & {"num", "set", "seq"}) else None
    if "huge" in (a.kind, b.kind) and "num" in (a.kind, b.kind):
        return False  # beyond 10^300 vs an evaluated finite number
    if a.kind == "num" and b.kind == "num":
        return _num_equal(a, b, scales)
    if a.kind in ("num", "expr") and b.kind in ("num", "expr"):
        return _expr_equal(a, b)
    if a.kind != b.kind:
        if "rel" in (a.kind, b.kind) and {a.kind, b.kind} & {"seq", "union"}:  # x ≥ 2 vs [2, \\infty)
            a, b = _as_interval(a), _as_interval(b)
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
        if same or a.op not in ("=", "≠"):
            return same
        return _all(compare(x, y) for x, y in zip(a.items, reversed(b.items)))
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
