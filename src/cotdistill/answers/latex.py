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


def _boxes(s: str):
    """(start, end, content) of each non-empty ``\\boxed{...}`` / ``\\fbox{...}``, last first."""
    for m in reversed(list(_BOX.finditer(s))):
        i = m.end()
        if i < len(s) and s[i] == "{":
            j = match_group(s, i)
            inner = s[i + 1 : j - 1] if j <= len(s) and s[j - 1 : j] == "}" else s[i + 1 :]
            if inner.strip():
                yield m.start(), j, inner.strip()
        else:  # \boxed 5
            tok = re.match(r"[^\s$]+", s[i:])
            if tok:
                yield m.start(), i + tok.end(), tok.group(0)


def last_boxed(s: str) -> str | None:
    """Content of the last ``\\boxed{...}`` / ``\\fbox{...}`` (nested braces; unclosed runs to the end)."""
    return next((inner for _, _, inner in _boxes(s)), None)


# what may stand between two boxes of one answer: "\\boxed{3} and \\boxed{-4}", "$\\boxed{1}$, $x_2 = \\boxed{2}$"
ANSWER_GAP = re.compile(
    r"[\s$,;]*(?:(?:and|or|\\text\s*\{\s*(?:and|or)\s*\}|\\q?quad)[\s$,;]*)?"
    r"(?:\\\(|\\\[)?\s*(?:[a-zA-Z](?:_\{?\w+\}?)?\s*=\s*)?"
)


def joins_answers(gap: str) -> bool:
    """Whether the text between two answers only joins them: ", ", " and ", "$ or $x_2 = "."""
    return len(gap) <= 60 and bool(ANSWER_GAP.fullmatch(gap.replace("\\)", " ").replace("\\]", " ")))


def boxed_answers(s: str) -> list[str]:
    """The last box and the boxes just before it that are joined to it only by commas, "and"/"or"
    or a ``x_2 =`` label: several answers written as several boxes. Distinct contents only."""
    out: list[str] = []
    start = None
    for i, j, inner in _boxes(s):
        if start is not None and not joins_answers(s[j:start]):
            break
        if inner not in out:
            out.insert(0, inner)
        start = i
    return out


_UNWRAP_CMDS = (
    "text", "textbf", "textit", "textnormal", "textrm", "mathrm", "mathbf", "mathit", "mbox",
    "operatorname", "boxed", "fbox", "emph", "textsf", "mathsf", "displaystyle", "hbox",
)
_UNWRAP = re.compile(r"\\(" + "|".join(_UNWRAP_CMDS) + r")\s*\{")
_SPACING = re.compile(r"\\[,;:! ]|\\q?quad(?![a-zA-Z])|\\(?:displaystyle|textstyle|left|right|bigl?|bigr?|Bigl?|Bigr?|middle|limits|nolimits)(?![a-zA-Z])|~")
_THIN_THOUSANDS = re.compile(r"(?<=\d)\\[,!: ]\s*(?=\d{3}(?:\\[,!: ]|(?!\d)))")  # 1\,000\,000
# 12 500 / 1 234 567: a space (or thin/no-break space) between groups of three digits
_SPACE_THOUSANDS = re.compile(r"(?<![\d.,])\d{1,3}(?:[ \u00a0\u202f\u2009]\d{3})+(?![\d.,]|\s*[/^]|\s\d)")
# a unit in \text{}/\textbf{} after a number: 12\text{ cm}^2, 45\,\text{km/h} (not \text{ and })
_TEXT_UNIT = re.compile(
    r"(?<=[\d}])\s*(?:\\[,;: ]|~)?\s*\\(?:text|textbf|textrm|mathrm|mbox)\s*\{\s*"
    r"(?!(?:and|or)\s*\})[a-zA-Z][a-zA-Z./ ]{0,20}\}(?:\s*\^\s*\{?\d\}?)?"
)
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
    s = _TEXT_UNIT.sub(" ", s)
    s = unwrap_commands(s)
    s = _DEGREES.sub(" ", s)
    for pat, rep in _REPL:
        s = pat.sub(rep, s)
    s = _SPACING.sub(" ", s)
    percent = "%" in s
    s = s.replace("%", " ")
    s = re.sub(r"\s+", " ", s).strip()
    s = _SPACE_THOUSANDS.sub(lambda m: re.sub(r"\D", "", m.group(0)), s)
    s = re.sub(r"^[;:]+|^\.(?!\d)|[\s.;:]+$", "", s).strip()  # keep the dot of ".25"
    return s, percent
