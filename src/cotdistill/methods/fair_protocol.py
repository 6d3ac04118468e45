"""FAIR's protocol as the reference code runs it (zhuochunli/Learn-from-Committee), pure functions.

- ``feedback_messages``: one teacher's feedback on one mistake of the student: the question, the
  student's wrong response and ``Hint: The correct answer should be {gold}`` (every teacher's is kept).
- ``rationale_messages``: the bare question — no gold answer, no student attempt.
- ``review_messages``: another teacher's rationale to score 1–5, with the hint (``hint=False`` drops it:
  our option ``review_hint: false``, not the reference).
- ``parse_review_score`` / ``accepted``: the reference's score parser and its acceptance rule (the mean
  of the valid scores is > 3).
- ``form_pairs``: per mistake, (accepted rationale, teacher feedback) pairs — one random pair per mistake
  as the reference does (``pairing: sample``), or every combination (``pairing: all``).
- ``pair_rows``: the two chat examples of a pair, as the paired trainer (``fair_train``) reads them.

The prompt texts are data in ``prompts/fair.yaml``. docs/fidelity.md lists the differences from the
reference.
"""

from __future__ import annotations

import random
import re
from functools import lru_cache
from itertools import product
from pathlib import Path

import yaml

from ..prompts import core_prompt

PROMPTS_FILE = Path(__file__).resolve().parents[3] / "prompts" / "fair.yaml"
PAIRINGS = ("sample", "all")
REFERENCE_SEED = 731  # data.py / train.py seed_run default


