"""Per-dataset converters: one source row (release file or hub layout) -> problem fields.

Each converter takes a raw row dict and returns the keyword arguments of ``make_problem`` except
``id``/``dataset``/``split``, plus ``native_id`` (the row's own id, or None). A row that cannot be
converted raises ``BadRow``; the loader adds the file and line. Gold answers are normalised here:
numbers without thousands separators or trailing zeros, choice golds as letters, yes/no and NLI
labels as lower-case words.
"""

from __future__ import annotations

import hashlib
import re
from decimal import Decimal, InvalidOperation

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
NLI_LABELS = ("entailment", "neutral", "contradiction")


class BadRow(ValueError):
    """A source row that cannot be converted (missing field, wrongly typed field, unparsable gold)."""


SCALARS = (str, int, float, Decimal)


def _kind(value) -> str:
    return {dict: "an object", list: "a list", tuple: "a list", bool: "a boolean"}.get(type(value), type(value).__name__)


def _scalar(value, what: str):
    """``value`` if it is a string or a number (not a boolean, list or object), else BadRow."""
    if isinstance(value, bool) or not isinstance(value, SCALARS):
        raise BadRow(f"{what} is {_kind(value)}, not text or a number")
    return value


def _str(value, what: str, required: bool = True, numbers: bool = False) -> str | None:
    """``value`` as text: a string (or, with ``numbers``, a number), else BadRow naming the field."""
    if value is None and not required:
        return None
    if numbers:
        return str(_scalar(value, what))
    if not isinstance(value, str):
        raise BadRow(f"{what} is {_kind(value)}, not text")
    return value


# ---------------------------------------------------------------- gold parsing helpers


def normalize_number(text) -> str:
    """'1,234' -> '1234', '51.0' -> '51', '$3.50' -> '3.5'; raise BadRow if not a plain number."""
    s = str(_scalar(text, "gold answer")).strip().replace(",", "").replace("$", "").replace(" ", "").rstrip(".")
    try:
        d = Decimal(s)
    except InvalidOperation:
        raise BadRow(f"gold answer {str(text)!r} is not a number") from None
    if not d.is_finite():
        raise BadRow(f"gold answer {str(text)!r} is not a finite number")
    if d == d.to_integral_value():
        return str(int(d))
    return format(d.normalize(), "f")


def last_boxed(text: str) -> str | None:
    """Content of the last ``\\boxed{...}`` (or ``\\fbox{...}``) in ``text``, nested braces kept."""
    text = text or ""
    starts = [m.end() for m in re.finditer(r"\\(?:boxed|fbox)\s*\{", text)]
    for start in reversed(starts):
        depth, i = 1, start
        while i < len(text):
            c = text[i]
            if c == "\\" and i + 1 < len(text):
                i += 2  # skip escaped characters such as \{ and \}
                continue
            if c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
                if depth == 0:
                    return text[start:i].strip()
            i += 1
    m = re.findall(r"\\boxed ([^\s$]+)", text)  # the brace-less form "\boxed 5"
    return m[-1].strip() if m else None


def _get(row: dict, *keys, required: bool = True):
    """First present, non-empty value among ``keys`` (``a.b`` reaches into a nested dict)."""
    for key in keys:
        value = row
        for part in key.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if value not in (None, ""):
            return value
    if required:
        raise BadRow(f"missing field {' / '.join(keys)}")
    return None


def _text(row: dict, *keys, required: bool = True) -> str | None:
    """``_get`` for a text field: a list or object there is a bad row, not a stringified value."""
    return _str(_get(row, *keys, required=required), f"field {' / '.join(keys)}", required=False)


