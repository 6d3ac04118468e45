"""The key-factors paper's two baselines as rationale rows, and the answer line that ends an SFT target.

- ``human`` rationales: the dataset's own reference solution (GSM8K's, MATH's, AQuA's, ...), the paper's
  ``*_human.json`` sets; problems without one are skipped and counted.
- ``answer``-only: the gold answer alone (the paper's ``*_only_ans.json``).

Both come out as rationale rows of the pseudo-teacher ``human`` (``results/rationales/human/{dataset}/
{solution|answer}.jsonl``), so the ordinary SFT, training and evaluation rules take them as they take a
teacher's: recipes ``human.solution.all`` and ``human.answer.all``.

``set_ending`` ends a target with the answer line an experiment asks for: ``answer_is`` ("The answer is
X", the paper's format) or ``boxed`` (``\\boxed{X}``); a trailing answer statement already there (GSM8K's
``#### X``, "The answer is …", "Final Answer: …") is replaced. ``cotdistill.answers`` reads both endings.
"""

from __future__ import annotations

import re

HUMAN = "human"
SOURCES = ("solution", "answer")
ENDINGS = ("answer_is", "boxed")
# A teacher's rationales with their answer line rewritten: source ``{prompting}-ending_{answer_is|boxed}``
ENDING_SOURCE = re.compile(r"^(?P<base>[A-Za-z0-9_-]+?)-ending_(?P<ending>answer_is|boxed)$")

_TRAILING = re.compile(
    r"(?:^|\n|(?<=[.!?])[ \t]*)[ \t]*(?:####[^\n]*|(?:so,? |thus,? |therefore,? |hence,? )?the (?:final )?answer is\b[^\n]*"
    r"|final answer:[^\n]*)\s*$",
    re.IGNORECASE,
)


def answer_line(answer: str, ending: str) -> str:
    if ending not in ENDINGS:
        raise ValueError(f"answer ending: must be one of {', '.join(ENDINGS)}, got {ending!r}")
    answer = str(answer).strip()
    return f"The answer is {answer}" if ending == "answer_is" else f"\\boxed{{{answer}}}"


def set_ending(text: str, answer: str, ending: str) -> str:
    """``text`` without a trailing answer statement, then the answer line of ``ending`` on its own line."""
    body = _TRAILING.sub("", (text or "").rstrip()).rstrip()
    line = answer_line(answer, ending)
    return f"{body}\n{line}" if body else line


def with_endings(rows: list[dict], ending: str) -> list[dict]:
    """A teacher's rationale rows ending with the answer line of ``ending`` stating the teacher's own answer
    (``pred``; a row without one keeps its text: it has no answer to state)."""
    return [{**r, "response": set_ending(r["response"], r["pred"], ending)} if r.get("pred") is not None and r.get("response") else r
            for r in rows]


def human_rows(problems: list[dict], source: str, ending: str = "answer_is") -> tuple[list[dict], dict]:
    """Rationale rows of the pseudo-teacher ``human`` for ``source`` (``solution`` or ``answer``) and the
    counts of what was kept and skipped (problems without a reference solution)."""
    if source not in SOURCES:
        raise ValueError(f"human rationale source: must be one of {', '.join(SOURCES)}, got {source!r}")
    rows, skipped = [], 0
    for p in problems:
        if source == "solution":
            if not (p.get("solution") or "").strip():
                skipped += 1
                continue
            response = set_ending(p["solution"], p["answer"], ending)
        else:
            response = answer_line(p["answer"], ending)
        rows.append({"id": p["id"], "dataset": p.get("dataset"), "teacher": HUMAN, "prompting": source, "sample": 0,
                     "messages": [], "response": response, "pred": str(p["answer"]), "correct": True,
                     "finish_reason": "stop", "usage": {}, "cache_key": None})
    return rows, {"problems": len(problems), "rows": len(rows), "no_solution": skipped, "source": source, "ending": ending}
