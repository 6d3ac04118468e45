"""The iterated-summarization loop itself (the method's DAG side is ``methods/summarize``): prompts, one
iteration from the previous one, per-iteration metrics, final summaries.

As the reference (adityatadimeti/reasoning-distillation, ``src/experiments/summarization.py``) does it:

- an attempt of a reasoning model is stored in parts (``think``, ``answer_text``; ``reasoning_trace``):
  inline ``<think>…</think>`` or the server's ``reasoning_content``;
- the summarizer sees the attempt's reasoning trace (``summary_input: reasoning``; with ``allow_fallback``
  the whole response when there is no trace), not the whole response (``full``: our earlier behaviour);
- a self-summary's post-think part is what later prompts show (``summary_post_think``, default: on for
  ``summarizer: self``, as the reference's ``extract_post_think_summary``);
- each summary's own answer is graded (``summary_pred``, ``summary_correct``) and reported per iteration;
- an attempt (or a summary) cut off by ``max_tokens`` is continued up to ``continuation.max_total_tokens``
  (``reasoning_trace.continue_attempts``); one not continued stays recorded as cut off.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..prompts import ANSWER_INSTRUCTIONS, core_prompt
from ..rationales import grade
from ..reasoning_trace import SUMMARY_INPUTS, Budget, continue_attempts, split_reasoning, summary_for_prompt, summary_input
from ..teacher_prompts import PROMPTS_DIR, generation_params
from ..teachers import Completion, Request, run_requests

KINDS = ("reasoning", "summarize")
VARIANTS = ("oracle", "no_oracle")


class SummarizeConfigError(ValueError):
    """A summarize experiment's config mistake; the message names the key."""


@dataclass(frozen=True)
class LoopOptions:
    """How attempts are summarized and continued (the summarize experiment's keys of the same names)."""

    summary_input: str = "reasoning"
    allow_fallback: bool = True
    summary_post_think: bool = False
    max_total_tokens: int | None = None  # continuation off when None
    max_continuations: int = 4

    def __post_init__(self):
        if self.summary_input not in SUMMARY_INPUTS:
            raise ValueError(f"summary_input: one of {', '.join(SUMMARY_INPUTS)}, not {self.summary_input!r}")

    def budget(self, per_request: int | None) -> Budget | None:
        if self.max_total_tokens is None:
            return None
        return Budget(self.max_total_tokens, self.max_continuations, per_request)


def template_path(kind: str, version: str) -> Path:
    return PROMPTS_DIR / "summarize" / f"{kind}_{version}.txt"


@lru_cache(maxsize=None)
def load_template(kind: str, version: str):
    import jinja2

    path = template_path(kind, version)
    if not path.is_file():
        have = sorted(p.stem.split("_", 1)[1] for p in path.parent.glob(f"{kind}_*.txt"))
        raise SummarizeConfigError(f"{kind}: no prompt version {version!r} ({path} is missing; versions: {', '.join(have)})")
    return jinja2.Environment(undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True).from_string(path.read_text())


def attempt_messages(version: str, problem: dict, summaries: list[str]) -> list[dict]:
    text = load_template("reasoning", version).render(
        problem=core_prompt(problem), summaries=summaries, answer_instruction=ANSWER_INSTRUCTIONS[problem["answer_type"]])
    return [{"role": "user", "content": text.strip()}]


def summary_messages(version: str, problem: dict, attempt: str) -> list[dict]:
    text = load_template("summarize", version).render(problem=core_prompt(problem), attempt=attempt.strip())
    return [{"role": "user", "content": text.strip()}]


# ----------------------------------------------------------------------------- one iteration


def _summary_request(problem: dict, row: dict, summarize: str, summarizer: tuple[str, dict, bool],
                     opts: LoopOptions) -> Request:
    """Ask the summarizer for a summary of ``row``'s attempt at ``problem`` (its trace, by ``opts``)."""
    shown = summary_input(row["response"], row.get("reasoning_content"), part=opts.summary_input,
                          allow_fallback=opts.allow_fallback)
    return Request(messages=summary_messages(summarize, problem, shown), params=generation_params(summarizer[1]),
                   task={"kind": "summarize", "problem": problem, "attempt": row["response"], "attempt_pred": row["pred"]})


def _ask(who: tuple[str, dict, bool], requests: list[Request], cache_dir: str | None, desc: str):
    name, cfg, cached = who
    return run_requests(name, cfg, requests, cache_dir=cache_dir if cached else None, desc=desc)


