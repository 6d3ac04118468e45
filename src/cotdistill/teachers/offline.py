"""The built-in offline teacher: rule-based, deterministic, no network.

It is honest about what it is. It derives rationales from each task's own structure (the expression
tree of an arithmetic problem; the reference solution where a dataset ships one; otherwise it knows the
gold answer and says little), renders every style, granularity and format of ``prompts/solve.yaml``,
makes mistakes at a configured rate (an arithmetic slip that propagates), and reviews, gives feedback
and summarizes by checking each step against the gold answer. It reads ``Request.task``, not the text.
"""

from __future__ import annotations

import ast
import hashlib
import operator
import random
import re
from dataclasses import dataclass
from fractions import Fraction

from .base import Completion, Request

_OPS = {ast.Add: ("+", operator.add), ast.Sub: ("-", operator.sub), ast.Mult: ("*", operator.mul), ast.Div: ("/", operator.truediv)}
_VERB = {"+": "add {b} to {a}", "-": "subtract {b} from {a}", "*": "multiply {a} by {b}", "/": "divide {a} by {b}"}
_SLIPS = (-10, -2, -1, 1, 2, 10)


def fmt(x: Fraction | int) -> str:
    x = Fraction(x)
    if x.denominator == 1:
        return str(x.numerator)
    return f"{float(x):.4g}"


@dataclass
class Step:
    a: str  # left operand as written
    op: str
    b: str
    value: Fraction
    a_ref: int | None = None  # index of the step whose result is the left operand
    b_ref: int | None = None

    def equation(self) -> str:
        return f"{self.a} {self.op} {self.b} = {fmt(self.value)}"


class Derivation:
    """Steps that compute an arithmetic expression left to right, post-order, with an optional slip."""

    def __init__(self, expression: str, slip_at: int | None = None, slip: int = 0):
        self.expression = expression
        self.steps: list[Step] = []
        self._slip_at, self._slip = slip_at, slip
        tree = ast.parse(expression.replace("−", "-").replace("×", "*").replace("÷", "/"), mode="eval").body
        self.value = self._eval(tree)[0]

    def _eval(self, node) -> tuple[Fraction, int | None]:
        """Value of ``node`` and the index of the step that produced it (None for a literal)."""
        if isinstance(node, ast.Constant):
            return Fraction(node.value), None
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            value, ref = self._eval(node.operand)
            return -value, ref
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            (left, a_ref), (right, b_ref) = self._eval(node.left), self._eval(node.right)
            sym, fn = _OPS[type(node.op)]
            value = fn(left, right)
            if self._slip_at is not None and len(self.steps) == self._slip_at:
                value += self._slip
            self.steps.append(Step(fmt(left), sym, fmt(right), value, a_ref, b_ref))
            return value, len(self.steps) - 1
        raise ValueError(f"unsupported expression: {self.expression!r}")

    @staticmethod
    def count_steps(expression: str) -> int:
        return len(Derivation(expression).steps)


def _chunks(items: list, size: int) -> list[list]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def _unit_expression(unit: list[Step]) -> str:
    """A run of chained steps written as one expression: 8 + 2 + 8 = 18."""
    text = unit[0].a
    for s in unit:
        text += f" {s.op} {s.b}"
    return f"{text} = {fmt(unit[-1].value)}"


def _is_chain(steps: list[Step]) -> bool:
    return all(cur.a_ref == i and cur.b_ref is None for i, cur in enumerate(steps[1:]))


