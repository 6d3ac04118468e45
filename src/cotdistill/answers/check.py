"""Equivalence verdicts: ``check(pred, gold, answer_type) -> (bool, reason)``, and the CLI behind
``cotdistill check-answers``. A verdict never raises and never hangs: the fast path is pure Python;
only undecided maths goes to the symbolic worker, which is bounded by a wall-clock timeout. A case
the worker could not decide in time is False with a reason that ``is_undecided``; ``judge`` reports
its verdict as None ("undecided"), and the CLI and the run's metrics count it apart from wrong answers.
"""

from __future__ import annotations

import json
import re
import sys
from functools import lru_cache

from .compare import fast_compare
from .extract import extract, infer_answer_type
from .latex import MAX_ANSWER_CHARS, clean, last_boxed
from .structure import parse
from .symbolic import is_undecided, symbolic_equal

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
def _check(pred: str, gold: str, answer_type: str) -> tuple[bool | None, str]:
    """The verdict of everything but the symbolic worker (None: ask it); cached."""
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
    return None, "symbolic"


_SYMBOLIC: dict[tuple[str, str], tuple[bool, str]] = {}  # decided symbolic verdicts (an undecided one may be retried)


def _symbolic(pred: str, gold: str) -> tuple[bool, str]:
    key = (pred, gold)
    if key not in _SYMBOLIC:
        res = symbolic_equal(pred, gold)
        if is_undecided(res[1]):
            return res
        if len(_SYMBOLIC) > 65536:
            _SYMBOLIC.clear()
        _SYMBOLIC[key] = res
    return _SYMBOLIC[key]


def check(pred: str | None, gold: str, answer_type: str = "number") -> tuple[bool, str]:
    """(equivalent?, short reason) for an extracted ``pred`` against a gold answer."""
    if pred is None or not str(pred).strip():
        return False, "no answer extracted"
    try:
        pred, gold = str(pred).strip(), str(gold).strip()
        verdict, why = _check(pred, gold, answer_type)
        return (verdict, why) if verdict is not None else _symbolic(pred, gold)
    except Exception as e:  # noqa: BLE001 - a verdict must never raise
        return False, f"error: {type(e).__name__}: {e}"[:200]


def equivalent(pred: str | None, gold: str, answer_type: str = "number") -> bool:
    return check(pred, gold, answer_type)[0]


_KINDS = {"num": "number", "huge": "number", "expr": "expression", "set": "multiple_answers", "seq": "tuple_or_interval",
          "union": "interval", "rel": "relation", "matrix": "matrix", "text": "text"}


def answer_kind(gold_answer: str, answer_type: str) -> str:
    """A coarse kind of a gold answer for per-kind reports: the answer type for labels and text,
    else the shape the fast path parses it into (number, expression, relation, matrix, ...)."""
    if answer_type in ("choice", "yesno", "nli", "text"):
        return answer_type
    try:
        node = parse(clean(gold_answer)[0])
    except Exception:  # noqa: BLE001 - a report must not fail on one odd gold
        return "unparsed"
    return _KINDS.get("rel" if node.label is not None and node.kind == "rel" else node.kind, node.kind)


def _gold_option(gold: str) -> dict | None:
    """``(A) Paris`` as a gold: its own option text, so that a bare "Paris" reads as A."""
    m = re.fullmatch(r"\s*\(?([A-J])\)\s+(\S.{0,80})", str(gold))
    if not m:
        return None
    labels = sorted(set("ABCDE") | {m.group(1)})
    return {"label": labels, "text": [m.group(2).strip() if x == m.group(1) else "" for x in labels]}


