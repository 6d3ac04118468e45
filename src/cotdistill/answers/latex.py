"""LaTeX string helpers: balanced groups, the last ``\\boxed{}``, and a cleanup that keeps the maths.

Everything here is linear in the input (no nested regex quantifiers), so a 100 kB response or
10 000 nested braces cannot stall it.
"""

from __future__ import annotations

import re
from functools import lru_cache

MAX_ANSWER_CHARS = 2000  # a final answer longer than this is judged by string comparison only

_BOX = re.compile(r"\\(?:boxed|fbox|framebox)(?![a-zA-Z])\s*")


def match_group(s: str, i: int, open_: str = "{", close: str = "}") -> int:
    """Index just past the group opened at ``s[i] == open_`` (``len(s)`` when it never closes)."""
    depth = 0
    n = len(s)
    j = i
    while j < n:
        c = s[j]
        if c == "\\":
            j += 2
            continue
        if c == open_:
            depth += 1
        elif c == close:
            depth -= 1
            if depth == 0:
                return j + 1
        j += 1
    return n


def last_boxed(s: str) -> str | None:
    """Content of the last ``\\boxed{...}`` / ``\\fbox{...}`` (nested braces; unclosed runs to the end)."""
    matches = list(_BOX.finditer(s))
    for m in reversed(matches):
        i = m.end()
        if i < len(s) and s[i] == "{":
            j = match_group(s, i)
            inner = s[i + 1 : j - 1] if j <= len(s) and s[j - 1 : j] == "}" else s[i + 1 :]
            if inner.strip():
                return inner.strip()
        else:  # \boxed 5
            tok = re.match(r"[^\s$]+", s[i:])
            if tok:
                return tok.group(0)
    return None


_UNWRAP_CMDS = (
    "text", "textbf", "textit", "textnormal", "textrm", "mathrm", "mathbf", "mathit", "mbox",
    "operatorname", "boxed", "fbox", "emph", "textsf", "mathsf", "displaystyle", "hbox",
)
_UNWRAP = re.compile(r"\\(" + "|".join(_UNWRAP_CMDS) + r")\s*\{")
_SPACING = re.compile(r"\\[,;:! ]|\\q?quad(?![a-zA-Z])|\\(?:displaystyle|textstyle|left|right|bigl?|bigr?|Bigl?|Bigr?|middle|limits|nolimits)(?![a-zA-Z])|~")
_THIN_THOUSANDS = re.compile(r"(?<=\d)\\[,!: ]\s*(?=\d{3}(?:\\[,!: ]|(?!\d)))")  # 1\,000\,000
_OPNAME = re.compile(r"\\(?:operatorname|mathrm|text)\s*\{\s*(lcm|gcd|max|min)\s*\}")
_DEGREES = re.compile(r"\^\s*\{?\s*\\circ\s*\}?|°|\\circ(?![a-zA-Z])|\\degree(?![a-zA-Z])|\^\{\s*\\text\{\s*o\s*\}\s*\}")
_REPL = [
    (re.compile(r"\\[dt]frac(?![a-zA-Z])"), r"\\frac"),
    (re.compile(r"\\(?:lt)(?![a-zA-Z])"), "<"),
    (re.compile(r"\\(?:gt)(?![a-zA-Z])"), ">"),
    (re.compile(r"\\(?:leq?slant|leq?|le)(?![a-zA-Z])|≤|<="), "≤"),
    (re.compile(r"\\(?:geq?slant|geq?|ge)(?![a-zA-Z])|≥|>="), "≥"),
    (re.compile(r"\\(?:neq?|ne)(?![a-zA-Z])|≠|!="), "≠"),
    (re.compile(r"\\(?:cdot|times|ast)(?![a-zA-Z])|×|·|∗"), "*"),
    (re.compile(r"\\div(?![a-zA-Z])|÷"), "/"),
    (re.compile(r"\\pm(?![a-zA-Z])|±"), "±"),
    (re.compile(r"\\mp(?![a-zA-Z])|∓"), "∓"),
    (re.compile(r"√"), r"\\sqrt"),
    (re.compile(r"π"), r"\\pi"),
    (re.compile(r"∞"), r"\\infty"),
    (re.compile(r"\\varnothing(?![a-zA-Z])|∅"), r"\\emptyset"),
    (re.compile(r"\\mathbb\s*\{\s*R\s*\}(?![\^_])|ℝ(?![\^_])"), r"(-\\infty,\\infty)"),
    (re.compile(r"⌊"), r"\\lfloor "),
    (re.compile(r"⌋"), r"\\rfloor "),
    (re.compile(r"⌈"), r"\\lceil "),
    (re.compile(r"⌉"), r"\\rceil "),
    (re.compile(r"∪"), r"\\cup"),
    (re.compile(r"−|–|—"), "-"),
    (re.compile(r"\\lbrace(?![a-zA-Z])|\\\{"), "⦃"),
    (re.compile(r"\\rbrace(?![a-zA-Z])|\\\}"), "⦄"),
    (re.compile(r"\\(?:lvert|rvert|vert)(?![a-zA-Z])|\\\|"), "|"),
    (re.compile(r"\\(?:lbrack)(?![a-zA-Z])"), "["),
    (re.compile(r"\\(?:rbrack)(?![a-zA-Z])"), "]"),
    (re.compile(r"\\%|%|\\percent(?![a-zA-Z])"), "%"),
    (re.compile(r"\\\$|\$|\\\(|\\\)|\\\[|\\\]"), " "),
    (re.compile(r"\\(?:dots|ldots|cdots)(?![a-zA-Z])|…"), "…"),
    (re.compile(r"\{,\}|,\s*\\!\s*"), ","),
]


def unwrap_commands(s: str) -> str:
    """``\\text{abc}`` -> ``abc`` for formatting commands, keeping nested content (linear passes)."""
    for _ in range(50):
        m = _UNWRAP.search(s)
        if not m:
            break
        j = match_group(s, m.end() - 1)
        inner = s[m.end() : j - 1] if s[j - 1 : j] == "}" else s[m.end() :]
        s = s[: m.start()] + " " + inner + " " + s[j:]
    return s


@lru_cache(maxsize=16384)
def clean(s: str) -> tuple[str, bool]:
    """Strip delimiters, spacing, units of degrees/percent/currency; return (maths, had_percent)."""
    s = s[:MAX_ANSWER_CHARS].replace("\\\\", " ⏎ ")  # matrix row separator
    s = _OPNAME.sub(r"\\\1", s)  # \operatorname{lcm} -> \lcm
    s = _THIN_THOUSANDS.sub("", s)  # 1\,000 -> 1000
    s = unwrap_commands(s)
    s = _DEGREES.sub(" ", s)
    for pat, rep in _REPL:
        s = pat.sub(rep, s)
    s = _SPACING.sub(" ", s)
    percent = "%" in s
    s = s.replace("%", " ")
    s = re.sub(r"\s+", " ", s).strip()
    s = s.strip(" .;:")
    return s, percent
