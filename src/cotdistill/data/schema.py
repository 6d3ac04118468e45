"""The problem record shared by every dataset."""

from __future__ import annotations

ANSWER_TYPES = ("number", "latex", "choice", "yesno", "nli", "text")
REQUIRED = ("id", "dataset", "split", "question", "answer", "answer_type")


def make_problem(
    *,
    id: str,
    dataset: str,
    split: str,
    question: str,
    answer: str,
    answer_type: str,
    choices: dict | None = None,
    context: str | None = None,
    solution: str | None = None,
    meta: dict | None = None,
) -> dict:
    """Build a problem dict in the canonical field order, checking the answer type."""
    if answer_type not in ANSWER_TYPES:
        raise ValueError(f"answer_type {answer_type!r} is not one of {ANSWER_TYPES}")
    if choices is not None and (
        set(choices) != {"label", "text"} or len(choices["label"]) != len(choices["text"])
    ):
        raise ValueError("choices must be {'label': [...], 'text': [...]} of equal length")
    return {
        "id": str(id),
        "dataset": dataset,
        "split": split,
        "question": question,
        "choices": choices,
        "context": context,
        "answer": str(answer),
        "answer_type": answer_type,
        "solution": solution,
        "meta": meta or {},
    }


def validate_problem(row: dict, where: str = "problem") -> None:
    """Raise ValueError naming ``where`` if ``row`` lacks a field or has a bad answer type."""
    missing = [k for k in REQUIRED if row.get(k) in (None, "")]
    if missing:
        raise ValueError(f"{where}: missing field(s) {', '.join(missing)}")
    if row["answer_type"] not in ANSWER_TYPES:
        raise ValueError(f"{where}: answer_type {row['answer_type']!r} is not one of {ANSWER_TYPES}")
