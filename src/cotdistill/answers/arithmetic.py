"""A small, bounded evaluator for the arithmetic subset of LaTeX answers.

Numbers stay exact (``Fraction``) while they can; radicals, pi, e and functions fall back to
floats or complex numbers. Free variables are substituted with fixed sample points so that two
algebraic expressions can be compared numerically; where an expression needs integers (a sum's
bound, ``n!``, ``\\binom{n}{k}``, an index ``F_{n-k}``) the caller re-evaluates with integer
sample points. Sums and products with finite bounds, floor/ceil, max/min/gcd/lcm and repeating
decimals are evaluated here. Anything outside the subset raises ``Unsupported``; nothing here can
loop or allocate without bound (exponents, factorials and series are capped).
"""

from __future__ import annotations

import cmath
import math
import re
import zlib
from fractions import Fraction

Value = Fraction | float | complex


class Unsupported(ValueError):
    """The expression is outside what this evaluator understands."""


class TooLarge(Unsupported):
    """The value's magnitude is beyond 10^300 (a power tower): not any ordinary finite answer."""


class NeedsInteger(Unsupported):
    """A free variable is used where only an integer makes sense: evaluate with ``integers=True``."""


_TOKEN = re.compile(
    r"\s*(?:(?P<num>\d+\.\d*|\.\d+|\d+)|(?P<cmd>\\[a-zA-Z]+)|(?P<letter>[a-zA-Z])|(?P<sym>\S))"
)
_FUNCS = {
    "sin": cmath.sin, "cos": cmath.cos, "tan": cmath.tan, "cot": lambda z: 1 / cmath.tan(z),
    "sec": lambda z: 1 / cmath.cos(z), "csc": lambda z: 1 / cmath.sin(z),
    "arcsin": cmath.asin, "arccos": cmath.acos, "arctan": cmath.atan,
    "sinh": cmath.sinh, "cosh": cmath.cosh, "tanh": cmath.tanh,
    "ln": cmath.log, "log": cmath.log, "exp": cmath.exp,
}
_GREEK = {
    "alpha", "beta", "gamma", "delta", "epsilon", "varepsilon", "zeta", "eta", "theta", "vartheta",
    "iota", "kappa", "lambda", "mu", "nu", "xi", "rho", "sigma", "tau", "upsilon", "phi", "varphi",
    "chi", "psi", "omega", "Gamma", "Delta", "Theta", "Lambda", "Xi", "Sigma", "Phi", "Psi", "Omega",
}
MAX_EXACT_BITS = 4096
MAX_TOKENS = 400
MAX_SERIES_WORK = 30_000  # tokens parsed across all terms of all sums/products in one evaluation
_SERIES = {"sum": True, "prod": False}
_MULTI = {"max", "min", "gcd", "lcm"}
_CLOSE = {"(": ")", "[": "]", "{": "}", "⦃": "⦄"}


def tokenize(s: str) -> list[tuple[str, str]]:
    out = []
    pos = 0
    n = len(s)
    while pos < n:
        m = _TOKEN.match(s, pos)
        if not m:
            break
        pos = m.end()
        kind = m.lastgroup
        out.append((kind, m.group(kind)))
        if len(out) > MAX_TOKENS:
            raise Unsupported("expression too long")
    return out


def free_variables(s: str) -> set[str]:
    """Single-letter and Greek variable names in ``s`` (subscripts folded into the name)."""
    names = set()
    for kind, tok in tokenize(s):
        if kind == "letter":
            names.add(tok)
        elif kind == "cmd" and tok[1:] in _GREEK:
            names.add(tok[1:])
    return names


def _exact(v: Value) -> bool:
    return isinstance(v, Fraction)


def _to_complex(v: Value) -> complex:
    return complex(v)


def _simplify(v) -> Value:
    if isinstance(v, complex) and abs(v.imag) <= 1e-12 * max(1.0, abs(v.real)):
        return v.real
    return v


def _pow(a: Value, b: Value) -> Value:
    if _exact(a) and _exact(b):
        if b.denominator == 1:
            e = b.numerator
            bits = max(a.numerator.bit_length(), a.denominator.bit_length(), 1)
            if abs(e) * bits > MAX_EXACT_BITS:
                if abs(a) > 1 and e > 0:
                    raise TooLarge("exponent too large")
                raise Unsupported("exponent too large")
            if a == 0 and e < 0:
                raise Unsupported("division by zero")
            return a**e
        if a >= 0:  # exact roots of perfect powers: 4^{1/2}, 8^{2/3}
            q = b.denominator
            if q <= 64:
                rn, rd = _iroot(a.numerator, q), _iroot(a.denominator, q)
                if rn is not None and rd is not None:
                    return _pow(Fraction(rn, rd), Fraction(b.numerator))
    try:
        la = abs(complex(a))
        if la > 0 and abs(complex(b)) * abs(math.log10(la)) > 300:
            big = la > 1 and complex(b).real > 0
            raise (TooLarge if big else Unsupported)("power overflows")
        r = _to_complex(a) ** _to_complex(b) if (not _exact(a) or a < 0 or isinstance(b, complex)) else float(a) ** float(b)
    except (OverflowError, ZeroDivisionError, ValueError) as e:
        raise Unsupported(str(e)) from None
    return _simplify(r)