def judge(pred: str, gold: str, answer_type: str | None = None, choices: dict | None = None) -> dict:
    """Extract from a raw (gold, pred) pair, then check: what the CLI writes per case. ``verdict`` is
    True, False, or None when the symbolic check could not decide (``undecided``)."""
    gold_ans = extract(gold, "latex") or str(gold)
    answer_type = answer_type or infer_answer_type(gold_ans)
    if answer_type == "choice" and not choices:
        choices = _gold_option(gold_ans)
    if answer_type in ("choice", "yesno", "nli"):
        gold_ans = extract(gold, answer_type, choices) or gold_ans
    pred_ans = extract(pred, answer_type, choices)
    ok, why = check(pred_ans, gold_ans, answer_type)
    undecided = is_undecided(why)
    return {"verdict": None if undecided else ok, "undecided": undecided, "reason": why, "answer_type": answer_type,
            "pred_answer": pred_ans, "gold_answer": gold_ans}


def _tally(rows: list[dict]) -> dict:
    """Agreement, false accepts/rejects and undecided cases of judged rows that carry a verdict."""
    n = len(rows)
    agree = sum(r["verdict"] == bool(r["equivalent"]) for r in rows)
    return {"cases": n, "agree": agree, "agreement": agree / n if n else 0.0,
            "false_accepts": sum(r["verdict"] is True and not r["equivalent"] for r in rows),
            "false_rejects": sum(r["verdict"] is False and bool(r["equivalent"]) for r in rows),
            "undecided": sum(r["verdict"] is None for r in rows)}


def group_of(row: dict, by: str) -> str:
    """A judged case's group for ``--by``: ``kind`` (the case's own ``kind`` field, else ``answer_kind``),
    ``answer_type`` or ``source`` (its text up to the first space)."""
    if by == "kind":
        return str(row.get("kind") or answer_kind(row["gold_answer"], row["answer_type"]))
    if by == "source":
        return str(row.get("source") or "-").split(" ")[0]
    return str(row.get(by) or "-")


def confusion_table(rows: list[dict], by: str) -> tuple[dict, str]:
    """Per-group tallies of judged rows with a verdict, as a dict and as a printable table."""
    groups: dict[str, list[dict]] = {}
    for r in rows:
        groups.setdefault(group_of(r, by), []).append(r)
    table = {g: _tally(rs) for g, rs in sorted(groups.items())}
    lines = [f"{by:<22s} {'cases':>6s} {'agree':>7s} {'false acc':>9s} {'false rej':>9s} {'undecided':>9s}"]
    for g, t in list(table.items()) + [("all", _tally(rows))]:
        lines.append(f"{g[:22]:<22s} {t['cases']:6d} {t['agreement']:7.3f} {t['false_accepts']:9d} "
                     f"{t['false_rejects']:9d} {t['undecided']:9d}")
    return table, "\n".join(lines)


def check_answers_cli(cases_path: str, out: str, by: str | None = None) -> int:
    """Judge every line of ``cases_path``; write JSON lines (``out`` "-" is stdout), ending with a
    summary (agreement, false accepts/rejects, undecided) when cases carry ``equivalent``; with
    ``by``, the summary has the same per group and a table goes to stderr. Returns the exit code."""
    from ..io import atomic_open, iter_jsonl

    rows = []
    try:
        for i, case in enumerate(iter_jsonl(cases_path), 1):
            if "gold" not in case or "pred" not in case:
                raise ValueError(f"{cases_path}: case {i} lacks 'gold' or 'pred'")
            res = judge(str(case["pred"] or ""), str(case["gold"]), case.get("answer_type"), case.get("choices"))
            row = dict(case)
            row.update(res)
            rows.append(row)
    except (OSError, ValueError) as e:
        print(f"check-answers: {e}", file=sys.stderr)
        return 2
    lines = [json.dumps(r, ensure_ascii=False) for r in rows]
    judged = [r for r in rows if "equivalent" in r]
    if judged:
        summary = _tally(judged)
        if by:
            summary[f"by_{by}"], table = confusion_table(judged, by)
            print(table, file=sys.stderr)
        lines.append(json.dumps(summary))
    if out == "-":
        sys.stdout.write("\n".join(lines) + ("\n" if lines else ""))
    else:
        with atomic_open(out) as fh:
            fh.write("\n".join(lines) + ("\n" if lines else ""))
    return 0
