"""Multi-style CoT (Distill): one problem, N reasoning styles; the enriched log, the correct-only set
and the SFT mixes built from them (all correct styles, best-of-styles)."""

from __future__ import annotations


def enrich(problems: list[dict], styles: list[str], rationales: dict[str, list[dict]]) -> list[dict]:
    """One row per problem with per-style ``prompts``, ``responses``, ``preds``, ``correct_flags``
    (lists in ``styles`` order), as the Distill scripts write them."""
    by_style = {s: {r["id"]: r for r in rationales[s]} for s in styles}
    rows = []
    for p in problems:
        got = [by_style[s].get(p["id"]) for s in styles]
        if any(r is None for r in got):
            continue
        rows.append(
            {
                "id": p["id"],
                "question": p["question"],
                "answer": p["answer"],
                "styles": list(styles),
                "prompts": [r["messages"][-1]["content"] for r in got],
                "responses": [r["response"] for r in got],
                "preds": [r["pred"] for r in got],
                "correct_flags": [bool(r["correct"]) for r in got],
            }
        )
    return rows


def correct_only(rows: list[dict]) -> list[dict]:
    """Problems that at least one style got right."""
    return [r for r in rows if any(r["correct_flags"])]


def style_accuracy(rows: list[dict]) -> dict[str, float]:
    if not rows:
        return {}
    styles = rows[0]["styles"]
    return {s: sum(r["correct_flags"][i] for r in rows) / len(rows) for i, s in enumerate(styles)}


def sft_rationales(rows: list[dict], mode: str) -> list[dict]:
    """Rationale rows (id, response, correct) for an SFT mix: ``all`` correct styles, or ``best`` — per
    problem the correct response of the style the teacher is most accurate with overall."""
    if mode == "all":
        return [
            {"id": r["id"], "response": resp, "correct": ok, "style": s}
            for r in rows
            for s, resp, ok in zip(r["styles"], r["responses"], r["correct_flags"])
        ]
    if mode == "best":
        acc = style_accuracy(rows)
        out = []
        for r in rows:
            ranked = sorted(range(len(r["styles"])), key=lambda i: (-r["correct_flags"][i], -acc[r["styles"][i]], i))
            i = ranked[0]
            out.append({"id": r["id"], "response": r["responses"][i], "correct": r["correct_flags"][i], "style": r["styles"][i]})
        return out
    raise ValueError(f"multistyle SFT mode must be 'all' or 'best', not {mode!r}")