@lru_cache(maxsize=None)
def prompts(path: str | None = None) -> dict:
    with open(path or PROMPTS_FILE, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _user(text: str) -> list[dict]:
    return [{"role": "user", "content": text}]


def gold(problem: dict) -> str:
    """The hint's answer: the problem's final answer (the reference's SVAMP/StrategyQA/LogiQA hint; for
    GSM8K it passed the whole reference solution to the teachers, see docs/fidelity.md)."""
    return str(problem["answer"]).strip()


def feedback_messages(problem: dict, attempt: str) -> list[dict]:
    text = prompts()["feedback"].format(question=core_prompt(problem), attempt=(attempt or "").strip(), gold=gold(problem))
    return _user(text)


def rationale_messages(problem: dict) -> list[dict]:
    return _user(prompts()["rationale"].format(question=core_prompt(problem)))


def review_messages(problem: dict, rationale: str, *, hint: bool = True) -> list[dict]:
    template = prompts()["review" if hint else "review_no_hint"]
    return _user(template.format(question=core_prompt(problem), rationale=(rationale or "").strip(), gold=gold(problem)))


# --- scores ------------------------------------------------------------------------------------------

_BRACKETS = re.compile(r"\[(.*?)\]")  # the reference's [[](.*?)[]]: non-greedy, within one line
_NUMBER = re.compile(r"[0-9]+")


def parse_review_score(text: str | None) -> int | None:
    """The reference's ``check_score``: the last ``[...]``; ``[4/5]`` → 4 (the integer before the slash);
    otherwise the last run of digits inside it; no brackets → the last run of digits in the text.
    Anything unparsable, or outside 1–5, is an invalid score (None)."""
    text = text or ""
    try:
        found = _BRACKETS.findall(text)
        if found:
            inner = found[-1]
            score = int(inner.split("/")[0]) if "/" in inner else int(_NUMBER.findall(inner)[-1])
        else:
            score = int(_NUMBER.findall(text)[-1])
    except (ValueError, IndexError):
        return None
    return score if 0 < score < 6 else None


def accepted(scores, threshold: float = 3.0) -> bool:
    """Kept when at least one score is valid and the mean of the valid ones is > ``threshold``."""
    valid = [s for s in scores if s is not None and 0 < s < 6]
    return bool(valid) and sum(valid) / len(valid) > threshold


# --- pairs -------------------------------------------------------------------------------------------

def form_pairs(mistakes: list[dict], feedback: list[dict], rationales: list[dict], *, pairing: str = "sample",
               seed: int = REFERENCE_SEED, teacher: str | None = None) -> list[dict]:
    """(rationale, feedback) pairs per mistake.

    ``mistakes``: ``{id, attempt}`` rows (the student's wrong responses); ``feedback``: ``{id, teacher,
    response}`` rows; ``rationales``: ``{id, teacher, response}`` rows that passed the caller's filter
    (peer review for FAIR, none for the unfiltered baseline). ``teacher`` limits both to one teacher (the
    single-teacher baselines). ``sample`` draws one feedback and one rationale per mistake with a seeded
    RNG (the reference's ``random.choice`` after ``seed_run(731)``); ``all`` takes every combination.
    A mistake without a usable feedback or rationale gives no pair (the reference skips it too).
    """
    if pairing not in PAIRINGS:
        raise ValueError(f"pairing: must be one of {', '.join(PAIRINGS)}, got {pairing!r}")

    def usable(rows):
        out: dict[str, list[dict]] = {}
        for r in rows:
            if (teacher is None or r["teacher"] == teacher) and (r.get("response") or "").strip() and r.get("finish_reason", "stop") == "stop":
                out.setdefault(r["id"], []).append(r)
        for v in out.values():
            v.sort(key=lambda r: r["teacher"])
        return out

    fb, rat = usable(feedback), usable(rationales)
    rng = random.Random(seed)
    pairs = []
    for m in mistakes:
        fbs, rats = fb.get(m["id"], []), rat.get(m["id"], [])
        if not fbs or not rats:
            continue
        chosen = [(rng.choice(fbs), rng.choice(rats))] if pairing == "sample" else list(product(fbs, rats))
        for f, r in chosen:
            pairs.append({"id": m["id"], "attempt": m["attempt"], "feedback_teacher": f["teacher"], "feedback": f["response"].strip(),
                          "rationale_teacher": r["teacher"], "rationale": r["response"].strip()})
    return pairs


def feedback_instruction(problem: dict, attempt: str) -> str:
    """What the student reads in a feedback example: the reference's training instruction and, below it,
    the question, its own wrong answer and the hint (data.py keeps the hint in the student's input)."""
    p = prompts()
    body = p["train_feedback_input"].format(question=core_prompt(problem), attempt=(attempt or "").strip(), gold=gold(problem))
    return f"{p['train_feedback_instruction']}\n{body}"


def pair_rows(problems: list[dict], pairs: list[dict]) -> list[dict]:
    """Each pair as two chat examples: ``feedback`` (instruction above → the teacher's feedback) and
    ``rationale`` (the problem's core prompt, exactly what the student sees at evaluation → the rationale)."""
    by_id = {p["id"]: p for p in problems}
    rows = []
    for i, pr in enumerate(pairs):
        p = by_id.get(pr["id"])
        if p is None:
            continue
        rows.append({
            "id": f"{pr['id']}#{i}",
            "feedback": {"messages": _user(feedback_instruction(p, pr["attempt"])) + [{"role": "assistant", "content": pr["feedback"]}]},
            "rationale": {"messages": _user(core_prompt(p)) + [{"role": "assistant", "content": pr["rationale"]}]},
            "teachers": [pr["feedback_teacher"], pr["rationale_teacher"]],
        })
    return rows


# --- teacher requests and the committee's verdict ------------------------------------------------------

def mistakes_of(eval_rows: list[dict]) -> list[dict]:
    """The student's wrong answers on the training problems: ``{id, attempt, attempt_pred}``."""
    return [{"id": r["id"], "attempt": r.get("response") or "", "attempt_pred": r.get("pred")} for r in eval_rows if not r["correct"]]


def _requests(problems: list[dict], mistakes: list[dict], teacher_cfg: dict, build) -> list:
    from ..teacher_prompts import generation_params
    from ..teachers.base import Request

    by_id = {p["id"]: p for p in problems}
    params = generation_params(teacher_cfg)
    return [Request(messages=msgs, params=params, task=task)
            for m in mistakes if m["id"] in by_id
            for msgs, task in [build(by_id[m["id"]], m)]]


def feedback_requests(problems: list[dict], mistakes: list[dict], teacher_cfg: dict, name: str) -> list:
    """One teacher's feedback request per mistake (the question, the wrong response, the hint)."""
    return _requests(problems, mistakes, teacher_cfg, lambda p, m: (
        feedback_messages(p, m["attempt"]),
        {"kind": "feedback", "prompting": name, "problem": p, "attempt": m["attempt"], "attempt_pred": m["attempt_pred"], "hint": True}))


def rationale_requests(problems: list[dict], mistakes: list[dict], teacher_cfg: dict, name: str) -> list:
    """One teacher's rationale request per mistake problem: the bare question."""
    return _requests(problems, mistakes, teacher_cfg, lambda p, m: (
        rationale_messages(p), {"kind": "solve", "mode": "style", "style": "step_by_step", "prompting": name, "problem": p}))


def review_requests(problems: list[dict], rationales: list[dict], reviewer: str, reviewer_cfg: dict, *, hint: bool = True) -> list:
    """The reviewer's requests for every usable rationale written by another teacher."""
    from ..teacher_prompts import generation_params
    from ..teachers.base import Request

    by_id = {p["id"]: p for p in problems}
    params = generation_params(reviewer_cfg)
    return [
        Request(messages=review_messages(by_id[r["id"]], r["response"], hint=hint), params=params,
                task={"kind": "review", "problem": by_id[r["id"]], "author": r["teacher"], "pred": r.get("pred"), "hint": hint})
        for r in rationales
        if r["teacher"] != reviewer and r["id"] in by_id and (r.get("response") or "").strip() and r.get("finish_reason", "stop") == "stop"
    ]


def review_rows(reviewer: str, requests: list, completions: list) -> list[dict]:
    return [
        {"id": q.task["problem"]["id"], "author": q.task["author"], "reviewer": reviewer, "hint": q.task["hint"], "response": c.text,
         "finish_reason": c.finish_reason, "score": parse_review_score(c.text) if c.finish_reason == "stop" else None}
        for q, c in zip(requests, completions)
    ]


def select(rationales: list[dict], reviews: list[dict], threshold: float = 3.0) -> tuple[list[dict], dict]:
    """The rationales peer review accepts, and a report of what it did.

    The gold answer (a rationale's ``correct`` flag) never selects; it measures precision: of the pool, of
    the accepted rationales, and per reviewer (the share of rationales it scored > ``threshold`` that are
    correct), each reviewer marked with whether its prompt carried the hint — so that a precision figure
    says where it comes from.
    """
    scores: dict[tuple, list] = {}
    for rv in reviews:
        scores.setdefault((rv["id"], rv["author"]), []).append(rv["score"])
    correct = {(r["id"], r["teacher"]): bool(r.get("correct")) for r in rationales}
    kept, teachers = [], {}
    for r in rationales:
        key = (r["id"], r["teacher"])
        got = scores.get(key, [])
        keep = accepted(got, threshold)
        c = teachers.setdefault(r["teacher"], {"rationales": 0, "correct": 0, "accepted": 0, "accepted_correct": 0, "invalid_scores": 0})
        c["rationales"] += 1
        c["correct"] += correct[key]
        c["invalid_scores"] += sum(s is None for s in got)
        if keep:
            valid = [s for s in got if s is not None]
            kept.append({**r, "review_scores": valid, "review_mean": sum(valid) / len(valid)})
            c["accepted"] += 1
            c["accepted_correct"] += correct[key]
    reviewers = {}
    for rv in reviews:
        c = reviewers.setdefault(rv["reviewer"], {"hint": rv["hint"], "reviews": 0, "invalid": 0, "passed": 0, "passed_correct": 0})
        c["reviews"] += 1
        c["invalid"] += rv["score"] is None
        if rv["score"] is not None and rv["score"] > threshold:
            c["passed"] += 1
            c["passed_correct"] += correct.get((rv["id"], rv["author"]), False)
    for c in reviewers.values():
        c["precision"] = c["passed_correct"] / c["passed"] if c["passed"] else None
    total = {k: sum(c[k] for c in teachers.values()) for k in ("rationales", "correct", "accepted", "accepted_correct", "invalid_scores")}
    by_hint = {}
    for hint in (True, False):
        group = [c for c in reviewers.values() if c["hint"] is hint]
        passed = sum(c["passed"] for c in group)
        if group:
            by_hint["hinted" if hint else "unhinted"] = {
                "reviewers": len(group), "passed": passed,
                "precision": sum(c["passed_correct"] for c in group) / passed if passed else None}
    return kept, {
        "threshold": threshold, **total, "teachers": teachers, "reviewers": reviewers, "reviewer_precision": by_hint,
        "pool_precision": total["correct"] / total["rationales"] if total["rationales"] else None,
        "accepted_precision": total["accepted_correct"] / total["accepted"] if total["accepted"] else None,
    }


VARIANTS = ("fair", "unfiltered", "nofeedback")  # + "only-<teacher>": one teacher's reviewed rationales and feedback


def variant_pairs(variant: str, mistakes: list[dict], feedback: list[dict], rationales: list[dict], kept: list[dict], *,
                  pairing: str = "sample", seed: int = REFERENCE_SEED) -> list[dict]:
    """The pairs one training variant learns from.

    ``fair``: accepted rationales × every teacher's feedback; ``unfiltered``: every rationale × every
    feedback (no peer review); ``nofeedback``: accepted rationales (paired with feedback as ``fair``; the
    trainer gives feedback weight 0); ``only-<teacher>``: that teacher's accepted rationales × its own feedback.
    """
    if variant in ("fair", "nofeedback"):
        return form_pairs(mistakes, feedback, kept, pairing=pairing, seed=seed)
    if variant == "unfiltered":
        return form_pairs(mistakes, feedback, rationales, pairing=pairing, seed=seed)
    if variant.startswith("only-"):
        return form_pairs(mistakes, feedback, kept, pairing=pairing, seed=seed, teacher=variant[len("only-"):])
    raise ValueError(f"FAIR training variant: {variant!r} is not one of {', '.join(VARIANTS)} or only-<teacher>")


# --- one rule's work each (scripts/fair_*.py) ---------------------------------------------------------

def teacher_pass(teacher: str, cfg: dict, problems: list[dict], eval_rows: list[dict], name: str,
                 cache_dir: str | None) -> tuple[list[dict], list[dict], dict]:
    """One committee member on one round's mistakes, through the teacher engine: its feedback rows (with
    the student's ``attempt``) and its rationale rows (graded against the gold, for the precision report)."""
    from ..rationales import rationale_rows
    from ..teachers import run_requests

    mistakes = mistakes_of(eval_rows)
    fb_req = feedback_requests(problems, mistakes, cfg, f"{name}-feedback")
    rat_req = rationale_requests(problems, mistakes, cfg, f"{name}-rationale")
    fb_comp, fb_sum = run_requests(teacher, cfg, fb_req, cache_dir=cache_dir, desc=f"{teacher}/{name}/feedback")
    rat_comp, rat_sum = run_requests(teacher, cfg, rat_req, cache_dir=cache_dir, desc=f"{teacher}/{name}/rationale")
    feedback = [{"id": q.task["problem"]["id"], "teacher": teacher, "attempt": q.task["attempt"], "attempt_pred": q.task["attempt_pred"],
                 "messages": q.messages, "response": c.text, "finish_reason": c.finish_reason, "cache_key": c.cache_key}
                for q, c in zip(fb_req, fb_comp)]
    rationales = rationale_rows(teacher, f"{name}-rationale", rat_req, rat_comp)
    summary = {"mistakes": len(mistakes), "feedback": fb_sum, "rationale": rat_sum,
               "rationale_accuracy": sum(r["correct"] for r in rationales) / len(rationales) if rationales else None}
    return feedback, rationales, summary


def review_pass(reviewer: str, cfg: dict, problems: list[dict], rationales: list[dict], *, hint: bool,
                cache_dir: str | None) -> tuple[list[dict], dict]:
    """One committee member's scores of every other member's rationales."""
    from ..teachers import run_requests

    requests = review_requests(problems, rationales, reviewer, cfg, hint=hint)
    completions, summary = run_requests(reviewer, cfg, requests, cache_dir=cache_dir, desc=f"{reviewer}/review")
    rows = review_rows(reviewer, requests, completions)
    summary.update(hint=hint, invalid_scores=sum(r["score"] is None for r in rows))
    return rows, summary


def pair_alpaca(rows: list[dict]) -> tuple[list[dict], list[dict]]:
    """``training: interleave``: the pairs' rationale halves and feedback halves as two alpaca sets (one
    row each per pair), for LLaMA-Factory to interleave with probabilities 1−α, α."""
    def alpaca(messages):
        return {"instruction": messages[0]["content"], "input": "", "output": messages[1]["content"]}

    return [alpaca(r["rationale"]["messages"]) for r in rows], [alpaca(r["feedback"]["messages"]) for r in rows]
