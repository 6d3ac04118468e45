"""The tokens of the arithmetic subset of LaTeX and the commands, functions and names it knows."""

from __future__ import annotations

import cmath
import re

from .arithmetic_values import Unsupported

_TOKEN = re.compile(
    r"\s*(?:(?P<num>\d+\.\d*|\.\d+|\d+)|(?P<cmd>\\[a-zA-Z]+)|(?P<letter>[a-zA-Z])|(?P<sym>\S))"
)
FUNCS = {
    "sin": cmath.sin, "cos": cmath.cos, "tan": cmath.tan, "cot": lambda z: 1 / cmath.tan(z),
    "sec": lambda z: 1 / cmath.cos(z), "csc": lambda z: 1 / cmath.sin(z),
    "arcsin": cmath.asin, "arccos": cmath.acos, "arctan": cmath.atan,
    "sinh": cmath.sinh, "cosh": cmath.cosh, "tanh": cmath.tanh,
    "ln": cmath.log, "log": cmath.log, "exp": cmath.exp,
}
GREEK = {
    "alpha", "beta", "gamma", "delta", "epsilon", "varepsilon", "zeta", "eta", "theta", "vartheta",
    "iota", "kappa", "lambda", "mu", "nu", "xi", "rho", "sigma", "tau", "upsilon", "phi", "varphi",
    "chi", "psi", "omega", "Gamma", "Delta", "Theta", "Lambda", "Xi", "Sigma", "Phi", "Psi", "Omega",
}
MAX_TOKENS = 400
SERIES = {"sum": True, "prod": False}
MULTI = {"max", "min", "gcd", "lcm"}
CLOSE = {"(": ")", "[": "]", "{": "}", "⦃": "⦄"}
ATOM_CMDS = {"frac", "sqrt", "pi", "infty", "binom", "lfloor", "lceil"}


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
        elif kind == "cmd" and tok[1:] in GREEK:
            names.add(tok[1:])
    return names
