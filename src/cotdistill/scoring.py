"""Scoring a run's generations against the gold answers: per-problem rows and metrics."""

from __future__ import annotations

from .answers import check, extract, is_undecided
from .stats import wilson


def score(run: str, problems: list[dict], generations: list[dict]) -> tuple[list[dict], dict]:
    """Eval rows (id, run, dataset, prompt, response, pred, gold, correct) and accuracy metrics (``accuracy_metrics``)."""
    by_id = {g["id"]: g for g in generations}
    missing = [p["id"] for p in problems if p["id"] not in by_id]
    if missing:
        raise ValueError(f"{len(missing)} problems have no generation (first: {missing[0]})")
    rows = []
    for p in problems:
        g = by_id[p["id"]]
        pred = extract(g["response"], p["answer_type"], p.get("choices"))
        ok, reason = check(pred, p["answer"], p["answer_type"])
        rows.append(
            {"id": p["id"], "run": run, "dataset": p["dataset"], "prompt": g["prompt"], "response": g["response"],
             "pred": pred, "gold": p["answer"], "correct": ok, "reason": reason, "undecided": is_undecided(reason)}
        )
    decoding = generations[0].get("decoding", "greedy") if generations else "greedy"  # cotdistill.decoding.label
    return rows, {"run": run, "dataset": problems[0]["dataset"] if problems else None, "decoding": decoding, **accuracy_metrics(rows)}


def accuracy_metrics(rows: list[dict]) -> dict:
    """n, k (correct), accuracy with its 95 % Wilson interval, and the share of responses without an answer."""
    n = len(rows)
    k = sum(bool(r["correct"]) for r in rows)
    low, high = wilson(k, n)
    return {"n": n, "k": k, "accuracy": k / n if n else 0.0, "ci_low": low, "ci_high": high,
            "no_answer": sum(r["pred"] is None for r in rows) / n if n else 0.0,
            "undecided": sum(bool(r.get("undecided")) for r in rows)}  # symbolic check timed out: not correct, not judged wrong