def _choices(raw) -> tuple[dict, dict]:
    """Normalise options to ``{'label': [A..], 'text': [...]}``; also return original->letter map.

    Accepts ``{'label': [...], 'text': [...]}``, ``[{'label', 'text'}, ...]``, ``['A) x', ...]`` and
    plain ``['x', ...]``. Numeric labels ('1'..'4', as in some ARC rows) become letters.
    """
    if isinstance(raw, dict) and "text" in raw:
        if not isinstance(raw["text"], (list, tuple)) or not isinstance(raw.get("label") or [], (list, tuple)):
            raise BadRow(f"choices {raw!r} are not a list of options")
        texts = list(raw["text"])
        labels = list(raw.get("label") or LETTERS[: len(texts)])
    elif isinstance(raw, (list, tuple)) and raw and all(isinstance(c, dict) for c in raw):
        texts = [c.get("text") for c in raw]
        labels = [c.get("label") for c in raw]
    elif isinstance(raw, (list, tuple)) and raw:
        texts, labels = [], []
        for i, opt in enumerate(raw):
            m = re.match(r"^\s*\(?([A-Z])\s*[).:]\s*(.*)$", str(_scalar(opt, "an option")), flags=re.S)
            if m:
                labels.append(m.group(1))
                texts.append(m.group(2).strip())
            else:
                labels.append(LETTERS[i])
                texts.append(str(opt).strip())
    else:
        raise BadRow(f"choices {raw!r} are not a list of options")
    if len(texts) != len(labels) or any(t is None for t in texts) or any(lb is None for lb in labels):
        raise BadRow("choices have missing labels or texts")
    for value in (*texts, *labels):
        _scalar(value, "an option's label or text")
    labels = [str(lb).strip() for lb in labels]
    if len(set(labels)) != len(labels):
        raise BadRow(f"duplicate choice labels {labels}")
    letters = labels if all(lb in LETTERS for lb in labels) else list(LETTERS[: len(labels)])
    mapping = dict(zip(labels, letters))
    return {"label": letters, "text": [str(t).strip() for t in texts]}, mapping


def _choice_gold(key, mapping: dict, choices: dict) -> str:
    """The gold letter for answer key ``key`` (a label, or an int index into the options)."""
    if isinstance(key, bool) or not isinstance(key, (str, int)):
        raise BadRow(f"answer key {key!r} is not an option label")
    if isinstance(key, int):
        if not 0 <= key < len(choices["label"]):
            raise BadRow(f"answer index {key} is out of range for {len(choices['label'])} options")
        return choices["label"][key]
    key = str(key).strip().strip("()")
    if key in mapping:
        return mapping[key]
    raise BadRow(f"answer key {key!r} is not one of the option labels {list(mapping)}")


def _result(question, answer, answer_type, *, choices=None, context=None, solution=None,
            meta=None, native_id=None) -> dict:
    question = _str(question, "the question")
    context = _str(context, "the context", required=False)
    solution = _str(solution, "the solution", required=False)
    if not question.strip():
        raise BadRow("empty question")
    return {
        "question": question.strip(),
        "answer": answer,
        "answer_type": answer_type,
        "choices": choices,
        "context": context,
        "solution": solution,
        "meta": meta or {},
        "native_id": None if native_id in (None, "") else str(native_id),
    }


# ---------------------------------------------------------------- math word problems


def gsm8k(row: dict) -> dict:
    """GSM8K release / openai/gsm8k: answer is '<solution>\\n#### <number>'."""
    question = _text(row, "question")
    full = _text(row, "answer")
    if "####" not in full:
        raise BadRow("answer has no '#### <number>' line")
    body, _, gold = full.rpartition("####")
    solution = re.sub(r"<<[^<>]*>>", "", body).strip() or None
    return _result(question, normalize_number(gold), "number", solution=solution)


def svamp(row: dict) -> dict:
    """SVAMP.json release / ChilleD/SVAMP: Body + Question, numeric Answer, Equation kept in meta."""
    question = _text(row, "question_concat", required=False)
    if question is None:
        question = f"{_text(row, 'Body').strip()} {_text(row, 'Question').strip()}"
    meta = {k.lower(): row[k] for k in ("Equation", "Type") if row.get(k) not in (None, "")}
    return _result(question, normalize_number(_get(row, "Answer")), "number", meta=meta,
                   native_id=row.get("ID"))


def competition_math(row: dict) -> dict:
    """MATH, MATH-500, NuminaMath-CoT: gold is the ``answer`` field or the solution's last \\boxed{}."""
    solution = _str(row.get("solution"), "field solution", required=False)
    gold = _str(row.get("answer"), "field answer", required=False, numbers=True)
    if gold in (None, ""):
        gold = last_boxed(solution or "")
    if gold in (None, ""):
        raise BadRow("no 'answer' field and no \\boxed{} in the solution")
    meta = {k: row[k] for k in ("level", "subject", "type", "source") if row.get(k) not in (None, "")}
    return _result(_text(row, "problem", "question"), gold.strip(), "latex",
                   solution=solution or None, meta=meta, native_id=row.get("unique_id"))


