"""``parse``: a cleaned answer string as a structure of ``Node``s: sets and bare lists (unordered), tuples
and intervals (ordered, brackets matter), unions, matrices (numeric matrix arithmetic evaluated),
relations (chains as intervals, labelled values and solutions), and scalars (``scalars.leaf``)."""

from __future__ import annotations

import re
from fractions import Fraction

from .arithmetic import evaluate
from .arithmetic_values import Unsupported
from .nodes import Node, enclosed, split_top, split_top_word, top_level
from .scalars import THOUSANDS, leaf

_REL = ("≤", "≥", "≠", "<", ">", "=")
_FLIP = {">": "<", "≥": "≤"}
_MATRIX = re.compile(r"\\begin\{([pbBvV]?matrix|array)\}(?:\{[^{}]*\})?(.*?)\\end\{\1\}", re.S)
_CONNECTIVE = re.compile(r"\s(?:and|or)\s|\\text\s*and|\\quad\b", re.I)
_NAME = re.compile(r"[a-zA-Z](?:_\{?\w+\}?)?(?:\([a-zA-Z, ]*\))?|\\[a-zA-Z]+")
_CALL = re.compile(r"[a-zA-Z]\w*\([^()]*\)")  # f(2), P(A)


def parse(s: str, depth: int = 0) -> Node:
    """Structure of a cleaned answer string."""
    s = re.sub(r"^[\s,;]+|^\.(?!\d)|[\s,;.]+$", "", s)  # keep the dot of ".25"
    if depth > 20:
        raise Unsupported("too deeply nested")
    s = re.sub(r"^[(\[]\s*(\\begin\{.*\\end\{\w+\})\s*[)\]]$", r"\1", s, flags=re.S)
    m = _MATRIX.fullmatch(s)
    if m and "\\begin{" not in m.group(2):  # one matrix, not "A + B" read as one
        return _matrix_node(m, depth)
    if _MATRIX.search(s):
        arith = _matrix_arithmetic(s, depth)
        if arith is not None:
            return arith
    s = re.sub(r"^[a-zA-Z]\s*\\in\s*", "", s)
    if s == "\\emptyset":
        return Node("set")
    s = _CONNECTIVE.sub(",", s)
    unions = split_top_word(s, "\\cup")
    if len(unions) > 1:
        return Node("union", items=[parse(u, depth + 1) for u in unions])
    if not THOUSANDS.fullmatch(s):
        parts = [p for p in split_top(s, ",;") if p.strip()]
        if len(parts) > 1:
            labelled = _labelled_solutions(s, parts, depth)
            if labelled is not None:
                return labelled
            return Node("set", items=_expand_pm([parse(p, depth + 1) for p in parts]))
    op = enclosed(s)
    if op in ("(", "[") and s[-1] in ")]":
        inner = split_top(s[1:-1], ",;")
        if len(inner) > 1:
            return Node("seq", items=[parse(p, depth + 1) for p in inner], open=s[0], close=s[-1])
    if op == "⦃" and s[-1] == "⦄":
        return Node("set", items=_expand_pm([parse(p, depth + 1) for p in split_top(s[1:-1], ",;") if p.strip()]))
    if s.count("±") == 1 and not enclosed(s):
        return Node("set", items=_expand_pm([leaf(s)]))
    rel = _relation(s, depth)
    if rel is not None:
        return rel
    return leaf(s)


def _matrix_node(m: re.Match, depth: int) -> Node:
    rows = [r for r in m.group(2).split("⏎") if r.strip()]
    return Node("matrix", items=[[parse(c, depth + 1) for c in r.split("&")] for r in rows])


def _matrix_arithmetic(s: str, depth: int) -> Node | None:
    """``A + B``, ``A - B``, ``2A``, ``\\frac12 A``, ``A B``, ``A \\cdot B``, ``A^2`` of numeric matrices, evaluated
    to one matrix node (None when ``s`` is anything else)."""
    mats: list[list[list]] = []

    def hold(m: re.Match) -> str:
        node = _matrix_node(m, depth)
        if any(c.kind != "num" for r in node.items for c in r) or len({len(r) for r in node.items}) != 1:
            raise Unsupported("matrix entries")
        mats.append([[c.value for c in r] for r in node.items])
        return f" ⟦{len(mats) - 1}⟧ "

    try:
        text = _MATRIX.sub(hold, s)
        terms, start, sign = [], 0, 1
        cuts = [(i, c) for i, c in top_level(text, "+-")] + [(len(text), "+")]
        total = None
        for i, c in cuts:
            chunk = text[start:i].strip()
            start = i + 1
            if not chunk:
                if i < len(text):
                    sign = -sign if c == "-" else sign
                continue
            terms.append((sign, chunk))
            sign = -1 if c == "-" else 1
        for sgn, chunk in terms:
            value = _matrix_product(chunk, mats)
            value = _scale(value, sgn)
            total = value if total is None else _add(total, value)
    except (Unsupported, ArithmeticError, TypeError, ValueError, IndexError):
        return None
    if not isinstance(total, list):
        return None
    return Node("matrix", items=[[Node("num", text=str(v), value=v) for v in r] for r in total])


def _matrix_product(chunk: str, mats: list) -> object:
    acc: object = Fraction(1)
    for piece in re.split(r"(⟦\d+⟧(?:\s*\^\s*\{?\s*\d\s*\}?)?)", chunk):
        piece = piece.strip().strip("*").strip()
        if not piece:
            continue
        m = re.fullmatch(r"⟦(\d+)⟧(?:\s*\^\s*\{?\s*(\d)\s*\}?)?", piece)
        if not m:
            acc = _mul(acc, evaluate(piece))
            continue
        for _ in range(int(m.group(2) or 1)):  # A^2: a small power is repeated products
            acc = _mul(acc, mats[int(m.group(1))])
    return acc


