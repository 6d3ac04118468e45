"""Pull the final answer out of a model response, and guess an answer type from a gold answer.

Order for maths: last ``\\boxed{}``, ``#### n``, the last "answer is / Final Answer:" phrase,
a response that is itself a short answer, the last ``$...$`` span, the last number.
Choices: boxed label, "answer is (B)", "B is correct", a lone "(B)", the option's text or value.
"""

from __future__ import annotations

import re

from .latex import boxed_answers, clean, joins_answers, last_boxed, unwrap_commands

MAX_RESPONSE_CHARS = 20_000  # only the tail of a longer response is searched

_NUMBER = r"-?\$?\s?\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?![\d,.-])|-?\$?\s?\d[\d,]*(?:\.\d+)?(?:\s*/\s*\d+)?%?|-?\.\d+"
_NUMBER_RE = re.compile(_NUMBER)
_HASHES = re.compile(r"####\s*([^\n]+)")
_PHRASE = re.compile(
    r"(?:final\s+answer|the\s+answer|answer)(?:\s*\([^()\n]{0,30}\))?"
    r"(?:\s+(?:is|would\s+be|should\s+be|will\s+be|=))?\s*(?:[:=]|\bis\b)?\s*",
    re.I,
)
_MATH_SPAN = re.compile(r"\$\$((?:\\\$|[^$])+?)\$\$|\$((?:\\\$|[^$])+?)\$|\\\((.+?)\\\)|\\\[(.+?)\\\]", re.S)
_LIST_ITEM = r"(?:[a-z](?:_\{?\d\}?)?\s*=\s*)?-?\d+(?:\.\d+)?"
# a response ending in a list of values: "... so the roots are 3 and -4." / "x = 1, x = 2 or x = 5."
_FINAL_LIST = re.compile(rf"(?<![\w.])({_LIST_ITEM}(?:\s*,\s*{_LIST_ITEM})*\s*,?\s+(?:and|or)\s+{_LIST_ITEM})\s*[.!]?\s*$")
_SENTENCE_END = re.compile(r"\.(?=\s|$)|\n|(?<=[a-z])\s*,\s+(?:so|and|which|because|since)\b|\bI hope\b")
_WORDS = re.compile(r"(?<![\\a-zA-Z])[a-zA-Z]{3,}(?![a-zA-Z])")

_YESNO = re.compile(r"\b(yes|no|true|false)\b", re.I)
_NLI = re.compile(r"\b(entail(?:ment|s|ed)?|neutral|contradict(?:ion|s|ed|ory)?)\b", re.I)
_CIRCLED = {chr(0x2460 + i): str(i + 1) for i in range(20)}


def _labels(choices: dict | None) -> list[str]:
    if choices and choices.get("label"):
        return [str(x) for x in choices["label"]]
    return list("ABCDE")


def _tail(response: str) -> str:
    return response[-MAX_RESPONSE_CHARS:]


def _phrase_spans(text: str) -> list[str]:
    """Texts following each "answer is"/"Final Answer:" phrase, last first."""
    return [text[m.end() : m.end() + 300] for m in reversed(list(_PHRASE.finditer(text)))]


def _first_sentence(span: str) -> str:
    m = _MATH_SPAN.match(span.lstrip())
    if m:  # "$20 \%$. I hope it is correct." -> the whole math span
        return next(g for g in m.groups() if g is not None)
    span = span.lstrip()
    # a "$" that does not open a closed math span is a currency sign
    end = _SENTENCE_END.search(span)
    return (span[: end.start()] if end else span).strip()


def _looks_short(text: str) -> bool:
    """A response that is itself an answer: short, at most two words (one beside maths)."""
    if len(text) > 200:
        return False
    plain = _MATH_SPAN.sub(" ", text)
    plain = re.sub(r"\\(?:begin|end)\{\w+\*?\}|\\[a-zA-Z]+", " ", plain)  # \begin{pmatrix} is no word
    words = sum(w.lower() not in ("and", "or") for w in _WORDS.findall(plain))
    return words <= (1 if plain != text else 2)


def _last_maths(text: str) -> str | None:
    """The last ``$...$`` span, with the spans just before it that only a separator joins to it
    ("$x_1 = 1$ and $x_2 = 3$" -> "x_1 = 1, x_2 = 3")."""
    spans = list(_MATH_SPAN.finditer(text))
    if not spans:
        return None
    out = [spans[-1]]
    for m in reversed(spans[:-1]):
        if not joins_answers(text[m.end() : out[0].start()]):
            break
        out.insert(0, m)
    return ", ".join(next(g for g in m.groups() if g is not None).strip() for m in out)