def render_arithmetic(d: Derivation, granularity: int, form: str, question_expr: str) -> list[str]:
    """Lines of a rationale at a granularity (1 coarsest … 6 finest) and format."""
    steps = d.steps
    if not steps:
        return [f"{question_expr} = {fmt(d.value)}."]
    chain = _is_chain(steps)
    if granularity == 1:
        units = [steps]
    elif granularity == 2 and chain:
        units = _chunks(steps, 3)
    else:
        units = [[s] for s in steps]
    lines = []
    if form == "restate":
        lines.append(f"Restating the problem: we need the value of {question_expr}.")
    for i, unit in enumerate(units, 1):
        expr = _unit_expression(unit) if (len(unit) == 1 or chain) else f"{question_expr} = {fmt(unit[-1].value)}"
        if form == "symbolic":
            first = unit[0]
            a = f"x{i - 1}" if chain and i > 1 else first.a
            rhs = " ".join([a] + [f"{s.op} {s.b}" for s in unit])
            lines.append(f"x{i} = {rhs} = {fmt(unit[-1].value)}")
        elif form == "subqa":
            q = expr.rsplit(" = ", 1)[0]
            prefix = f"Q{i}: " if granularity >= 5 else "Q: "
            lines.append(f"{prefix}What is {q}? A: {expr}.")
        elif granularity >= 5:
            s = unit[-1]
            lines.append(f"Step {i}: {_VERB[s.op].format(a=s.a, b=s.b).capitalize()}: {s.equation()}.")
        elif granularity == 4:
            s = unit[-1]
            lines.append(f"{_VERB[s.op].format(a=s.a, b=s.b).capitalize()} to get {fmt(s.value)}.")
        else:
            lines.append(expr + ("." if granularity <= 2 else ""))
    if granularity == 6:
        lines.append(_backward_check(d))
    return lines


def _backward_check(d: Derivation) -> str:
    steps, value = d.steps, d.value
    if _is_chain(steps) and all(s.op in "+-" for s in steps):
        back = fmt(value) + "".join(f" {'-' if s.op == '+' else '+'} {s.b}" for s in reversed(steps))
        return f"Check: working backward, {back} = {steps[0].a}, the first number, so the result {fmt(value)} is consistent."
    return f"Check: recomputing each step again gives {fmt(value)}."


def _code(d: Derivation) -> list[str]:
    lines = ["```python"]
    for i, s in enumerate(d.steps, 1):
        a = s.a if s.a_ref is None else f"v{s.a_ref + 1}"
        b = s.b if s.b_ref is None else f"v{s.b_ref + 1}"
        lines.append(f"v{i} = {a} {s.op} {b}")
    lines += [f"print(v{len(d.steps)})" if d.steps else f"print({d.expression})", "```", f"The program prints {fmt(d.value)}."]
    return lines


def _tree_of_thoughts(d: Derivation, expr: str) -> list[str]:
    lines = ["Approach 1: compute left to right."] + [s.equation() for s in d.steps]
    if _is_chain(d.steps) and all(s.op in "+-" for s in d.steps):
        pos = [d.steps[0].a] + [s.b for s in d.steps if s.op == "+"]
        neg = [s.b for s in d.steps if s.op == "-"]
        p, n = sum(Fraction(x) for x in pos), sum(Fraction(x) for x in neg)
        lines += [
            "Approach 2: add the positive terms and the negative terms separately.",
            f"{' + '.join(pos)} = {fmt(p)}; " + (f"{' + '.join(neg)} = {fmt(n)}; " if neg else "") + f"{fmt(p)} - {fmt(n)} = {fmt(p - n)}.",
            "Both approaches agree." if p - n == d.value else "The approaches disagree; I trust approach 1.",
        ]
    return lines


def render_style(d: Derivation, style: str, expr: str) -> list[str]:
    if style == "code":
        return _code(d)
    if style == "knowledge":
        return ["Recall: addition and subtraction have equal precedence and are done left to right; multiplication and division come first."] + render_arithmetic(d, 3, "nl", expr)
    if style == "tree_of_thoughts":
        return _tree_of_thoughts(d, expr)
    if style == "forward_backward":
        return render_arithmetic(d, 3, "nl", expr) + [_backward_check(d)]
    if style == "plain":
        return [f"Computing {expr} gives {fmt(d.value)}."]
    if style == "strong":
        return [f"We are asked for the value of {expr}."] + render_arithmetic(d, 5, "nl", expr) + [_backward_check(d)]
    return render_arithmetic(d, 3, "nl", expr)  # step_by_step and styles the teacher does not know


# --- problems with a reference solution (gsm_symbolic, GSM8K, MATH) -----------------------------------