def _scale(m, k):
    return [[k * v for v in r] for r in m] if isinstance(m, list) else k * m


def _add(a, b):
    if not (isinstance(a, list) and isinstance(b, list)) or [len(r) for r in a] != [len(r) for r in b]:
        raise Unsupported("matrix sum of different shapes")
    return [[x + y for x, y in zip(ra, rb)] for ra, rb in zip(a, b)]


def _mul(a, b):
    if not isinstance(a, list) or not isinstance(b, list):
        return _scale(b, a) if not isinstance(a, list) else _scale(a, b)
    if len(a[0]) != len(b):
        raise Unsupported("matrix product of mismatched shapes")
    return [[sum((a[i][k] * b[k][j] for k in range(len(b))), Fraction(0)) for j in range(len(b[0]))] for i in range(len(a))]


def _expand_pm(items: list[Node]) -> list[Node]:
    out = []
    for it in items:
        if it.kind in ("num", "expr", "text") and it.text.count("±") == 1:
            out += [leaf(it.text.replace("±", "+")), leaf(it.text.replace("±", "-"))]
        else:
            out.append(it)
    return out



def _relation(s: str, depth: int) -> Node | None:
    cut = list(top_level(s, "".join(_REL)))  # the ``=`` in ``\\sum_{k=1}`` is not a relation
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
    if op == "=" and _names(lhs):  # (x, y) = (1, 2)
        return parse(rhs, depth + 1)
    if op in _FLIP:
        lhs, rhs, op = rhs, lhs, _FLIP[op]
    node = Node("rel", items=[parse(lhs, depth + 1), parse(rhs, depth + 1)], op=op)
    if op == "=":
        node.label = _label_value(lhs, node.items[1]) or _label_value(rhs, node.items[0], bare_name_only=True)
    return node


def _names(s: str) -> bool:
    """``(x, y)``: a tuple of names (what a labelled tuple of values is assigned to)."""
    return enclosed(s) == "(" and len(split_top(s[1:-1], ",")) > 1 and all(
        _NAME.fullmatch(p.strip()) for p in split_top(s[1:-1], ",")
    )


def _label_value(label: str, value: Node, bare_name_only: bool = False) -> Node | None:
    """The value a relation ``label = value`` names: ``x = 3``, ``a_n = 2n+1``, and, with a constant
    value, one-term labels without digits or a call: ``\\frac{AB}{CD} = \\sqrt2``, ``f(2) = 7``."""
    if _NAME.fullmatch(label):
        return value
    if bare_name_only or value.kind not in ("num", "huge"):
        return None
    if len(list(top_level(label, "+-"))) or not label:
        return None
    return value if (not re.search(r"\d", label) or _CALL.fullmatch(label)) else None


def _assignment(part: str) -> tuple[str, str] | None:
    cut = list(top_level(part, "".join(_REL)))
    if len(cut) == 1 and cut[0][1] == "=":
        name, value = part[: cut[0][0]].strip(), part[cut[0][0] + 1 :].strip()
        if _NAME.fullmatch(name) and value:
            return name, value
    return None


def _base(name: str) -> str:
    return re.sub(r"_\{?\w+\}?$", "", name)


def _labelled_solutions(s: str, parts: list[str], depth: int) -> Node | None:
    """``x=-3, y=2`` -> the tuple (-3, 2) (names in order); ``a=1,b=2; a=3,b=4`` -> a set of tuples;
    ``x_1=1, x_2=2`` or ``x=1, x=2`` (one name) stay a set of values (None here)."""
    pairs = [_assignment(p) for p in parts]
    if any(p is None for p in pairs) or len({_base(n) for n, _ in pairs}) == 1:
        return None
    groups = [g for g in (split_top(x, ",") for x in split_top(s, ";")) if any(p.strip() for p in g)]
    if len(groups) == 1:  # commas only: a new group starts where the first name comes again
        first, groups, cur = pairs[0][0], [], []
        for part, (name, _) in zip(parts, pairs):
            if name == first and cur:
                groups.append(cur)
                cur = []
            cur.append(part)
        groups.append(cur)
    tuples = []
    for g in groups:
        named = [_assignment(p) for p in g if p.strip()]
        if any(x is None for x in named) or len({n for n, _ in named}) != len(named):
            return None
        named.sort(key=lambda x: x[0])
        items = [parse(v, depth + 1) for _, v in named]
        tuples.append(Node("seq", items=items, open="(", close=")") if len(items) > 1 else items[0])
    return tuples[0] if len(tuples) == 1 else Node("set", items=tuples)


def _chain(s: str, cut: list, depth: int) -> Node | None:
    """``2 ≤ x < 5`` (or ``5 > x ≥ 2``) as the interval ``[2, 5)``."""
    (i, o1), (j, o2) = cut
    lo, name, hi = s[:i].strip(), s[i + 1 : j].strip(), s[j + 1 :].strip()
    neg = re.fullmatch(r"-\s*(.+)", name)
    if neg and _NAME.fullmatch(neg.group(1)) and lo and hi:  # -3 < -x < 2  <=>  -2 < x < 3
        lo, name, hi, o1, o2 = f"-({hi})", neg.group(1), f"-({lo})", o2, o1
    if not (lo and hi and _NAME.fullmatch(name)):
        return None
    if o1 in _FLIP and o2 in _FLIP:
        lo, hi, o1, o2 = hi, lo, _FLIP[o2], _FLIP[o1]
    if o1 not in "<≤" or o2 not in "<≤":
        return None
    items = [parse(lo, depth + 1), parse(hi, depth + 1)]
    return Node("seq", items=items, open="(" if o1 == "<" else "[", close=")" if o2 == "<" else "]")