def _iroot(n: int, q: int) -> int | None:
    if n < 0:
        return None
    if n.bit_length() > MAX_EXACT_BITS:
        raise Unsupported("number too large")
    r = round(n ** (1.0 / q)) if n < 2**1000 else int(math.isqrt(n)) if q == 2 else None
    if r is None:
        return None
    for c in (r - 1, r, r + 1):
        if c >= 0 and c**q == n:
            return c
    return None


class _Parser:
    def __init__(self, s: str, env: dict[str, Value] | None, integers: bool = False):
        self.toks = tokenize(s)
        self.i = 0
        self.env = env
        self.integers = integers
        self.bound: dict[str, Value] = {}  # summation indices in scope
        self.work = MAX_SERIES_WORK

    # token helpers
    def peek(self) -> tuple[str, str] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self) -> tuple[str, str]:
        t = self.peek()
        if t is None:
            raise Unsupported("unexpected end")
        self.i += 1
        return t

    def accept(self, sym: str) -> bool:
        t = self.peek()
        if t is not None and t[1] == sym and t[0] in ("sym", "cmd"):
            self.i += 1
            return True
        return False

    def expect(self, sym: str) -> None:
        if not self.accept(sym):
            raise Unsupported(f"expected {sym!r}")

    # grammar
    def parse(self) -> Value:
        v = self.expr()
        if self.peek() is not None:
            raise Unsupported(f"trailing {self.peek()[1]!r}")
        return v

    def expr(self) -> Value:
        v = self.term()
        while True:
            if self.accept("+"):
                v = v + self.term()
            elif self.accept("-"):
                v = v - self.term()
            else:
                return _simplify(v)

    def term(self) -> Value:
        v = self.unary()
        while True:
            t = self.peek()
            if t is None:
                return v
            if t[1] == "*" and t[0] == "sym":
                self.i += 1
                v = v * self.unary()
            elif t[1] == "/" and t[0] == "sym":
                self.i += 1
                d = self.unary()
                if d == 0:
                    raise Unsupported("division by zero")
                v = v / d
            elif self._starts_atom(t):
                v = v * self.power()
            else:
                return v

    def unary(self) -> Value:
        if self.accept("-"):
            return -self.unary()
        if self.accept("+"):
            return self.unary()
        return self.power()

    def power(self) -> Value:
        base = self.postfix()
        if self.accept("^"):
            return _pow(base, self.exponent())
        return base

    def exponent(self) -> Value:
        if self.accept("-"):
            return -self.exponent()
        t = self.peek()
        if t and t[0] == "num" and len(t[1]) > 1 and "." not in t[1]:  # x^23 means x^2 3 in LaTeX
            self._split_digit()
            self.i += 1
            return Fraction(t[1][0])
        return self.postfix()

    def postfix(self) -> Value:
        v = self.atom()
        while self.accept("!"):
            v = Fraction(math.factorial(_nonneg_int(v, 300, "factorial argument")))
        return v

    def _starts_atom(self, t) -> bool:
        kind, tok = t
        if kind in ("num", "letter"):
            return True
        if kind == "cmd":
            name = tok[1:]
            return name in _ATOM_CMDS or name in _FUNCS or name in _GREEK or name in _SERIES or name in _MULTI
        return tok in ("(", "{", "[")

    def arg(self) -> Value:
        """A LaTeX macro argument: ``{...}`` or a single character/token."""
        if self.accept("{"):
            v = self.expr()
            self.expect("}")
            return v
        t = self.peek()
        if t and t[0] == "num" and len(t[1]) > 1 and "." not in t[1]:  # \frac83
            self._split_digit()
            self.i += 1
            return Fraction(t[1][0])
        return self.atom()

    def _split_digit(self) -> None:
        """``23`` -> ``2`` ``3`` in place, so that parsing the same tokens again reads the same."""
        tok = self.toks[self.i][1]
        self.toks[self.i : self.i + 1] = [("num", tok[0]), ("num", tok[1:])]

    def atom(self) -> Value:
        kind, tok = self.take()
        if kind == "num":
            if "." in tok and self.accept("\\overline"):
                return self.repeating(tok)
            return Fraction(tok)
        if kind == "letter":
            return self.variable(tok)
        if kind == "cmd":
            name = tok[1:]
            if name == "frac":
                a = self.arg()
                b = self.arg()
                if b == 0:
                    raise Unsupported("division by zero")
                return a / b
            if name == "binom":
                a, b = self.arg(), self.arg()
                n, k = _nonneg_int(a, 10_000, "binom arguments"), _int(b, "binom arguments")
                return Fraction(math.comb(n, k) if k >= 0 else 0)
            if name in _SERIES:
                return self.series(_SERIES[name])
            if name in ("lfloor", "lceil"):
                v = self.expr()
                self.expect("\\rfloor" if name == "lfloor" else "\\rceil")
                return _round(v, math.floor if name == "lfloor" else math.ceil)
            if name in _MULTI:
                return self.multi(name)
            if name == "sqrt":
                if self.accept("["):
                    k = self.expr()
                    self.expect("]")
                else:
                    k = Fraction(2)
                if k == 0:
                    raise Unsupported("zeroth root")
                return _pow(self.arg(), 1 / k if _exact(k) else 1 / complex(k))
            if name == "pi":
                return math.pi
            if name == "infty":
                return math.inf
            if name in _GREEK:
                return self.variable(name)
            if name in _FUNCS:
                power = None
                if self.accept("^"):
                    power = self.exponent()
                if name == "log" and self.accept("_"):
                    base = self.arg()
                    x = self.func_arg()
                    v = cmath.log(_to_complex(x)) / cmath.log(_to_complex(base))
                else:
                    x = self.func_arg()
                    try:
                        v = _FUNCS[name](_to_complex(x))
                    except (ValueError, ZeroDivisionError, OverflowError) as e:
                        raise Unsupported(str(e)) from None
                v = _simplify(v)
                return _pow(v, power) if power is not None else v
            raise Unsupported(f"command {tok}")
        if tok in ("(", "[", "{"):
            close = {"(": ")", "[": "]", "{": "}"}[tok]
            v = self.expr()
            self.expect(close)
            return v
        if tok == "|":
            v = self.expr()
            self.expect("|")
            return abs(v) if not _exact(v) else (v if v >= 0 else -v)
        raise Unsupported(f"token {tok!r}")

    def func_arg(self) -> Value:
        """``\\sin(x)``, ``\\sin x``; without brackets ``\\cos 2x`` is cos(2x) (up to the next function)."""
        t = self.peek()
        if t and t[1] in ("(", "{", "["):
            return self.atom()
        v = self.power()
        while (t := self.peek()) is not None and (
            t[0] in ("num", "letter") or (t[0] == "cmd" and (t[1][1:] in _GREEK or t[1][1:] in _ATOM_CMDS))
        ):
            v = v * self.power()
        return v

    def repeating(self, head: str) -> Value:
        """``0.1\\overline{6}`` = 1/6: ``head`` is the number before ``\\overline``."""
        self.expect("{")
        digits = ""
        while not self.accept("}"):
            kind, tok = self.take()
            if kind != "num" or "." in tok:
                raise Unsupported("repeating decimal")
            digits += tok
        whole, _, fixed = head.partition(".")
        if not digits:
            raise Unsupported("repeating decimal")
        base = Fraction(int(whole or "0")) + (Fraction(int(fixed), 10 ** len(fixed)) if fixed else 0)
        return base + Fraction(int(digits), (10 ** len(digits) - 1) * 10 ** len(fixed))

    def series(self, is_sum: bool) -> Value:
        """``\\sum_{k=a}^{b} body`` / ``\\prod``: the body is one term (no top-level + or -)."""
        self.accept("\\limits")
        var = lo = hi = None
        for _ in range(2):
            if var is None and self.accept("_"):
                self.expect("{")
                kind, var = self.take()
                if kind == "cmd" and var[1:] in _GREEK:
                    var = var[1:]
                elif kind != "letter":
                    raise Unsupported("summation index")
                self.expect("=")
                lo = self.expr()
                self.expect("}")
            elif hi is None and self.accept("^"):
                hi = self.arg()
        if var is None or hi is None:
            raise Unsupported("sum without both bounds")
        lo, hi = _int(lo, "summation bound"), _int(hi, "summation bound")
        start, outer = self.i, self.bound.get(var)
        acc: Value = Fraction(0 if is_sum else 1)
        try:
            for k in range(lo, max(hi, lo) + 1):  # an empty range still parses its body once
                self.i = start
                self.bound[var] = Fraction(k)
                v = self.term()
                self.work -= self.i - start
                if self.work < 0:
                    raise Unsupported("series too long")
                if k <= hi:
                    acc = acc + v if is_sum else acc * v
                    if _exact(acc) and max(acc.numerator.bit_length(), acc.denominator.bit_length()) > MAX_EXACT_BITS:
                        if abs(acc) > 10**300:
                            raise TooLarge("series value too large")
                        acc = float(acc)  # 1 + 1/2 + ... + 1/k: exact digits run away, the value does not
        finally:
            if outer is None:
                self.bound.pop(var, None)
            else:
                self.bound[var] = outer
        return _simplify(acc)

    def multi(self, name: str) -> Value:
        """``\\max(a, b, ...)``, ``\\min``, ``\\gcd``, ``\\lcm`` (brackets of any kind)."""
        kind, tok = self.take()
        if tok not in _CLOSE:
            raise Unsupported(f"{name} without brackets")
        args = [self.expr()]
        while self.accept(","):
            args.append(self.expr())
        self.expect(_CLOSE[tok])
        if name in ("max", "min"):
            real = [_real(a) for a in args]
            return (max if name == "max" else min)(real)
        ints = [_int(a, f"{name} arguments") for a in args]
        return Fraction(math.gcd(*ints) if name == "gcd" else math.lcm(*ints))

    def subscript(self) -> str:
        """The name suffix after ``_``: the raw text, or ``[k]`` for an integer index (in a sum or in
        integer mode), so that ``F_{n-k}`` at n=5, k=2 and ``F_3`` are the same variable."""
        if self.bound or self.integers:
            start = self.i
            try:
                v = self.arg()
                if _exact(v) and v.denominator == 1:
                    return f"[{v.numerator}]"
                if self.bound:
                    raise NeedsInteger("index is not an integer")
            except NeedsInteger:
                raise
            except Unsupported:
                pass
            self.i = start
        kind, tok = self.take()
        if tok == "{":
            depth = 1
            parts = []
            while depth:
                k, t = self.take()
                depth += t == "{"
                depth -= t == "}"
                parts.append(t)
            tok = "".join(parts[:-1])
        return tok

    def variable(self, name: str) -> Value:
        if self.accept("_"):
            name = f"{name}_{self.subscript()}"
        if name in self.bound:
            return self.bound[name]
        if name == "e":
            return math.e
        if self.env is None:
            raise Unsupported(f"free variable {name}")
        if name not in self.env:
            point = self.env.get("__point__", 0)
            plain = self.integers and "_" not in name
            self.env[name] = _sample_int(name, point) if plain else _sample(name, point)
        return self.env[name]


