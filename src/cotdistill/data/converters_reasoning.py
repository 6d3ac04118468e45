"""Converters for the reasoning benchmarks of "Simple, Scalable Reasoning via Iterated Summarization":
AIME (the CSV as released), GPQA diamond (multiple choice, options shuffled with a seed) and HARP.

Same contract as ``converters``: a raw row in, ``make_problem`` keyword arguments out (plus
``native_id``), ``BadRow`` for a row that cannot be converted. Registered in ``CONVERTERS`` by
``cotdistill.data``: formats ``aime``, ``gpqa`` and ``harp``.
"""

from __future__ import annotations

import hashlib
import random
import re

from .converters import LETTERS, BadRow, _choice_gold, _choices, _get, _result, _str, _text, normalize_number

GPQA_SEED = 0  # the options' order is a function of (seed, record id) only: the same in every run


# ---------------------------------------------------------------- AIME


def aime(row: dict) -> dict:
    """AIME as released: ``id,question,solution,answer`` (the reference's ``aime_2024.csv``) or the hub
    layout ``ID,Problem,Solution,Answer`` (Maxwell-Jia/AIME_2024; AIME 2025 sets with ``question, answer``).
    The gold is an integer 0-999."""
    gold = normalize_number(_get(row, "answer", "Answer"))
    if not gold.isdigit() or not 0 <= int(gold) <= 999:
        raise BadRow(f"AIME answer {gold!r} is not an integer from 0 to 999")
    meta = {k.lower(): row[k] for k in ("year", "Year", "url", "URL") if row.get(k) not in (None, "")}
    return _result(_text(row, "question", "Problem", "problem"), gold, "number",
                   solution=_text(row, "solution", "Solution", required=False), meta=meta,
                   native_id=_get(row, "id", "ID", required=False))


# ---------------------------------------------------------------- GPQA


def gpqa_clean(text) -> str:
    """GPQA's own option preprocessing (the reference repeats it): strip, ' [title]' -> '. ', drop '[...]'."""
    text = _str(text, "an option", numbers=True).strip()
    text = text.replace(" [title]", ". ")
    text = re.sub(r"\[.*?\]", "", text)
    return text.replace("  ", " ").strip()


def shuffled_options(correct: str, wrong: list[str], key: str, seed: int = GPQA_SEED) -> tuple[list[str], int]:
    """(options in a seeded order, index of the correct one): the order depends on ``(seed, key)`` only."""
    options = [*wrong, correct]
    digest = hashlib.sha256(f"gpqa:{seed}:{key}".encode()).hexdigest()
    random.Random(int(digest[:16], 16)).shuffle(options)
    return options, options.index(correct)


def _mc_block(question: str) -> tuple[str, dict, dict] | None:
    """A question whose options are written in its text ('Choices:' then '(A) ...' lines), as in the
    reference's ``gpqa_diamond_mc.csv``: (stem, choices, label map), or None."""
    stem, sep, block = question.rpartition("Choices:")
    lines = re.findall(r"^\s*\(([A-Z])\)\s*(.*?)\s*$", block, flags=re.M) if sep else []
    if len(lines) < 2:
        return None
    choices, mapping = _choices([{"label": lb, "text": t} for lb, t in lines])
    return stem.strip(), choices, mapping


def gpqa_converter(seed: int = GPQA_SEED):
    """A GPQA converter whose option order is seeded by ``seed`` (``CONVERTERS['gpqa']`` uses GPQA_SEED)."""

    def gpqa(row: dict) -> dict:
        """GPQA as released (``gpqa_diamond.csv``: Question, Correct Answer, Incorrect Answer 1-3,
        Explanation, Record ID): the four options shuffled by (seed, Record ID), the gold a letter. Also
        the reference's pre-shuffled ``id,question,solution,answer`` layout (options in the question)."""
        if row.get("Question") not in (None, ""):
            key = _str(_get(row, "Record ID", "id", required=False) or _text(row, "Question"), "Record ID", numbers=True)
            correct = gpqa_clean(_get(row, "Correct Answer"))
            wrong = [gpqa_clean(_get(row, f"Incorrect Answer {i}")) for i in (1, 2, 3)]
            if correct in wrong or len(set(wrong)) < 3:
                raise BadRow("options are not four distinct texts after cleaning")
            options, gold = shuffled_options(correct, wrong, key, seed)
            choices = {"label": list(LETTERS[:4]), "text": options}
            meta = {k: row[k] for k in ("High-level domain", "Subdomain") if row.get(k) not in (None, "")}
            return _result(_text(row, "Question"), LETTERS[gold], "choice", choices=choices,
                           solution=_text(row, "Explanation", required=False), meta={**meta, "shuffle_seed": seed},
                           native_id=key)
        parsed = _mc_block(_text(row, "question"))
        if parsed is None:
            raise BadRow("neither the release layout (Question, Correct Answer, Incorrect Answer 1-3) nor a "
                         "question with 'Choices:' and '(A) ...' option lines")
        stem, choices, mapping = parsed
        gold = _choice_gold(_get(row, "answer"), mapping, choices)
        return _result(stem, gold, "choice", choices=choices, solution=_text(row, "solution", required=False),
                       native_id=_get(row, "id", required=False))

    return gpqa


# ---------------------------------------------------------------- HARP


def _strip_dollars(answer: str) -> str:
    """HARP answers are written as inline math ('$10\\frac{2}{3}$'); the reference strips the dollars."""
    return answer.strip().strip("$").strip()


def harp(row: dict) -> dict:
    """HARP as released (``HARP.jsonl``: year, contest, number, level, subject, multiple_choice_only,
    problem, answer, solution_1..n; ``HARP_mcq.jsonl`` adds ``choices`` {letter: text} and
    ``answer_choice``) or the reference's ``id,question,solution,answer`` CSV. A multiple-choice-only
    problem without its choices is a bad row (``filter: {multiple_choice_only: false}`` leaves them out);
    ``filter: {level: 6}`` keeps one level."""
    question = _text(row, "problem", "question")
    meta = {k: row[k] for k in ("year", "contest", "number", "level", "subject") if row.get(k) not in (None, "")}
    native = _get(row, "id", required=False)
    if native is None and {"year", "contest", "number"} <= set(meta):
        native = f"{meta['year']}_{meta['contest']}_{meta['number']}"
    solution = _text(row, "solution_1", "solution", required=False)
    raw_choices = row.get("choices")
    if raw_choices not in (None, "", {}):
        if isinstance(raw_choices, dict) and "text" not in raw_choices:
            raw_choices = [{"label": k, "text": v} for k, v in sorted(raw_choices.items())]
        choices, mapping = _choices(raw_choices)
        gold = _choice_gold(_get(row, "answer_choice", "answer"), mapping, choices)
        return _result(question, gold, "choice", choices=choices, solution=solution, meta=meta, native_id=native)
    if row.get("multiple_choice_only") in (True, "True", "true"):
        raise BadRow("a multiple-choice-only problem without its choices (use HARP_mcq.jsonl, or "
                     "filter: {multiple_choice_only: false})")
    gold = _strip_dollars(_str(_get(row, "answer"), "field answer", numbers=True))
    if not gold:
        raise BadRow("empty answer")
    return _result(question, gold, "latex", solution=solution, meta=meta, native_id=native)


REASONING_CONVERTERS = {"aime": aime, "gpqa": gpqa_converter(GPQA_SEED), "harp": harp}
