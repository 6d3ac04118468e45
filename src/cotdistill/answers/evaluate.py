"""A small, bounded evaluator for the arithmetic subset of LaTeX answers.

Numbers stay exact (``Fraction``) while they can; radicals, pi and functions fall back to floats
or complex numbers. Free variables are substituted with fixed sample points so that two algebraic
expressions can be compared numerically. Anything outside the subset raises ``Unsupported``;
nothing here can loop or allocate without bound (exponents and factorials are capped).
"""

from __future__ import annotations

import cmath
import math
import re
from fractions import Fraction

Value = Fraction | float | complex


class Unsupported(ValueError):
    """The expression is outside what this evaluator understands."""


class TooLarge(Unsupported):
    """The value's magnitude is beyond 10^300 (a power tower): not any ordinary finite answer."""


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
    def __init__(self, s: str, env: dict[str, Value] | None):
        self.toks = tokenize(s)
        self.i = 0
        self.env = env

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
            self.i += 1
            self.toks.insert(self.i, ("num", t[1][1:]))
            return Fraction(t[1][0])
        return self.postfix()

    def postfix(self) -> Value:
        v = self.atom()
        while self.accept("!"):
            if not (_exact(v) and v.denominator == 1 and 0 <= v <= 300):
                raise Unsupported("factorial argument")
            v = Fraction(math.factorial(int(v)))
        return v

    def _starts_atom(self, t) -> bool:
        kind, tok = t
        if kind in ("num", "letter"):
            return True
        if kind == "cmd":
            return tok[1:] in ("frac", "sqrt", "pi", "infty", "binom") or tok[1:] in _FUNCS or tok[1:] in _GREEK
        return tok in ("(", "{", "[")

    def arg(self) -> Value:
        """A LaTeX macro argument: ``{...}`` or a single character/token."""
        if self.accept("{"):
            v = self.expr()
            self.expect("}")
            return v
        t = self.take()
        if t[0] == "num" and len(t[1]) > 1:  # \frac83
            self.toks.insert(self.i, ("num", t[1][1:]))
            return Fraction(t[1][0])
        self.i -= 1
        return self.atom()

    def atom(self) -> Value:
        kind, tok = self.take()
        if kind == "num":
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
                if not (_exact(a) and _exact(b) and a.denominator == b.denominator == 1 and 0 <= a <= 10_000):
                    raise Unsupported("binom arguments")
                return Fraction(math.comb(int(a), int(b)) if b >= 0 else 0)
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
        t = self.peek()
        if t and t[1] in ("(", "{", "["):
            return self.atom()
        return self.power()

    def variable(self, name: str) -> Value:
        if self.accept("_"):
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
            name = f"{name}_{tok}"
        if self.env is None:
            raise Unsupported(f"free variable {name}")
        if name not in self.env:
            self.env[name] = _sample(name, self.env.get("__point__", 0))
        return self.env[name]


def _sample(name: str, point) -> float:
    h = sum((i + 1) * ord(c) for i, c in enumerate(name))
    return 0.53 + ((h * 7919 + int(point) * 104729) % 1000) / 757.0


def evaluate(s: str, point: int | None = None) -> Value:
    """Value of ``s``; with ``point`` set, free variables take that sample point's values."""
    env = None if point is None else {"__point__": point}
    return _Parser(s, env).parse()


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
