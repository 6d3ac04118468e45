"""Multi-style CoT: the enriched log's schema, the correct-only set, and the SFT mixes."""

from __future__ import annotations

from cotdistill.answers import check, extract
from cotdistill.data.generators import generate_split
from cotdistill.methods.multistyle import correct_only, enrich, sft_rationales, style_accuracy
from cotdistill.rationales import solve

STYLES = ["step_by_step", "code", "plain"]
CFG = {"kind": "offline", "error_rate": 0.0, "style_error_rates": {"plain": 0.6, "code": 0.2}, "seed": 5}


def enriched():
    problems = generate_split("cs", {"generator": "chain_sum", "n_train": 60, "seed": 2}, "train")
    rationales = {s: solve("t", CFG, problems, f"style-{s}", None)[0] for s in STYLES}
    return problems, enrich(problems, STYLES, rationales)


def test_enriched_log_schema():
    problems, rows = enriched()
    assert len(rows) == len(problems)
    for row in rows:
        assert set(row) == {"id", "question", "answer", "styles", "prompts", "responses", "preds", "correct_flags"}
        assert row["styles"] == STYLES
        assert all(len(row[k]) == len(STYLES) for k in ("prompts", "responses", "preds", "correct_flags"))
        # every flag is the checker's verdict on that style's response (recomputed here), not just a bool
        assert row["correct_flags"] == [check(extract(r, "number"), row["answer"], "number")[0] for r in row["responses"]]
    # each style's prompt carries its own instruction
    assert "Python program" in rows[0]["prompts"][1] and "step by step" in rows[0]["prompts"][0]


def test_correct_only_and_style_accuracy():
    _, rows = enriched()
    acc = style_accuracy(rows)
    assert acc["step_by_step"] == 1.0 and acc["plain"] < acc["code"] < 1.0
    kept = correct_only(rows)
    assert kept == [r for r in rows if any(r["correct_flags"])] and len(kept) == len(rows)


def test_sft_mixes():
    _, rows = enriched()
    everything = sft_rationales(rows, "all")
    assert len(everything) == len(rows) * len(STYLES)
    best = sft_rationales(rows, "best")
    assert len(best) == len(rows) and all(r["correct"] for r in best)
    assert {r["style"] for r in best} == {"step_by_step"}  # the teacher's most accurate style


def test_capped_all_mix_samples_many_problems():
    """LLaMA-Factory's max_samples keeps the first N rows: the SFT set is shuffled (seeded) so that a cap
    on the all-styles mix covers many problems, not the first few problems' every style."""
    from cotdistill.sft import build_sft

    problems, rows = enriched()
    sft, stats = build_sft(problems, sft_rationales(rows, "all"), "correct")
    assert stats["kept"] == len(sft)
    first = {r["instruction"] for r in sft[: len(problems) // 2]}
    assert len(first) > len(problems) // 4  # unshuffled, the first half would hold ~len/6 problems
    assert sft == build_sft(problems, sft_rationales(rows, "all"), "correct")[0]  # deterministic