def _solution_lines(problem: dict) -> list[str]:
    return [ln.strip() for ln in (problem.get("solution") or "").splitlines() if ln.strip()]


def render_solution(lines: list[str], granularity: int, form: str, style: str | None) -> list[str]:
    if not lines:
        return []
    if style == "plain" or granularity == 1:
        lines = lines[-1:]
    elif granularity == 2:
        lines = [" ".join(c) for c in _chunks(lines, 2)]
    out = []
    if form == "restate" or style == "strong":
        out.append("Restating the problem: we need to find the quantity asked for from the facts given.")
    if style == "knowledge":
        out.append("Recall: each quantity follows from the facts by one arithmetic operation.")
    for i, ln in enumerate(lines, 1):
        if form == "subqa":
            out.append(f"Q{i}: What follows from the facts so far? A: {ln}")
        elif form == "symbolic":
            eqs = re.findall(r"[\d.,$]+(?:\s*[-+*/×x]\s*[\d.,$]+)+\s*=\s*[\d.,$]+", ln)
            out.append("; ".join(f"x{i} = {e}" for e in eqs) if eqs else f"x{i}: {ln}")
        elif granularity >= 5 or style == "strong":
            out.append(f"Step {i}: {ln}")
        else:
            out.append(ln)
    if style == "code":
        out = ["```python"] + [f"# {ln}" for ln in out] + ["```"]
    if granularity == 6 or style in ("forward_backward", "strong"):
        out.append("Check: substituting the result back into the facts of the problem, every relation holds.")
    return out


# --- the teacher ---------------------------------------------------------------------------------------

def _rng(*parts) -> random.Random:
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def _wrong_answer(problem: dict, rng: random.Random) -> str:
    gold, kind = problem["answer"], problem["answer_type"]
    if kind == "choice" and problem.get("choices"):
        return rng.choice([l for l in problem["choices"]["label"] if l != gold] or [gold])
    if kind == "yesno":
        return "no" if gold.lower() == "yes" else "yes"
    if kind == "nli":
        return rng.choice([x for x in ("entailment", "neutral", "contradiction") if x != gold])
    try:
        return fmt(Fraction(gold.replace(",", "")) + rng.choice(_SLIPS))
    except (ValueError, ZeroDivisionError):
        return gold + " + 1"


def _words(text: str) -> int:
    return len(text.split())