def aqua(row: dict) -> dict:
    """AQuA-RAT release / deepmind/aqua_rat: options ['A)…'], correct letter, rationale."""
    choices, mapping = _choices(_get(row, "options"))
    gold = _choice_gold(_get(row, "correct"), mapping, choices)
    return _result(_get(row, "question"), gold, "choice", choices=choices,
                   solution=row.get("rationale") or None)


def mmlu_pro(row: dict) -> dict:
    """TIGER-Lab/MMLU-Pro: options list (up to 10), answer letter or answer_index, cot_content."""
    choices, mapping = _choices(_get(row, "options"))
    key = row.get("answer") if row.get("answer") not in (None, "") else _get(row, "answer_index")
    gold = _choice_gold(key, mapping, choices)
    meta = {k: row[k] for k in ("category", "src") if row.get(k) not in (None, "")}
    return _result(_get(row, "question"), gold, "choice", choices=choices,
                   solution=row.get("cot_content") or None, meta=meta, native_id=row.get("question_id"))


def tabmwp(row: dict) -> dict:
    """TabMWP release (problems_*.json keyed by pid): table as context, free text or multi choice."""
    table = _text(row, "table")
    title = _str(row.get("table_title"), "field table_title", required=False)
    context = f"Table: {title}\n{table}" if title else f"Table:\n{table}"
    answer = _str(_get(row, "answer"), "field answer", numbers=True)
    meta = {k: row[k] for k in ("unit", "ques_type", "ans_type", "grade") if row.get(k) not in (None, "")}
    choices = None
    if row.get("choices"):
        if not isinstance(row["choices"], (list, tuple)):
            raise BadRow(f"choices {row['choices']!r} are not a list of options")
        choices, _ = _choices([_str(c, "an option", numbers=True) for c in row["choices"]])
        matches = [lb for lb, t in zip(choices["label"], choices["text"]) if t == str(answer).strip()]
        if len(matches) != 1:
            raise BadRow(f"answer {answer!r} is not exactly one of the choices {choices['text']}")
        gold, answer_type = matches[0], "choice"
    elif row.get("ans_type") in ("integer_number", "decimal_number"):
        gold, answer_type = normalize_number(answer), "number"
    else:
        gold, answer_type = str(answer).strip(), "text"
    return _result(_get(row, "question"), gold, answer_type, choices=choices, context=context,
                   solution=row.get("solution") or None, meta=meta, native_id=row.get("pid"))


# ---------------------------------------------------------------- commonsense / science / logic


def multiple_choice(row: dict) -> dict:
    """CommonsenseQA, OpenBookQA, ARC: the original nested release and the flat hub layout.

    Release: ``{id, answerKey, question: {stem, choices: [{label, text}]}}``; hub:
    ``{id, question|question_stem, choices: {label: [], text: []}, answerKey}``.
    """
    nested = isinstance(row.get("question"), dict)
    question = _get(row, "question.stem") if nested else _get(row, "question", "question_stem")
    raw = _get(row, "question.choices", "choices") if nested else _get(row, "choices")
    choices, mapping = _choices(raw)
    gold = _choice_gold(_get(row, "answerKey"), mapping, choices)
    meta = {}
    concept = _get(row, "question.question_concept", "question_concept", required=False)
    if concept:
        meta["question_concept"] = concept
    fact = _get(row, "fact1", required=False)
    return _result(question, gold, "choice", choices=choices, meta=meta, solution=fact,
                   native_id=row.get("id"))


