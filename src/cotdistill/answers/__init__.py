"""Answer extraction and equivalence for every answer type (number|latex|choice|yesno|nli|text).

``extract(response, answer_type, choices)`` finds the final answer; ``check(pred, gold, type)``
gives (verdict, reason) through a pure-Python fast path and, only when that cannot decide, a
math-verify worker process under a wall-clock timeout (no signals: safe in threads and workers).
"""

from .check import check, check_answers_cli, equivalent, judge
from .extract import extract, infer_answer_type

__all__ = ["check", "check_answers_cli", "equivalent", "extract", "infer_answer_type", "judge"]
