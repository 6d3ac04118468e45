"""FAIR's committee (arXiv 2410.03663): peer review of regenerated rationales and mistake→feedback examples.

Every rationale is scored 1–5 by each *other* teacher; the score is the last ``[n]`` of the review,
anything else is an invalid score and ignored; a rationale is kept when the mean of its valid scores
is above the threshold (3 by default). The gold answer is never used to select — only to report the
precision of what was accepted against the unfiltered pool.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from ..prompts import core_prompt
from ..teacher_prompts import generation_params
from ..teachers.base import Request
from .base import Method
from .rounds import COMMITTEE, RoundSettings, chain_runs, gates, solution_part

_SCORE = re.compile(r"\[\s*(\d+(?:\.\d+)?)\s*\]")


@dataclass
class Settings(RoundSettings):
    review_threshold: float = 3.0
    alpha: float = 0.5  # share of mistake→feedback examples in the training mix
    mix: str = "interleave_over"

    def __post_init__(self):
        super().__post_init__()
        if len(self.teachers) < 2:
            raise ValueError(f"teachers: fair needs at least 2 teachers (each rationale is reviewed by the others), got {len(self.teachers)}")
        if COMMITTEE in self.teachers:
            raise ValueError(f"teachers: {COMMITTEE!r} is reserved for the committee's recipes; rename that teacher")
        if not isinstance(self.alpha, (int, float)) or not 0 <= self.alpha < 1:
            raise ValueError(f"alpha: the feedback share must be in [0, 1), got {self.alpha!r}")
        if not isinstance(self.review_threshold, (int, float)) or not 1 <= self.review_threshold < 5:
            raise ValueError(f"review_threshold: a mean score in [1, 5) that accepted rationales must exceed, got {self.review_threshold!r}")
        if self.mix not in ("interleave_over", "interleave_under"):
            raise ValueError(f"mix: must be one of interleave_over, interleave_under, got {self.mix!r}")


def runs(name: str, s: Settings):
    """Each teacher alone (plain CoT), then the committee's rounds (round 0: all teachers pooled)."""
    def singles(run, teacher):
        if teacher is None:
            for t in s.teachers:
                run(f"{t}.cot.all", teacher=t, style="single")

    return chain_runs(name, s, [COMMITTEE], singles)


def parse_score(text: str | None) -> float | None:
    """The last ``[n]`` of a review when 1 ≤ n ≤ 5, else None (an invalid score)."""
    found = _SCORE.findall(text or "")
    if not found:
        return None
    score = float(found[-1])
    return score if 1 <= score <= 5 else None


def review_messages(problem: dict, solution: str) -> list[dict]:
    text = (
        f"{core_prompt(problem)}\n\nHere is a proposed solution:\n---\n{solution.strip()}\n---\n"
        "Check it step by step. Rate how correct and sound it is from 1 (wrong) to 5 (fully correct), "
        "and end your review with the score in square brackets, e.g. [4]."
    )
    return [{"role": "user", "content": text}]


def review_requests(rationales: list[dict], problems: list[dict], reviewer: str, reviewer_cfg: dict) -> list[Request]:
    """The reviewer's requests for every rationale written by another teacher."""
    by_id = {p["id"]: p for p in problems}
    params = generation_params(reviewer_cfg)
    reqs = []
    for r in rationales:
        if r["teacher"] == reviewer or r["id"] not in by_id:
            continue
        p = by_id[r["id"]]
        solution = solution_part(r["response"] or "")
        task = {"kind": "review", "problem": p, "author": r["teacher"], "pred": r["pred"]}
        reqs.append(Request(messages=review_messages(p, solution), params=params, task=task))
    return reqs


def review_rows(reviewer: str, requests: list[Request], completions: list) -> list[dict]:
    return [
        {"id": q.task["problem"]["id"], "author": q.task["author"], "reviewer": reviewer, "response": c.text,
         "finish_reason": c.finish_reason, "score": parse_score(c.text) if c.finish_reason == "stop" else None}
        for q, c in zip(requests, completions)
    ]


def select(rationales: list[dict], reviews: list[dict], threshold: float = 3.0) -> tuple[list[dict], dict]:
    """Rationales whose mean valid peer score is > ``threshold``, and per-teacher acceptance counts.

    The counts also give the precision (share with a correct answer) of the pool and of the accepted
    rationales; the ``correct`` flags are read only for that report.
    """
    scores = defaultdict(list)
    invalid = defaultdict(int)
    for rv in reviews:
        if rv["score"] is None:
            invalid[(rv["id"], rv["author"])] += 1
        else:
            scores[(rv["id"], rv["author"])].append(rv["score"])
    accepted, per_teacher = [], defaultdict(lambda: {"rationales": 0, "accepted": 0, "invalid_scores": 0, "correct": 0, "accepted_correct": 0})
    for r in rationales:
        key = (r["id"], r["teacher"])
        valid = scores.get(key, [])
        mean = sum(valid) / len(valid) if valid else None
        keep = mean is not None and mean > threshold
        c = per_teacher[r["teacher"]]
        c["rationales"] += 1
        c["invalid_scores"] += invalid.get(key, 0)
        c["correct"] += bool(r["correct"])
        if keep:
            accepted.append({**r, "review_mean": mean, "review_scores": valid})
            c["accepted"] += 1
            c["accepted_correct"] += bool(r["correct"])
    total = {k: sum(c[k] for c in per_teacher.values()) for k in ("rationales", "accepted", "invalid_scores", "correct", "accepted_correct")}
    report = {
        "threshold": threshold,
        "teachers": dict(per_teacher),
        **total,
        "pool_precision": total["correct"] / total["rationales"] if total["rationales"] else None,
        "accepted_precision": total["accepted_correct"] / total["accepted"] if total["accepted"] else None,
    }
    return accepted, report


def mistake_prompt(problem: dict, attempt: str) -> str:
    """The instruction of a mistake→feedback example: the problem and the student's own wrong attempt."""
    return f"{core_prompt(problem)}\n\nA student's attempt:\n---\n{attempt.strip()}\n---\nFind the mistake in the attempt, explain it, and solve the problem correctly."


def feedback_examples(problems: list[dict], accepted: list[dict]) -> list[dict]:
    """Alpaca rows: (problem + wrong attempt) → the teacher's whole feedback (explanation and solution)."""
    by_id = {p["id"]: p for p in problems}
    return [
        {"instruction": mistake_prompt(by_id[r["id"]], r["attempt"]), "input": "", "output": r["response"].strip()}
        for r in accepted
        if r["id"] in by_id and r.get("attempt") is not None
    ]


def review(reviewer: str, reviewer_cfg: dict, rationales: list[dict], problems: list[dict], cache_dir: str | None) -> tuple[list[dict], dict]:
    """One teacher's reviews of every other teacher's rationales, through the normal teacher engine."""
    from ..teachers import run_requests

    requests = review_requests(rationales, problems, reviewer, reviewer_cfg)
    completions, summary = run_requests(reviewer, reviewer_cfg, requests, cache_dir=cache_dir, desc=f"{reviewer}/review")
    rows = review_rows(reviewer, requests, completions)
    summary["invalid_scores"] = sum(r["score"] is None for r in rows)
    return rows, summary


METHOD = Method("fair", Settings, runs, figures=("fair",), gates=gates,
                foreign={"baseline": "only used by method undo"})
