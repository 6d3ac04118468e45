"""Teacher rationales for one (teacher, dataset, prompting): requests → completions → graded rows."""

from __future__ import annotations

from .answers import check, extract
from .teacher_prompts import solve_requests
from .teachers import Completion, Request, run_requests


def grade(problem: dict, completion: Completion) -> tuple[str | None, bool]:
    """The parsed answer and whether it matches the gold one; a cut-off or failed response counts wrong."""
    if completion.finish_reason != "stop" or not completion.text:
        return None, False
    pred = extract(completion.text, problem["answer_type"], problem.get("choices"))
    return pred, check(pred, problem["answer"], problem["answer_type"])[0]


def rationale_rows(teacher: str, prompting: str, requests: list[Request], completions: list[Completion]) -> list[dict]:
    rows = []
    for req, comp in zip(requests, completions):
        problem = req.task["problem"]
        pred, correct = grade(problem, comp)
        rows.append(
            {
                "id": problem["id"],
                "dataset": problem["dataset"],
                "teacher": teacher,
                "prompting": prompting,
                "sample": req.sample,
                "messages": req.messages,
                "response": comp.text,
                "pred": pred,
                "correct": correct,
                "finish_reason": comp.finish_reason,
                "usage": comp.usage(),
                "cache_key": comp.cache_key,
            }
        )
    return rows


def solve(teacher: str, teacher_cfg: dict, problems: list[dict], prompting: str, cache_dir: str | None) -> tuple[list[dict], dict]:
    """Rows for every problem (× samples) and the stage summary, with the teacher's accuracy added."""
    requests = solve_requests(problems, prompting, teacher_cfg)
    completions, summary = run_requests(teacher, teacher_cfg, requests, cache_dir=cache_dir, desc=f"{teacher}/{prompting}")
    rows = rationale_rows(teacher, prompting, requests, completions)
    summary["accuracy"] = sum(r["correct"] for r in rows) / len(rows) if rows else 0.0
    return rows, summary
