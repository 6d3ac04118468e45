"""Values of the arithmetic evaluator and the operations on them that are not grammar.

A value is an exact ``Fraction`` while it can be, else a float or a complex number. Here: the
evaluator's errors, bounded exact powers and roots, integer and real coercions, floor/ceil, the
sample points that free variables take, and closeness of two values.
"""

from __future__ import annotations

import math
import zlib
from fractions import Fraction

Value = Fraction | float | complex


class Unsupported(ValueError):
    """The expression is outside what this evaluator understands."""


class TooLarge(Unsupported):
    """The value's magnitude is beyond 10^300 (a power tower): not any ordinary finite answer."""


class NeedsInteger(Unsupported):
    """A free variable is used where only an integer makes sense: evaluate with ``integers=True``."""


MAX_EXACT_BITS = 4096


def exact(v: Value) -> bool:
    return isinstance(v, Fraction)


def simplify(v) -> Value:
    if isinstance(v, complex) and abs(v.imag) <= 1e-12 * max(1.0, abs(v.real)):
        return v.real
    return v


def pow_value(a: Value, b: Value) -> Value:
    if exact(a) and exact(b):
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
                    return pow_value(Fraction(rn, rd), Fraction(b.numerator))
    try:
        la = abs(complex(a))
        if la > 0 and abs(complex(b)) * abs(math.log10(la)) > 300:
            big = la > 1 and complex(b).real > 0
            raise (TooLarge if big else Unsupported)("power overflows")
        r = complex(a) ** complex(b) if (not exact(a) or a < 0 or isinstance(b, complex)) else float(a) ** float(b)
    except (OverflowError, ZeroDivisionError, ValueError) as e:
        raise Unsupported(str(e)) from None
    return simplify(r)


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


def as_real(v: Value) -> Fraction | float:
    if isinstance(v, complex):
        raise Unsupported("complex value where a real is needed")
    return v


def as_int(v: Value, what: str) -> int:
    """``v`` as an int; ``NeedsInteger`` when it is a float (a free variable's sample value)."""
    if exact(v):
        if v.denominator != 1:
            raise Unsupported(what)
        return v.numerator
    if isinstance(v, float) and math.isfinite(v):
        raise NeedsInteger(what)
    raise Unsupported(what)


def nonneg_int(v: Value, limit: int, what: str) -> int:
    n = as_int(v, what)
    if not 0 <= n <= limit:
        raise Unsupported(what)
    return n


def round_with(v: Value, fn) -> Fraction:
    """floor/ceil, treating a float within 1e-9 of an integer as that integer."""
    if exact(v):
        return Fraction(fn(v))
    x = as_real(v)
    if not math.isfinite(x):
        raise Unsupported("floor of infinity")
    r = round(x)
    return Fraction(r if abs(x - r) <= 1e-9 * max(1.0, abs(x)) else fn(x))


def sample(name: str, point) -> float:
    h = sum((i + 1) * ord(c) for i, c in enumerate(name))
    if "[" in name:  # indexed terms F_[3], F_[13]: a better-mixed hash
        h = zlib.crc32(name.encode())
    return 0.53 + ((h * 7919 + int(point) * 104729) % 1000) / 757.0


def sample_int(name: str, point) -> Fraction:
    return Fraction(3 + zlib.crc32(f"{name}:{point}".encode()) % 37)


def close(a: Value, b: Value, rel: float = 1e-9) -> bool:
    """Exact equality for two exact numbers, else relative closeness (infinities by sign)."""
    if exact(a) and exact(b):
        return a == b
    a, b = complex(a), complex(b)
    if any(math.isinf(x) for x in (a.real, a.imag, b.real, b.imag)):
        return a == b
    if any(math.isnan(x) for x in (a.real, a.imag, b.real, b.imag)):
        return False
    return abs(a - b) <= rel * max(abs(a), abs(b), 1e-12) or abs(a - b) < 1e-12