_ATOM_CMDS = {"frac", "sqrt", "pi", "infty", "binom", "lfloor", "lceil"}


def _real(v: Value) -> Fraction | float:
    if isinstance(v, complex):
        raise Unsupported("complex value where a real is needed")
    return v


def _int(v: Value, what: str) -> int:
    """``v`` as an int; ``NeedsInteger`` when it is a float (a free variable's sample value)."""
    if _exact(v):
        if v.denominator != 1:
            raise Unsupported(what)
        return v.numerator
    if isinstance(v, float) and math.isfinite(v):
        raise NeedsInteger(what)
    raise Unsupported(what)


def _nonneg_int(v: Value, limit: int, what: str) -> int:
    n = _int(v, what)
    if not 0 <= n <= limit:
        raise Unsupported(what)
    return n


def _round(v: Value, fn) -> Fraction:
    """floor/ceil, treating a float within 1e-9 of an integer as that integer."""
    if _exact(v):
        return Fraction(fn(v))
    x = _real(v)
    if not math.isfinite(x):
        raise Unsupported("floor of infinity")
    r = round(x)
    return Fraction(r if abs(x - r) <= 1e-9 * max(1.0, abs(x)) else fn(x))


def _sample(name: str, point) -> float:
    h = sum((i + 1) * ord(c) for i, c in enumerate(name))
    if "[" in name:  # indexed terms F_[3], F_[13]: a better-mixed hash
        h = zlib.crc32(name.encode())
    return 0.53 + ((h * 7919 + int(point) * 104729) % 1000) / 757.0


def _sample_int(name: str, point) -> Fraction:
    return Fraction(3 + zlib.crc32(f"{name}:{point}".encode()) % 37)


def evaluate(s: str, point: int | None = None, integers: bool = False) -> Value:
    """Value of ``s``; with ``point`` set, free variables take that sample point's values
    (integers in 3..39 for plain names when ``integers``)."""
    env = None if point is None else {"__point__": point}
    return _Parser(s, env, integers).parse()


def close(a: Value, b: Value, rel: float = 1e-9) -> bool:
    """Exact equality for two exact numbers, else relative closeness (infinities by sign)."""
    if _exact(a) and _exact(b):
        return a == b
    a, b = complex(a), complex(b)
    if any(math.isinf(x) for x in (a.real, a.imag, b.real, b.imag)):
        return a == b
    if any(math.isnan(x) for x in (a.real, a.imag, b.real, b.imag)):
        return False
    return abs(a - b) <= rel * max(abs(a), abs(b), 1e-12) or abs(a - b) < 1e-12
