"""The structure an answer is parsed into (``Node``) and the bracket-aware scanning that parsing uses."""

from __future__ import annotations

from dataclasses import dataclass, field


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


def top_level(s: str, chars: str):
    """(index, char) of each character of ``chars`` in ``s`` that is outside any brackets."""
    for i, c, depth in _depths(s):
        if depth == 0 and c in chars and c not in _BRACKETS:
            yield i, c


def split_top(s: str, seps: str) -> list[str]:
    """Split ``s`` at characters in ``seps`` that are outside any brackets."""
    parts, start = [], 0
    for i, _ in top_level(s, seps):
        parts.append(s[start:i])
        start = i + 1
    parts.append(s[start:])
    return parts


def split_top_word(s: str, word: str) -> list[str]:
    """Split ``s`` at occurrences of ``word`` (no brackets in it) that are outside any brackets."""
    parts, start = [], 0
    for i, c, depth in _depths(s):
        if i >= start and depth == 0 and c not in _BRACKETS and s.startswith(word, i):
            parts.append(s[start:i])
            start = i + len(word)
    parts.append(s[start:])
    return parts


def enclosed(s: str) -> str | None:
    """The opening bracket if one bracket pair encloses all of ``s``."""
    if len(s) < 2 or s[0] not in _OPEN:
        return None
    depth = 0
    for i, _, depth in _depths(s):
        if depth == 0 and i != len(s) - 1:
            return None
    return s[0] if s[-1] in _CLOSE and depth == 0 else None

