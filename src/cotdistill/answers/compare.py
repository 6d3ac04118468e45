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
from .latex import clean

_OPEN = {"(": ")", "[": "]", "⦃": "⦄", "{": "}"}
_REL = ("≤", "≥", "≠", "<", ">", "=")
_FLIP = {">": "<", "≥": "≤"}
_THOUSANDS = re.compile(r"-?\d{1,3}(?:,\d{3})+(?:\.\d+)?")
_MIXED = re.compile(r"(-?)(\d+)\s*(?:\\frac\s*\{?\s*(\d+)\s*\}?\s*\{?\s*(\d+)\s*\}?|\s(\d+)\s*/\s*(\d+))")
_UNIT = re.compile(r"(-?(?:\d[\d,]*(?:\.\d+)?|\.\d+)(?:\s*/\s*\d+)?)\s*(?:[a-zA-Z]{2,}\.?|[a-zA-Z]{2,}(?:\s*\^\s*\{?\d\}?)?)(?:\s+[a-zA-Z]+\.?)*")
_BASE = re.compile(r"([0-9A-Fa-f]+)_\{?(\d+)\}?")  # 2516_8: a numeral in base 8
_PLAIN = re.compile(r"-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?")
_WORDY = re.compile(r"[A-Za-z][A-Za-z ]+")
# units written right after a number (12cm, 5kg); after a space any word is a unit (12 apples), but "2xy" is algebra
_UNIT_WORDS = re.compile(
    r"(?:[kcm]?m|[km]?g|mg|lbs?|oz|ft|in|inch(?:es)?|yds?|mi|miles?|hours?|hrs?|h|mins?|minutes?|s|secs?|seconds?"
    r"|days?|weeks?|months?|years?|yrs?|dollars?|cents?|mph|km/h|kph|[km]?l|ml|cm\^?\d?|m\^?\d?|sq|units?|pounds?"
    r"|feet|foot|meters?|metres?|liters?|litres?|grams?|degrees?|percent|people|times)(?![a-zA-Z])",
    re.I,
)
_CURRENCY = re.compile(r"^(?:rs\.?|inr|usd|us|eur|gbp|€|£|¥|₹)\s*", re.I)
_DECIMAL = re.compile(r"-?\d*\.(\d+)")
_MATRIX = re.compile(r"\\begin\{([pbBvV]?matrix|array)\}(?:\{[^{}]*\})?(.*?)\\end\{\1\}", re.S)
_CONNECTIVE = re.compile(r"\s(?:and|or)\s|\\text\s*and|\\quad\b", re.I)
_INT_POINTS = (1, 2, 3, 4, 5, 6)
_NAME = re.compile(r"[a-zA-Z](?:_\{?\w+\}?)?(?:\([a-zA-Z, ]*\))?|\\[a-zA-Z]+")
_CALL = re.compile(r"[a-zA-Z]\w*\([^()]*\)")  # f(2), P(A)
_PROSE = re.compile(r"[A-Za-z]+(?:[\s,.'-]+[A-Za-z]+)+")  # "New York", "A then B": words, not a product
_FUNC_WORDS = {"sin", "cos", "tan", "cot", "sec", "csc", "log", "ln", "exp", "max", "min", "gcd", "lcm", "mod"}
_REL_POINTS = (1, 2, 3, 4, 5)


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
    label: Node | None = None  # a labelled value ``x = 3``, ``\\frac{AB}{CD} = \\sqrt2``: a rel that reads as its value


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
    unions = _split_top_word(s, "\\cup")
    if len(unions) > 1:
        return Node("union", items=[parse(u, depth + 1) for u in unions])
    if not _THOUSANDS.fullmatch(s):
        parts = [p for p in split_top(s, ",;") if p.strip()]
        if len(parts) > 1:
            labelled = _labelled_solutions(s, parts, depth)
            if labelled is not None:
                return labelled
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
        cuts = [(i, c) for i, c in _top_level(text, "+-")] + [(len(text), "+")]
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
    return _enclosed(s) == "(" and len(split_top(s[1:-1], ",")) > 1 and all(
        _NAME.fullmatch(p.strip()) for p in split_top(s[1:-1], ",")
    )


def _label_value(label: str, value: Node, bare_name_only: bool = False) -> Node | None:
    """The value a relation ``label = value`` names: ``x = 3``, ``a_n = 2n+1``, and, with a constant
    value, one-term labels without digits or a call: ``\\frac{AB}{CD} = \\sqrt2``, ``f(2) = 7``."""
    if _NAME.fullmatch(label):
        return value
    if bare_name_only or value.kind not in ("num", "huge"):
        return None
    if len(list(_top_level(label, "+-"))) or not label:
        return None
    return value if (not re.search(r"\d", label) or _CALL.fullmatch(label)) else None


def _assignment(part: str) -> tuple[str, str] | None:
    cut = list(_top_level(part, "".join(_REL)))
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


def _scaled_name(n: Node) -> Fraction | None:
    """The factor c of ``c x`` (``x``, ``-y``, ``2x``, ``-3t``): a variable times a nonzero number."""
    m = re.fullmatch(r"(-)?\s*(\d+(?:\.\d+)?)?\s*\*?\s*([a-zA-Z](?:_\{?\w+\}?)?)", n.text) if n.kind == "expr" else None
    if not m or (m.group(2) and Fraction(m.group(2)) == 0):
        return None
    c = Fraction(m.group(2) or 1)
    return -c if m.group(1) else c


def _as_interval(n: Node) -> Node | None:
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


def _leaf(s: str) -> Node:
    s = s.strip()
    words = re.findall(r"[A-Za-z]+", s) if _PROSE.fullmatch(s) or re.fullmatch(r"[A-Za-z]{3,}", s) else []
    if any(len(w) > 1 + (len(words) == 1) and w.lower() not in _FUNC_WORDS for w in words):
        return Node("text", text=s)  # "man bites dog", "odd": words (in an order), not products m*a*n*...
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
    if um and (num[um.end(1) : um.end(1) + 1].isspace() or re.match(_UNIT_WORDS, num[um.end(1) :])):
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


def _relation_equal(a: Node, b: Node) -> bool | None:
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
        if _text_key(a.text) == _text_key(b.text) and a.text:
            return True
        words = [n for n in (a, b) if n.kind == "text" and _WORDY.fullmatch(n.text)]
        return False if words and (len(words) == 2 or {a.kind, b.kind} & {"num", "expr", "set", "seq"}) else None
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
        if not same and a.op in ("=", "≠"):
            same = _all(compare(x, y) for x, y in zip(a.items, reversed(b.items)))
        if same:
            return True
        scaled = _relation_equal(a, b)
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