def _last_number(text: str) -> str | None:
    nums = _NUMBER_RE.findall(text)
    return nums[-1].strip().rstrip(".,") if nums else None


def _math_answer(text: str, answer_type: str) -> str | None:
    boxes = boxed_answers(text)
    if boxes:
        return ", ".join(boxes)  # "\\boxed{3} and \\boxed{-4}": one answer, a set
    m = list(_HASHES.finditer(text))
    if m:
        return m[-1].group(1).strip()
    for span in _phrase_spans(text):
        ans = _first_sentence(span)
        if not ans:
            continue
        if not _looks_short(ans):
            num = _last_number(re.sub(r"\$[^$]*\$", " ", ans)) if answer_type == "number" else None
            ans = num or _last_maths(ans) or _last_number(ans)
        if ans:
            return ans.strip()
    stripped = text.strip()
    if _looks_short(stripped):
        if answer_type == "number" and " " in stripped and _WORDS.search(re.sub(r"\\[a-zA-Z]+", " ", stripped)):
            return _last_number(stripped) or stripped.rstrip(".") or None  # "so 1234 in all" -> 1234
        return stripped.rstrip(".") or None
    if answer_type == "text" and len(stripped) <= 200:
        return stripped.rstrip(".")
    maths = _last_maths(text)
    if answer_type != "number" and maths:
        return maths
    listed = _FINAL_LIST.search(stripped[-300:]) if answer_type == "latex" else None
    if listed:
        return listed.group(1)
    return _last_number(text) or maths


def _label_in(text: str, labels: list[str], lowercase_ok: bool = False) -> str | None:
    alt = "|".join(re.escape(x) for x in sorted(labels, key=len, reverse=True))
    flags = re.I if lowercase_ok else 0
    m = re.search(rf"(?<![A-Za-z\\'])\(?({alt})\)?(?![A-Za-z'])", text, flags)
    if m:
        lab = m.group(1)
        return next((x for x in labels if x.lower() == lab.lower()), None)
    return None


def _norm_text(s: str) -> str:
    s, _ = clean(s)
    return re.sub(r"[^a-z0-9]+", " ", s.lower()).strip()


def _option_by_text(text: str, choices: dict | None, exact: bool = False) -> str | None:
    if not choices or not choices.get("text"):
        return None
    norm = _norm_text(text)
    if not norm:
        return None
    best, best_pos = None, -1
    for lab, opt in zip(choices["label"], choices["text"]):
        o = _norm_text(str(opt))
        if not o:
            continue
        if norm == o:
            return str(lab)
        if exact:
            continue
        pos = f" {norm} ".rfind(f" {o} ")
        if pos > best_pos:
            best, best_pos = str(lab), pos
    return best


def _option_by_value(text: str, choices: dict | None) -> str | None:
    if not choices or not choices.get("text"):
        return None
    from .compare import fast_compare  # local: compare imports nothing from here

    ans = _math_answer(text, "number")
    if ans is None:
        return None
    hits = [str(lab) for lab, opt in zip(choices["label"], choices["text"]) if fast_compare(ans, str(opt))[0]]
    return hits[0] if len(hits) == 1 else None


_OPEN_B, _CLOSE_B = r"[\(\[\{]", r"[\)\]\}]"  # a label in any bracket: (C) [C] {C}


