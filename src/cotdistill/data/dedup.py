"""Disjoint splits: de-duplicate a split on its normalised question text, within itself and against the
splits that take precedence over it.

Precedence is ``test`` > ``train`` > ``dev``: the test split is only de-duplicated within itself (held-out
problems are never dropped for the sake of training data), ``train`` drops every question that is also in
``test``, and ``dev`` drops what is in ``test`` or ``train``. The key of a problem is its question (and
its choices) with Unicode compatibility forms folded, case folded, runs of whitespace collapsed, no
space next to punctuation or operators, thousands separators dropped and trailing decimal zeros cut
(``1,000.50`` = ``1000.5``), so two renderings of the same problem count as one. Where the source
exposes a template (``meta.template``, set for reasoning-gym's gsm_symbolic), ``disjoint: template``
on a dataset makes the splits template-disjoint instead: a training or dev problem is dropped when its
template is among the test split's.
"""

from __future__ import annotations

import re
import unicodedata

# Splits in order of precedence: each is de-duplicated against the ones before it.
PRECEDENCE = ("test", "train", "dev")

_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_DECIMAL = re.compile(r"(\d+)\.(\d*?)0+(?!\d)")
_SPACE_PUNCT = re.compile(r"\s*([^\w\s])\s*")


def _decimal(m: re.Match) -> str:
    return m.group(1) + (f".{m.group(2)}" if m.group(2) else "")


def normalise(text: str) -> str:
    """The comparison form of a question: case, whitespace and number formatting folded."""
    text = unicodedata.normalize("NFKC", str(text)).casefold()
    text = _THOUSANDS.sub("", text)
    text = _DECIMAL.sub(_decimal, text)
    text = " ".join(text.split())
    return _SPACE_PUNCT.sub(r"\1", text)


def key(problem: dict) -> str:
    """What two problems must share to be duplicates: the normalised question (and choices)."""
    choices = problem.get("choices")
    tail = "\x1f" + "\x1f".join(normalise(c) for c in choices) if choices else ""
    return normalise(problem["question"]) + tail


def template_of(problem: dict):
    return (problem.get("meta") or {}).get("template")


def earlier_splits(split: str) -> tuple[str, ...]:
    """The splits that ``split`` is de-duplicated against."""
    return PRECEDENCE[: PRECEDENCE.index(split)]


def dedup(problems: list[dict], earlier: dict[str, list[dict] | None], *, disjoint: str = "question") -> tuple[list[dict], dict]:
    """Problems of one split without duplicates within it or in the ``earlier`` splits (``None``: absent).

    Returns the kept problems (first occurrence wins, order kept) and counts for the split's summary.
    ``disjoint: template`` also drops problems whose template occurs in an earlier split."""
    if disjoint not in ("question", "template"):
        raise ValueError(f"disjoint: 'question' or 'template', not {disjoint!r}")
    seen: dict[str, str] = {}  # key -> split it was seen in
    templates: dict = {}
    for name, rows in earlier.items():
        for p in rows or []:
            seen.setdefault(key(p), name)
            if disjoint == "template" and template_of(p) is not None:
                templates.setdefault(template_of(p), name)
    if disjoint == "template" and problems and all(template_of(p) is None for p in problems):
        raise ValueError("disjoint: template needs problems whose meta carries a template (reasoning-gym's gsm_symbolic does)")
    kept, within, across = [], 0, {name: 0 for name in earlier}
    examples: list[str] = []
    own: set[str] = set()
    for p in problems:
        k = key(p)
        if k in own:
            within += 1
            continue
        hit = seen.get(k) or (templates.get(template_of(p)) if disjoint == "template" else None)
        if hit:
            across[hit] += 1
            if len(examples) < 5:
                examples.append(p["question"])
            continue
        own.add(k)
        kept.append(p)
    summary = {
        "loaded": len(problems),
        "kept": len(kept),
        "within_split_duplicates": within,
        "removed_as_in": across,
        "absent_splits": sorted(name for name, rows in earlier.items() if rows is None),
        "disjoint": disjoint,
        "examples_removed": examples,
    }
    return kept, summary
