"""Equivalence verdicts: ``check(pred, gold, answer_type) -> (bool, reason)``, and the CLI behind
``cotdistill check-answers``. A verdict never raises and never hangs: the fast path is pure Python;
only undecided maths goes to the symbolic worker, which is bounded by a wall-clock timeout.
"""

from __future__ import annotations

import json
import re
import sys
from functools import lru_cache

from .compare import fast_compare
from .extract import extract, infer_answer_type
from .latex import MAX_ANSWER_CHARS, clean, last_boxed
from .symbolic import symbolic_equal

_YES = {"yes", "true", "y", "correct"}
_NO = {"no", "false", "n", "incorrect"}
_NLI = {"entailment": "entailment", "entails": "entailment", "neutral": "neutral",
        "contradiction": "contradiction", "contradicts": "contradiction"}


def _plain(s: str) -> str:
    s = last_boxed(s) or s
    s, _ = clean(s)
    return re.sub(r"[^a-z0-9]+", " ", s.lower()).strip()


def _label(s: str) -> str:
    p = _plain(s)
    m = re.fullmatch(r"(?:option |choice |answer )?([a-z])", p)
    return m.group(1).upper() if m else p.upper()


def _text_equal(pred: str, gold: str) -> bool:
    drop = re.compile(r"\b(?:the|a|an)\b")
    return re.sub(r"\s+", " ", drop.sub(" ", _plain(pred))).strip() == re.sub(r"\s+", " ", drop.sub(" ", _plain(gold))).strip()


@lru_cache(maxsize=65536)
def _check(pred: str, gold: str, answer_type: str) -> tuple[bool, str]:
    if answer_type == "choice":
        p, g = _label(pred), _label(gold)
        return p == g, f"choice {p} vs {g}"
    if answer_type == "yesno":
        p, g = _plain(pred), _plain(gold)
        p = "yes" if p in _YES else "no" if p in _NO else p
        g = "yes" if g in _YES else "no" if g in _NO else g
        return p == g, f"yes/no {p!r} vs {g!r}"
    if answer_type == "nli":
        p, g = _NLI.get(_plain(pred), _plain(pred)), _NLI.get(_plain(gold), _plain(gold))
        return p == g, f"nli {p!r} vs {g!r}"
    if answer_type == "text" and _text_equal(pred, gold):
        return True, "text equal"
    verdict, why = fast_compare(pred, gold)
    if verdict is not None:
        return verdict, why
    if answer_type == "text":
        return False, "text differs"
    if len(pred) > MAX_ANSWER_CHARS or len(gold) > MAX_ANSWER_CHARS:
        return False, "answer too long for symbolic check"
    return symbolic_equal(pred, gold)


def check(pred: str | None, gold: str, answer_type: str = "number") -> tuple[bool, str]:
    """(equivalent?, short reason) for an extracted ``pred`` against a gold answer."""
    if pred is None or not str(pred).strip():
        return False, "no answer extracted"
    try:
        return _check(str(pred).strip(), str(gold).strip(), answer_type)
    except Exception as e:  # noqa: BLE001 - a verdict must never raise
        return False, f"error: {type(e).__name__}: {e}"[:200]


def equivalent(pred: str | None, gold: str, answer_type: str = "number") -> bool:
    return check(pred, gold, answer_type)[0]


def judge(pred: str, gold: str, answer_type: str | None = None, choices: dict | None = None) -> dict:
    """Extract from a raw (gold, pred) pair, then check: what the CLI writes per case."""
    gold_ans = extract(gold, "latex") or str(gold)
    answer_type = answer_type or infer_answer_type(gold_ans)
    if answer_type in ("choice", "yesno", "nli"):
        gold_ans = extract(gold, answer_type, choices) or gold_ans
    pred_ans = extract(pred, answer_type, choices)
    ok, why = check(pred_ans, gold_ans, answer_type)
    return {"verdict": ok, "reason": why, "answer_type": answer_type, "pred_answer": pred_ans, "gold_answer": gold_ans}


def check_answers_cli(cases_path: str, out: str) -> int:
    """Judge every line of ``cases_path``; write JSON lines (``out`` "-" is stdout); return exit code."""
    from ..io import atomic_open, iter_jsonl

    rows, n, agree = [], 0, 0
    try:
        for i, case in enumerate(iter_jsonl(cases_path), 1):
            if "gold" not in case or "pred" not in case:
                raise ValueError(f"{cases_path}: case {i} lacks 'gold' or 'pred'")
            res = judge(str(case["pred"] or ""), str(case["gold"]), case.get("answer_type"), case.get("choices"))
            row = dict(case)
            row.update(res)
            rows.append(row)
            if "equivalent" in case:
                n += 1
                agree += res["verdict"] == bool(case["equivalent"])
    except (OSError, ValueError) as e:
        print(f"check-answers: {e}", file=sys.stderr)
        return 2
    lines = [json.dumps(r, ensure_ascii=False) for r in rows]
    if n:
        lines.append(json.dumps({"cases": n, "agree": agree, "agreement": agree / n}))
    if out == "-":
        sys.stdout.write("\n".join(lines) + ("\n" if lines else ""))
    else:
        with atomic_open(out) as fh:
            fh.write("\n".join(lines) + ("\n" if lines else ""))
    return 0
