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
from fractions import Fraction

from .arithmetic_tokens import ATOM_CMDS, CLOSE, FUNCS, GREEK, MULTI, SERIES, tokenize
from .arithmetic_values import (
    MAX_EXACT_BITS, NeedsInteger, TooLarge, Unsupported, Value, as_int, as_real, exact, nonneg_int, pow_value,
    round_with, sample, sample_int, simplify,
)

MAX_SERIES_WORK = 30_000  # tokens parsed across all terms of all sums/products in one evaluation


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
                return simplify(v)

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
            return pow_value(base, self.exponent())
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
            v = Fraction(math.factorial(nonneg_int(v, 300, "factorial argument")))
        return v

    def _starts_atom(self, t) -> bool:
        kind, tok = t
        if kind in ("num", "letter"):
            return True
        if kind == "cmd":
            name = tok[1:]
            return name in ATOM_CMDS or name in FUNCS or name in GREEK or name in SERIES or name in MULTI
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
                n, k = nonneg_int(a, 10_000, "binom arguments"), as_int(b, "binom arguments")
                return Fraction(math.comb(n, k) if k >= 0 else 0)
            if name in SERIES:
                return self.series(SERIES[name])
            if name in ("lfloor", "lceil"):
                v = self.expr()
                self.expect("\\rfloor" if name == "lfloor" else "\\rceil")
                return round_with(v, math.floor if name == "lfloor" else math.ceil)
            if name in MULTI:
                return self.multi(name)
            if name == "sqrt":
                if self.accept("["):
                    k = self.expr()
                    self.expect("]")
                else:
                    k = Fraction(2)
                if k == 0:
                    raise Unsupported("zeroth root")
                return pow_value(self.arg(), 1 / k if exact(k) else 1 / complex(k))
            if name == "pi":
                return math.pi
            if name == "infty":
                return math.inf
            if name in GREEK:
                return self.variable(name)
            if name in FUNCS:
                power = None
                if self.accept("^"):
                    power = self.exponent()
                if name == "log" and self.accept("_"):
                    base = self.arg()
                    x = self.func_arg()
                    v = cmath.log(complex(x)) / cmath.log(complex(base))
                else:
                    x = self.func_arg()
                    try:
                        v = FUNCS[name](complex(x))
                    except (ValueError, ZeroDivisionError, OverflowError) as e:
                        raise Unsupported(str(e)) from None
                v = simplify(v)
                return pow_value(v, power) if power is not None else v
            raise Unsupported(f"command {tok}")
        if tok in ("(", "[", "{"):
            close = CLOSE[tok]
            v = self.expr()
            self.expect(close)
            return v
        if tok == "|":
            v = self.expr()
            self.expect("|")
            return abs(v) if not exact(v) else (v if v >= 0 else -v)
        raise Unsupported(f"token {tok!r}")

    def func_arg(self) -> Value:
        """``\\sin(x)``, ``\\sin x``; without brackets ``\\cos 2x`` is cos(2x) (up to the next function)."""
        t = self.peek()
        if t and t[1] in ("(", "{", "["):
            return self.atom()
        v = self.power()
        while (t := self.peek()) is not None and (
            t[0] in ("num", "letter") or (t[0] == "cmd" and (t[1][1:] in GREEK or t[1][1:] in ATOM_CMDS))
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
                if kind == "cmd" and var[1:] in GREEK:
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
        lo, hi = as_int(lo, "summation bound"), as_int(hi, "summation bound")
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
                    if exact(acc) and max(acc.numerator.bit_length(), acc.denominator.bit_length()) > MAX_EXACT_BITS:
                        if abs(acc) > 10**300:
                            raise TooLarge("series value too large")
                        acc = float(acc)  # 1 + 1/2 + ... + 1/k: exact digits run away, the value does not
        finally:
            if outer is None:
                self.bound.pop(var, None)
            else:
                self.bound[var] = outer
        return simplify(acc)

    def multi(self, name: str) -> Value:
        """``\\max(a, b, ...)``, ``\\min``, ``\\gcd``, ``\\lcm`` (brackets of any kind)."""
        kind, tok = self.take()
        if tok not in CLOSE:
            raise Unsupported(f"{name} without brackets")
        args = [self.expr()]
        while self.accept(","):
            args.append(self.expr())
        self.expect(CLOSE[tok])
        if name in ("max", "min"):
            real = [as_real(a) for a in args]
            return (max if name == "max" else min)(real)
        ints = [as_int(a, f"{name} arguments") for a in args]
        return Fraction(math.gcd(*ints) if name == "gcd" else math.lcm(*ints))

    def subscript(self) -> str:
        """The name suffix after ``_``: the raw text, or ``[k]`` for an integer index (in a sum or in
        integer mode), so that ``F_{n-k}`` at n=5, k=2 and ``F_3`` are the same variable."""
        if self.bound or self.integers:
            start = self.i
            try:
                v = self.arg()
                if exact(v) and v.denominator == 1:
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
            self.env[name] = sample_int(name, point) if plain else sample(name, point)
        return self.env[name]


def evaluate(s: str, point: int | None = None, integers: bool = False) -> Value:
    """Value of ``s``; with ``point`` set, free variables take that sample point's values
    (integers in 3..39 for plain names when ``integers``)."""
    env = None if point is None else {"__point__": point}
    return _Parser(s, env, integers).parse()

