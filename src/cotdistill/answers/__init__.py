"""Answer extraction and equivalence for every answer type (number|latex|choice|yesno|nli|text).

``extract(response, answer_type, choices)`` finds the final answer; ``check(pred, gold, type)``
gives (verdict, reason) through a pure-Python fast path and, only when that cannot decide, a
math-verify worker process under a wall-clock timeout (no signals: safe in threads and workers); a
case that runs out of time there is "undecided" (``is_undecided(reason)``), not silently wrong.
"""

from .check import answer_kind, check, check_answers_cli, confusion_table, equivalent, judge
from .extract import extract, infer_answer_type
from .symbolic import is_undecided

__all__ = ["answer_kind", "check", "check_answers_cli", "confusion_table", "equivalent", "extract",
           "infer_answer_type", "is_undecided", "judge"]