def _attempts(problems, summaries, iteration, prev_preds, model, reasoning, cache_dir, opts: LoopOptions):
    """The attempts of one iteration, cut-off ones continued within the budget: (requests, completions, stage,
    continuations per attempt)."""
    who_name, who_cfg, _ = model
    requests = [
        Request(messages=attempt_messages(reasoning, p, s), params=generation_params(who_cfg),
                task={"kind": "solve", "mode": "style", "style": "step_by_step", "problem": p,
                      "prompting": f"summarize-iter{iteration}", "attempt_pred": prev})
        for p, s, prev in zip(problems, summaries, prev_preds)
    ]
    completions, stage, conts = _ask_continued(model, requests, cache_dir, f"{who_name}/iter{iteration}", opts)
    return requests, completions, stage, conts


def _ask_continued(who: tuple[str, dict, bool], requests: list[Request], cache_dir: str | None, desc: str,
                   opts: LoopOptions):
    """``_ask``, then (with a continuation budget) continue what ``max_tokens`` cut off: (completions, stage,
    continuations per request). Attempts and summaries alike, as the reference's clients do."""
    completions, stage = _ask(who, requests, cache_dir, desc)
    budget = opts.budget(who[1].get("max_tokens"))
    if budget is None:
        return completions, stage, [0] * len(completions)
    stages = []

    def ask(more):
        out, st = _ask(who, more, cache_dir, f"{desc} continuations")
        stages.append(st)
        return out

    done = continue_attempts(ask, requests, completions, budget, extra_body=who[1].get("extra_body"))
    completions = [Completion(text=a.text, finish_reason=a.finish_reason, prompt_tokens=a.prompt_tokens,
                              completion_tokens=a.completion_tokens, reasoning=a.reasoning, cache_key=c.cache_key)
                   for a, c in zip(done, completions)]
    return completions, {**stage, "continuations": stages}, [a.continuations for a in done]


def _attempt_fields(problem: dict, req: Request, c: Completion, continuations: int) -> dict:
    pred, ok = grade(problem, c)
    parts = split_reasoning(c.text, c.reasoning)
    return {"messages": req.messages, "response": c.text, "reasoning_content": c.reasoning, **parts.as_row(),
            "pred": pred, "correct": ok, "finish_reason": c.finish_reason, "attempt_tokens": c.completion_tokens,
            "continuations": continuations}


def first_iteration(problems: list[dict], model: tuple[str, dict, bool], reasoning: str,
                    cache_dir: str | None = None, opts: LoopOptions = LoopOptions()) -> tuple[list[dict], dict]:
    """Iteration 0: one attempt per problem. Returns rows and the engine's stage summary."""
    requests, completions, summary, conts = _attempts(problems, [[]] * len(problems), 0, [None] * len(problems),
                                                      model, reasoning, cache_dir, opts)
    rows = []
    for p, req, c, k in zip(problems, requests, completions, conts):
        f = _attempt_fields(p, req, c, k)
        rows.append({"id": p["id"], "dataset": p["dataset"], "iteration": 0, "model": model[0], "active": True,
                     "summaries": [], **f, "correct_any": f["correct"], "summary": None, "summary_pred": None,
                     "summary_correct": None, "summary_tokens": 0, "usage": {"attempt": c.usage(), "summary": None}})
    return rows, {"attempt": summary}


