"""Prompt text shared by teachers and student evaluation.

``core_prompt`` renders a problem (question, context, choices) the same way for every consumer; the
method prompts (styles, granularity, formats, feedback, review, summaries) live as data in ``prompts/``.
"""

from __future__ import annotations

ANSWER_INSTRUCTIONS = {
    "number": "Give the final answer as a number in \\boxed{}.",
    "latex": "Give the final answer in \\boxed{}.",
    "choice": "Give the letter of the correct option in \\boxed{}.",
    "yesno": "Answer yes or no, in \\boxed{}.",
    "nli": "Answer entailment, neutral or contradiction, in \\boxed{}.",
    "text": "Give the final answer in \\boxed{}.",
}


def core_prompt(problem: dict) -> str:
    """The problem as the model sees it, the same for teacher and student evaluation.

    NLI: ``Premise: … / Hypothesis: …``; other contexts (a TabMWP table, a LogiQA passage) go above
    the question; choices follow as ``(A) text`` lines.
    """
    question = str(problem["question"]).strip()
    context = str(problem.get("context") or "").strip()
    if problem.get("answer_type") == "nli":
        parts = [f"Premise: {context}", f"Hypothesis: {question}",
                 "Does the premise entail the hypothesis, contradict it, or neither?"]
    else:
        parts = [context, question] if context else [question]
    choices = problem.get("choices")
    if choices:
        parts.append("\n".join(f"({l}) {t}" for l, t in zip(choices["label"], choices["text"])))
    return "\n".join(parts)
