"""Answer extraction and equivalence.

PROVISIONAL minimal version (numbers only); the full checker replaces it behind the same API:
``extract(response, answer_type, choices=None)``, ``equivalent(pred, gold, answer_type)``,
``check(pred, gold, answer_type) -> (bool, reason)``, ``infer_answer_type(gold)``.
"""

from __future__ import annotations

import re

_NUM = re.compile(r"-?\d[\d,]*(?:\.\d+)?")


def extract(response: str, answer_type: str = "number", choices: dict | None = None) -> str | None:
    m = re.findall(r"\\boxed\{([^{}]*)\}", response or "")
    if m:
        return m[-1].strip()
    m = re.findall(r"answer is\s*:?\s*(.+)", response or "", flags=re.I)
    if m:
        return m[-1].strip().rstrip(".")
    nums = _NUM.findall(response or "")
    return nums[-1].replace(",", "") if nums else None


def check(pred: str | None, gold: str, answer_type: str = "number") -> tuple[bool, str]:
    if pred is None:
        return False, "no prediction"
    try:
        return abs(float(str(pred).replace(",", "")) - float(str(gold).replace(",", ""))) < 1e-6, "numeric"
    except ValueError:
        return str(pred).strip() == str(gold).strip(), "string"


def equivalent(pred: str | None, gold: str, answer_type: str = "number") -> bool:
    return check(pred, gold, answer_type)[0]


def infer_answer_type(gold: str) -> str:
    return "number" if _NUM.fullmatch(str(gold).strip()) else "text"