def _choice(text: str, choices: dict | None) -> str | None:
    labels = _labels(choices)
    text = unwrap_commands(text).replace("**", "")  # \text{B}, \textbf{(E)}, markdown **C**
    boxed = last_boxed(text)
    if boxed is not None:
        lab = _label_in(boxed, labels) if len(boxed) < 200 else None
        if lab is None and re.fullmatch(r"\s*\(?[a-z]\)?\s*", boxed):
            lab = _label_in(boxed, labels, lowercase_ok=True)
        return lab or _option_by_text(boxed, choices) or _option_by_value(boxed, choices)
    stripped = text.strip()
    m = re.fullmatch(rf"{_OPEN_B}?\s*([A-Za-z])\s*{_CLOSE_B}?[.)]?", stripped)
    if m:
        return _label_in(m.group(1), labels, lowercase_ok=True)
    alt = "|".join(re.escape(x) for x in labels)
    for span in _phrase_spans(text):
        head = span[:60]
        if re.match(r"[\s,;]*not\b", head, re.I):  # "the answer is not B; it is C", "B is the answer, not A"
            continue
        head = re.sub(rf"{_OPEN_B}\s*({alt})\s*{_CLOSE_B}", r"(\1)", head, flags=re.I)
        lab = _option_by_text(_first_sentence(span), choices, exact=True)
        if lab:
            return lab
        if re.match(rf"\s*\(?(?:{alt})\)?(?:[.,;:)]|\s*$)", head, re.I):
            lab = _label_in(head, labels, lowercase_ok=True)
        lab = lab or _label_in(head.split("\n\n")[0], labels)
        if lab:
            return lab
        lab = _option_by_text(_first_sentence(span), choices)
        if lab:
            return lab
    m = list(re.finditer(rf"(?<![A-Za-z\\']){_OPEN_B}?({alt}){_CLOSE_B}?\s+is\s+(?:the\s+)?(?:correct|right|best|answer)", text))
    if m:
        return m[-1].group(1)
    # a label ending the response: "..., so it must be D." / "I would pick (a)."
    m = re.search(rf"(?<![A-Za-z\\'])(?:{_OPEN_B}({alt}){_CLOSE_B}|({alt}))\s*[.!]?\s*$", stripped, re.I)
    bare_lower = m and m.group(2) is not None and not m.group(2).isupper()  # "... is b": only after a verb
    if m and (not bare_lower or re.search(r"\b(?:is|be|pick|choose|select|option|choice)\s+\S+\s*$", stripped, re.I)):
        return _label_in(m.group(1) or m.group(2), labels, lowercase_ok=True)
    m = list(re.finditer(rf"(?:option|choice)[\s:]*\(?({alt})\)?(?![A-Za-z])", text, re.I))
    if m:
        return _label_in(m[-1].group(1), labels, lowercase_ok=True)
    last = stripped.rsplit("\n", 1)[-1].strip()
    m = re.fullmatch(rf"(?:option\s*)?\(?({alt})\)?[.)]?", last, re.I)
    if m:
        return _label_in(m.group(1), labels, lowercase_ok=True)
    m = list(re.finditer(rf"\(({alt})\)", text))
    if m:
        return m[-1].group(1)
    m = re.match(rf"\s*\(?({alt})[).:]\s", text)
    if m:
        return m.group(1)
    return _option_by_text(text[-300:], choices) if choices else None


def _word(text: str, pattern: re.Pattern, mapping) -> str | None:
    for span in _phrase_spans(text):
        m = pattern.search(span[:80])
        if m:
            return mapping(m.group(1))
    m = pattern.match(text.strip())
    if m:
        return mapping(m.group(1))
    hits = pattern.findall(text)
    return mapping(hits[-1]) if hits else None


def _yesno(word: str) -> str:
    return "yes" if word.lower() in ("yes", "true") else "no"


def _nli(word: str) -> str:
    w = word.lower()
    return "entailment" if w.startswith("entail") else "contradiction" if w.startswith("contradict") else "neutral"


def extract(response: str, answer_type: str = "number", choices: dict | None = None) -> str | None:
    """The final answer in ``response`` as a string (a label for choice/yesno/nli), or None."""
    if not response:
        return None
    text = _tail(str(response))
    for k, v in _CIRCLED.items():
        if k in text:
            text = text.replace(k, v)
    if answer_type == "choice":
        return _choice(text, choices)
    if answer_type == "yesno":
        return _word(last_boxed(text) or text, _YESNO, _yesno)
    if answer_type == "nli":
        return _word(last_boxed(text) or text, _NLI, _nli)
    return _math_answer(text, answer_type)


def infer_answer_type(gold: str) -> str:
    """number | latex | choice | yesno | nli | text, judged from a gold answer's form."""
    g = str(gold).strip()
    inner = last_boxed(g) or g
    c, _ = clean(inner)
    low = c.lower().strip(" .()")
    if low in ("yes", "no", "true", "false"):
        return "yesno"
    if low in ("entailment", "neutral", "contradiction"):
        return "nli"
    if re.fullmatch(r"\(?[A-J]\)?|\(?[a-d]\)|[a-d]|\(?[A-J]\)\s+[^()=]{1,80}", c.strip()):
        return "choice"  # C, (c), "(A) Paris"
    if re.fullmatch(r"-?\d{1,3}(?:,\d{3})+(?:\.\d+)?|-?\d+(?:\.\d+)?|-?\.\d+", c):
        return "number"
    if re.search(r"[\\^_{}=<>≤≥/]|\d", c) or len(c) <= 3:
        return "latex"
    return "text"