class OfflineTeacher:
    """A deterministic rule-based teacher; ``error_rate`` (and per-style ``style_error_rates``) set how
    often a solve contains a slip, ``review_error_rate`` how often a review misjudges."""

    cacheable = False

    def __init__(self, name: str, cfg: dict):
        self.name = name
        self.error_rate = float(cfg.get("error_rate", 0.0))
        self.style_error_rates = dict(cfg.get("style_error_rates", {}))
        self.review_error_rate = float(cfg.get("review_error_rate", 0.1))
        self.seed = int(cfg.get("seed", 0))

    def complete(self, request: Request) -> Completion:
        task = request.task or {}
        kind = task.get("kind", "solve")
        handler = {"solve": self.solve, "review": self.review, "feedback": self.feedback, "summarize": self.summarize}.get(kind)
        if handler is None:
            return Completion(text="", finish_reason="error", error=f"offline teacher: unknown task kind {kind!r}")
        text = handler(task, request.sample)
        prompt = " ".join(m["content"] for m in request.messages)
        return Completion(text=text, finish_reason="stop", prompt_tokens=_words(prompt), completion_tokens=_words(text))

    # solve --------------------------------------------------------------------------------------------
    def _error_rate(self, task: dict) -> float:
        if task.get("mode") == "style":
            return float(self.style_error_rates.get(task["style"], self.error_rate))
        return float(self.style_error_rates.get(task.get("mode"), self.error_rate))

    def solve(self, task: dict, sample: int = 0) -> str:
        p = task["problem"]
        rng = _rng(self.seed, self.name, p["id"], task.get("prompting"), sample, task.get("attempt_pred"))
        wrong = rng.random() < self._error_rate(task)
        lines, answer = self._rationale(p, task, rng, wrong)
        if task.get("mode") == "direct":
            lines = []
        return "\n".join(lines + [f"The answer is \\boxed{{{answer}}}."])

    def _rationale(self, p: dict, task: dict, rng: random.Random, wrong: bool) -> tuple[list[str], str]:
        mode, style = task.get("mode"), task.get("style")
        granularity, form = task.get("granularity", 4), task.get("format", "nl")
        if mode == "strong":
            style = "strong"
        expr = p.get("meta", {}).get("expression")
        if expr:
            n = Derivation.count_steps(expr)
            slip_at = rng.randrange(n) if wrong and n else None
            d = Derivation(expr, slip_at, rng.choice(_SLIPS) if wrong else 0)
            lines = render_style(d, style, expr) if mode in ("style", "strong") else render_arithmetic(d, granularity, form, expr)
            answer = fmt(d.value) if n or not wrong else _wrong_answer(p, rng)
            return lines, answer
        answer = _wrong_answer(p, rng) if wrong else p["answer"]
        lines = render_solution(_solution_lines(p), granularity, form, style if mode in ("style", "strong") else None)
        if wrong and lines:
            lines[-1] = re.sub(re.escape(p["answer"]) + r"(?!.*" + re.escape(p["answer"]) + ")", answer, lines[-1]) if p["answer"] in lines[-1] else lines[-1]
        return lines, answer

    # review, feedback, summarize ----------------------------------------------------------------------
    def review(self, task: dict, sample: int = 0) -> str:
        """Score another teacher's rationale 1–5 by checking its answer against the gold one — which the
        reviewer may read only because FAIR's review prompt gives it as a hint. Without the hint
        (``task["hint"] is False``) it checks against its own solution of the problem, slips included."""
        from ..answers import equivalent, extract

        p = task["problem"]
        rng = _rng(self.seed, self.name, "review", p["id"], task.get("author"), sample)
        if task.get("hint", True) is False:
            own = extract(self.solve({"kind": "solve", "mode": "style", "style": "step_by_step", "problem": p, "prompting": "review"}, sample),
                          p["answer_type"], p.get("choices"))
            ok = equivalent(task.get("pred"), own, p["answer_type"]) if own is not None else False
        else:
            ok = equivalent(task.get("pred"), p["answer"], p["answer_type"])
        if rng.random() < self.review_error_rate:
            ok = not ok
        score = rng.choice((4, 5)) if ok else rng.choice((1, 2))
        verdict = "Every step checks out." if ok else "A step does not follow; the final answer is not supported."
        return f"I checked each step of the rationale. {verdict}\nScore: [{score}]"

    def feedback(self, task: dict, sample: int = 0) -> str:
        """Explain where a student's attempt goes wrong (the gold answer is the hint), then solve afresh."""
        p = task["problem"]
        pred = task.get("attempt_pred")
        lines = [f"The student answered {pred}, but the correct answer is {p['answer']}."]
        expr = p.get("meta", {}).get("expression")
        if expr:
            correct = {s.equation() for s in Derivation(expr).steps}
            for ln in (task.get("attempt") or "").splitlines():
                m = re.search(r"-?\d+(?:\.\d+)? [-+*/] -?\d+(?:\.\d+)? = -?\d+(?:\.\d+)?", ln)
                if m and m.group(0) not in correct:
                    lines.append(f"The mistake is in the step '{m.group(0)}'.")
                    break
            else:
                lines.append("The attempt does not carry the computation through correctly.")
        else:
            lines.append("The attempt misreads how the quantities relate.")
        lines.append("A careful solution:")
        return "\n".join(lines) + "\n" + self.solve({**task, "kind": "solve", "mode": "style", "style": "step_by_step"}, sample)

    def summarize(self, task: dict, sample: int = 0) -> str:
        attempt = (task.get("attempt") or "").strip().splitlines()
        pred = task.get("attempt_pred")
        first = attempt[0] if attempt else "nothing"
        return f"The attempt started with '{first}', took {len(attempt)} lines and concluded that the answer is {pred}."