def strategyqa(row: dict) -> dict:
    """StrategyQA: BIG-bench task (input, target_scores, target) or the release/hub (question, answer bool)."""
    if "target_scores" in row:
        question = _get(row, "input")
        if not isinstance(row["target_scores"], dict):
            raise BadRow(f"target_scores is {_kind(row['target_scores'])}, not an object of option: score")
        yes = [k for k, v in row["target_scores"].items() if v == 1]
        if len(yes) != 1 or yes[0].strip().lower() not in ("yes", "no"):
            raise BadRow(f"target_scores {row['target_scores']!r} do not mark exactly one of Yes/No")
        gold = yes[0].strip().lower()
        target = str(row.get("target") or "")
        solution = re.sub(r"^\s*(yes|no)\s*[.,:]\s*", "", target, flags=re.I).strip() or None
    else:
        question = _get(row, "question")
        raw = _get(row, "answer")
        value = str(raw if isinstance(raw, bool) else _scalar(raw, "field answer")).strip().lower()
        if raw is True or value in ("true", "yes"):
            gold = "yes"
        elif raw is False or value in ("false", "no"):
            gold = "no"
        else:
            raise BadRow(f"answer {raw!r} is not yes/no/true/false")
        facts = row.get("facts")
        if isinstance(facts, list):
            facts = " ".join(_str(f, "a fact") for f in facts)
        solution = _str(facts, "field facts", required=False) or None
    return _result(question, gold, "yesno", solution=solution, native_id=row.get("qid"))


_NLI = {"0": 0, "1": 1, "2": 2, "e": 0, "n": 1, "c": 2, **{name: i for i, name in enumerate(NLI_LABELS)}}


def anli(row: dict) -> dict:
    """ANLI: premise (or release 'context') + hypothesis; label e/n/c, 0/1/2 (hub) or a name."""
    raw = _get(row, "label")
    key = str(_scalar(raw, "field label")).strip().lower()
    if isinstance(raw, bool) or key not in _NLI:
        raise BadRow(f"label {raw!r} is not an NLI label (entailment/neutral/contradiction, e/n/c, 0/1/2)")
    return _result(_get(row, "hypothesis"), NLI_LABELS[_NLI[key]], "nli",
                   context=_text(row, "premise", "context").strip(),
                   solution=row.get("reason") or None, native_id=row.get("uid"))


def date_understanding(row: dict) -> dict:
    """BIG-bench date_understanding (input, target_scores) or BBH (input with 'Options:', target '(A)')."""
    question = _text(row, "input")
    if "target_scores" in row:
        # BIG-bench lists the correct option first; a fixed, content-seeded shuffle keeps the gold
        # letter from always being (A) while giving the same order in every run.
        scores = row["target_scores"]
        if not isinstance(scores, dict) or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in scores.values()):
            raise BadRow(f"target_scores {scores!r} is not an object of option: 0/1 score")
        if sorted(scores.values()) != [0] * (len(scores) - 1) + [1]:
            raise BadRow(f"target_scores {scores!r} do not mark exactly one correct option")
        options = sorted(scores, key=lambda o: hashlib.sha1(f"{question}\x00{o}".encode()).hexdigest())
        choices, _ = _choices(options)
        gold = choices["label"][options.index(next(o for o, v in scores.items() if v == 1))]
        return _result(question, gold, "choice", choices=choices, meta={"options_shuffled": True})
    stem, sep, opts = question.partition("Options:")
    if not sep:
        raise BadRow("no target_scores and no 'Options:' block in the input")
    choices, mapping = _choices([ln for ln in opts.strip().splitlines() if ln.strip()])
    gold = _choice_gold(_get(row, "target"), mapping, choices)
    return _result(stem, gold, "choice", choices=choices)


def logiqa(row: dict) -> dict:
    """LogiQA (lucasmccabe/logiqa: context, query, options, correct_option; LogiQA 2.0: text, question, answer)."""
    choices, mapping = _choices(_get(row, "options"))
    key = row.get("correct_option")
    if key in (None, ""):
        key = _get(row, "answer")
    gold = _choice_gold(key, mapping, choices)
    return _result(_get(row, "query", "question"), gold, "choice", choices=choices,
                   context=_text(row, "context", "text").strip())


CONVERTERS = {
    "gsm8k": gsm8k,
    "svamp": svamp,
    "math": competition_math,
    "math500": competition_math,
    "numinamath": competition_math,
    "aqua": aqua,
    "mmlu_pro": mmlu_pro,
    "tabmwp": tabmwp,
    "strategyqa": strategyqa,
    "commonsenseqa": multiple_choice,
    "openbookqa": multiple_choice,
    "arc_challenge": multiple_choice,
    "anli": anli,
    "date_understanding": date_understanding,
    "logiqa": logiqa,
}