def next_iteration(previous: list[dict], problems: list[dict], model: tuple[str, dict, bool],
                   summarizer: tuple[str, dict, bool], reasoning: str, summarize: str, *,
                   continue_after_correct: bool, cache_dir: str | None = None,
                   opts: LoopOptions = LoopOptions()) -> tuple[list[dict], dict]:
    """Iteration i from iteration i-1's rows: summarize the last attempt (graded on its own answer), then
    attempt again with every summary so far.

    Problems that stopped (correct so far, without ``continue_after_correct``; or stopped before) are
    carried over unchanged with ``active: false`` and no tokens spent.
    """
    by_id = {p["id"]: p for p in problems}
    iteration = previous[0]["iteration"] + 1 if previous else 1
    go = [r for r in previous if r["active"] and (continue_after_correct or not r["correct_any"])]
    todo = [by_id[r["id"]] for r in go]
    sum_requests = [_summary_request(p, r, summarize, summarizer, opts) for p, r in zip(todo, go)]
    sums, sum_stage, _ = _ask_continued(summarizer, sum_requests, cache_dir, f"{summarizer[0]}/summaries{iteration}", opts)
    summaries = [r["summaries"] + [summary_for_prompt(s.text.strip(), post_think_only=opts.summary_post_think)]
                 for r, s in zip(go, sums)]
    requests, completions, att_stage, conts = _attempts(todo, summaries, iteration, [r["pred"] for r in go], model,
                                                        reasoning, cache_dir, opts)
    fresh = {}
    for p, r, s, req, c, ss, k in zip(todo, go, sums, requests, completions, summaries, conts):
        f = _attempt_fields(p, req, c, k)
        s_pred, s_ok = grade(p, s)
        fresh[p["id"]] = {**r, "iteration": iteration, "active": True, "summaries": ss, **f,
                          "correct_any": r["correct_any"] or f["correct"], "summary": s.text,
                          "summary_pred": s_pred, "summary_correct": s_ok, "summary_tokens": s.completion_tokens,
                          "usage": {"attempt": c.usage(), "summary": s.usage()}}
    rows = [fresh.get(r["id"]) or {**r, "iteration": iteration, "active": False, "attempt_tokens": 0,
                                   "summary_tokens": 0, "continuations": 0, "summary": None, "summary_pred": None,
                                   "summary_correct": None, "usage": {"attempt": None, "summary": None}}
            for r in previous]
    return rows, {"attempt": att_stage, "summary": sum_stage}


# ----------------------------------------------------------------------------- metrics, final summaries


def metrics(rows: list[dict]) -> dict[str, dict]:
    """Per variant: n, accuracy, problems still attempted, mean tokens this iteration and in all so far, and
    the summaries made this iteration (of the previous attempts): how many, how many state the right answer
    (``summary_accuracy``, None at iteration 0), attempts still cut off after any continuation."""
    n = len(rows)
    spent = [r["attempt_tokens"] + r["summary_tokens"] for r in rows]
    graded = [r["summary_correct"] for r in rows if r.get("active") and r.get("summary_correct") is not None]
    common = {"iteration": rows[0]["iteration"] if rows else 0, "n": n, "active": sum(r["active"] for r in rows),
              "tokens_per_problem": sum(spent) / n if n else 0.0, "n_summaries": len(graded),
              "summary_accuracy": sum(graded) / len(graded) if graded else None,
              "cut_off": sum(r["active"] and r["finish_reason"] == "length" for r in rows)}
    acc = {"oracle": sum(r["correct_any"] for r in rows), "no_oracle": sum(r["correct"] for r in rows)}
    return {v: {**common, "variant": v, "accuracy": acc[v] / n if n else 0.0} for v in VARIANTS}


def cumulate_tokens(per_iteration: list[dict]) -> list[dict]:
    """Add ``tokens_cumulative`` (mean tokens per problem, iterations 0..i) to metrics in iteration order."""
    total, out = 0.0, []
    for m in per_iteration:
        total += m["tokens_per_problem"]
        out.append({**m, "tokens_cumulative": total})
    return out


def sft_rationales(rows: list[dict]) -> list[dict]:
    """Rationale rows for an SFT recipe from the last iteration file (each problem's final attempt: with the
    oracle stop, its first correct one) or from a final-summary file (each final attempt's summary)."""
    return [{"id": r["id"], "response": r["response"], "correct": r["correct"], "finish_reason": r["finish_reason"]}
            for r in rows]


def final_summaries(last: list[dict], problems: list[dict], summarizer: tuple[str, dict, bool], summarize: str,
                    cache_dir: str | None = None, opts: LoopOptions = LoopOptions()) -> tuple[list[dict], dict]:
    """A summary of each problem's final attempt, graded on its own (the compact rationale must state the
    right answer). Attempts that were cut off are not summarized."""
    by_id = {p["id"]: p for p in problems}
    todo = [r for r in last if r["finish_reason"] == "stop" and r["response"]]
    requests = [_summary_request(by_id[r["id"]], r, summarize, summarizer, opts) for r in todo]
    completions, stage, _ = _ask_continued(summarizer, requests, cache_dir, f"{summarizer[0]}/final summaries", opts)
    rows = []
    for r, req, c in zip(todo, requests, completions):
        pred, ok = grade(by_id[r["id"]], c)
        rows.append({"id": r["id"], "dataset": r["dataset"], "model": r["model"], "iteration": r["iteration"],
                     "attempt_correct": r["correct"], "messages": req.messages, "response": c.text, "pred": pred,
                     "correct": ok, "finish_reason": c.finish_reason, "usage": c.usage()})
    return rows, {"summary": stage}
