"""One scalar answer as a ``Node``: a number (thousands separators, units, currency, a base, a mixed
number), a value too large to evaluate (``huge``), an expression in free variables, or text."""

from __future__ import annotations

import re
from fractions import Fraction

from .arithmetic import evaluate
from .arithmetic_values import NeedsInteger, TooLarge, Unsupported
from .nodes import Node

THOUSANDS = re.compile(r"-?\d{1,3}(?:,\d{3})+(?:\.\d+)?")
_MIXED = re.compile(r"(-?)(\d+)\s*(?:\\frac\s*\{?\s*(\d+)\s*\}?\s*\{?\s*(\d+)\s*\}?|\s(\d+)\s*/\s*(\d+))")
_UNIT = re.compile(r"(-?(?:\d[\d,]*(?:\.\d+)?|\.\d+)(?:\s*/\s*\d+)?)\s*(?:[a-zA-Z]{2,}\.?|[a-zA-Z]{2,}(?:\s*\^\s*\{?\d\}?)?)(?:\s+[a-zA-Z]+\.?)*")
_BASE = re.compile(r"([0-9A-Fa-f]+)_\{?(\d+)\}?")  # 2516_8: a numeral in base 8
# units written right after a number (12cm, 5kg); after a space any word is a unit (12 apples), but "2xy" is algebra
_UNIT_WORDS = re.compile(
    r"(?:[kcm]?m|[km]?g|mg|lbs?|oz|ft|in|inch(?:es)?|yds?|mi|miles?|hours?|hrs?|h|mins?|minutes?|s|secs?|seconds?"
    r"|days?|weeks?|months?|years?|yrs?|dollars?|cents?|mph|km/h|kph|[km]?l|ml|cm\^?\d?|m\^?\d?|sq|units?|pounds?"
    r"|feet|foot|meters?|metres?|liters?|litres?|grams?|degrees?|percent|people|times)(?![a-zA-Z])",
    re.I,
)
_CURRENCY = re.compile(r"^(?:rs\.?|inr|usd|us|eur|gbp|€|£|¥|₹)\s*", re.I)
_PROSE = re.compile(r"[A-Za-z]+(?:[\s,.'-]+[A-Za-z]+)+")  # "New York", "A then B": words, not a product
_FUNC_WORDS = {"sin", "cos", "tan", "cot", "sec", "csc", "log", "ln", "exp", "max", "min", "gcd", "lcm", "mod"}


def leaf(s: str) -> Node:
    """A scalar answer's node: ``num``, ``huge``, ``expr`` (``integer`` when it needs integer points) or ``text``."""
    s = s.strip()
    words = re.findall(r"[A-Za-z]+", s) if _PROSE.fullmatch(s) or re.fullmatch(r"[A-Za-z]{3,}", s) else []
    if any(len(w) > 1 + (len(words) == 1) and w.lower() not in _FUNC_WORDS for w in words):
        return Node("text", text=s)  # "man bites dog", "odd": words (in an order), not products m*a*n*...
    if s.startswith("\\pm"):
        s = "±" + s[3:]
    num = s
    num = _CURRENCY.sub("", num)
    num = re.sub(r"^\(?[A-J]\)\s+(?=\S)", "", num)  # "(D) 13": an option label before the value
    if THOUSANDS.fullmatch(num):
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
        num = num.replace(",", "") if THOUSANDS.fullmatch(num) else num
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
