"""Iterative distillation as rounds of the DAG: UNDO (arXiv 2504.02521) and FAIR (arXiv 2410.03663).

Round 0 is ordinary CoT distillation. Round r ≥ 1 reads round r−1's student answers on the *training*
problems, asks the teacher(s) again for exactly the problems it got wrong (the prompt shows the wrong
attempt), builds a new SFT set and trains again. Every round is its own recipe, so its own files:

    UNDO   {teacher}.cot.{filter}                          round 0
           {teacher}.undo-{exp}-{student}-r{r}.{filter}     round r ≥ 1
           {teacher}.undo-{exp}-x{k}.{filter}               one-shot baseline, k = max_rounds + 1 times the epochs
    FAIR   {teacher}.cot.all                               each single teacher, plain
           committee.pool-{exp}.all                        all teachers pooled, unfiltered = round 0
           committee.fair-{exp}-{student}-r{r}.all          round r ≥ 1 (peer review is the only filter)

The regenerated rationales are ``rationales/{teacher}/{dataset}/{undo|fair}-{exp}-{student}-r{r}.jsonl``.
"""

from __future__ import annotations

import re

from ..prompts import ANSWER_INSTRUCTIONS, core_prompt
from ..teacher_prompts import generation_params
from ..teachers.base import Request

COMMITTEE = "committee"
SOLUTION_MARKER = "A careful solution:"
_NAME = r"[A-Za-z][A-Za-z0-9_]*"
ROUND_SOURCE = re.compile(rf"^(?P<method>undo|fair)-(?P<experiment>{_NAME})-(?P<student>{_NAME})-r(?P<round>\d+)$")
ONESHOT_SOURCE = re.compile(rf"^undo-(?P<experiment>{_NAME})-x(?P<factor>\d+)$")
POOL_SOURCE = re.compile(rf"^pool-(?P<experiment>{_NAME})$")
SOURCE_PATTERN = r"(?:undo|fair|pool)-[A-Za-z0-9_-]+"  # what rules/rounds.smk builds (wildcard constraint)

DEFAULTS = {"max_rounds": 2, "sft": "replace", "init": "base", "early_stop": False, "baseline": True,
            "review_threshold": 3.0, "alpha": 0.5, "mix": "interleave_over"}


def knobs(exp: str, spec: dict, config: dict | None = None) -> dict:
    """The experiment's round settings with defaults; ValueError naming the key when one is wrong."""
    k = {**DEFAULTS, **{key: spec[key] for key in DEFAULTS if key in spec}}
    key = f"experiments.{exp}"
    if not isinstance(k["max_rounds"], int) or isinstance(k["max_rounds"], bool) or k["max_rounds"] < 1:
        raise ValueError(f"{key}.max_rounds: must be an integer ≥ 1, got {k['max_rounds']!r}")
    for name, allowed in (("sft", ("replace", "add")), ("init", ("base", "previous")), ("mix", ("interleave_over", "interleave_under"))):
        if k[name] not in allowed:
            raise ValueError(f"{key}.{name}: must be one of {', '.join(allowed)}, got {k[name]!r}")
    if k["early_stop"] is True:
        k["early_stop"] = "dev"
    if k["early_stop"] not in (False, None, "dev", "test"):
        raise ValueError(f"{key}.early_stop: false, true (= dev) or the split to compare on (dev|test), got {k['early_stop']!r}")
    if not isinstance(k["baseline"], bool):
        raise ValueError(f"{key}.baseline: must be true or false")
    if spec["method"] == "fair":
        if len(spec["teachers"]) < 2:
            raise ValueError(f"{key}.teachers: fair needs at least 2 teachers (each rationale is reviewed by the others), got {len(spec['teachers'])}")
        if COMMITTEE in spec["teachers"]:
            raise ValueError(f"{key}.teachers: {COMMITTEE!r} is reserved for the committee's recipes; rename that teacher")
        if not isinstance(k["alpha"], (int, float)) or not 0 <= k["alpha"] < 1:
            raise ValueError(f"{key}.alpha: the feedback share must be in [0, 1), got {k['alpha']!r}")
        if not isinstance(k["review_threshold"], (int, float)) or not 1 <= k["review_threshold"] < 5:
            raise ValueError(f"{key}.review_threshold: a mean score in [1, 5) that accepted rationales must exceed, got {k['review_threshold']!r}")
    for name in ("review_threshold", "alpha", "mix"):
        if spec["method"] != "fair" and name in spec:
            raise ValueError(f"{key}.{name}: only used by method fair")
    if spec["method"] != "undo" and "baseline" in spec:
        raise ValueError(f"{key}.baseline: only used by method undo")
    return k


# --- recipes -------------------------------------------------------------------------------------------

def round_recipe(exp: str, spec: dict, teacher: str, student: str, r: int) -> str:
    """The recipe of round ``r`` of one chain (``teacher`` is ignored for FAIR: the committee's)."""
    if spec["method"] == "fair":
        return f"{COMMITTEE}.pool-{exp}.all" if r == 0 else f"{COMMITTEE}.fair-{exp}-{student}-r{r}.all"
    keep = spec.get("filter", "correct")
    return f"{teacher}.cot.{keep}" if r == 0 else f"{teacher}.undo-{exp}-{student}-r{r}.{keep}"


def runs(exp: str, spec: dict) -> list:
    """Every run of an UNDO or FAIR experiment, each with a ``round`` label (baselines have none)."""
    from ..experiments import Run

    k = knobs(exp, spec)
    evals = tuple(spec.get("eval_datasets") or ())
    out = []
    for student in spec["students"]:
        for ds in spec["datasets"]:
            chains = spec["teachers"] if spec["method"] == "undo" else [COMMITTEE]

            def run(recipe, **labels):
                out.append(Run(exp, spec["method"], student, ds, recipe, evals or (ds,), labels))

            if spec["method"] == "fair":
                for t in spec["teachers"]:
                    run(f"{t}.cot.all", teacher=t, style="single")
            for teacher in chains:
                for r in range(k["max_rounds"] + 1):
                    run(round_recipe(exp, spec, teacher, student, r), teacher=teacher, round=r, style="pool" if spec["method"] == "fair" and r == 0 else spec["method"])
                if spec["method"] == "undo" and k["baseline"]:
                    factor = k["max_rounds"] + 1
                    run(f"{teacher}.undo-{exp}-x{factor}.{spec.get('filter', 'correct')}", teacher=teacher, style="one-shot")
    return out


def parse_source(source: str) -> dict | None:
    """What a rounds recipe's source names: {kind: round|oneshot|pool, experiment, ...}; None otherwise."""
    for kind, pattern in (("round", ROUND_SOURCE), ("oneshot", ONESHOT_SOURCE), ("pool", POOL_SOURCE)):
        m = pattern.match(source)
        if m:
            d = m.groupdict()
            for key in ("round", "factor"):
                if key in d:
                    d[key] = int(d[key])
            return {"kind": kind, **d}
    return None


def previous_recipe(config: dict, recipe: str) -> str:
    """The recipe of the round before a round-r ≥ 1 recipe."""
    from ..experiments import split_recipe

    teacher, source, _ = split_recipe(recipe)
    s = parse_source(source)
    return round_recipe(s["experiment"], config["experiments"][s["experiment"]], teacher, s["student"], s["round"] - 1)


def prompting(method: str, exp: str, student: str, r: int) -> str:
    return f"{method}-{exp}-{student}-r{r}"


# --- requests ------------------------------------------------------------------------------------------

def regeneration_messages(problem: dict, attempt: str, pred, hint: bool) -> list[dict]:
    """The prompt that shows the student's wrong attempt (and, for FAIR, the correct answer)."""
    text = (
        f"{core_prompt(problem)}\n\nA student attempted this problem:\n---\n{attempt.strip()}\n---\n"
        f"The student answered {pred if pred is not None else 'nothing'}, which is wrong."
        + (f" The correct answer is {problem['answer']}." if hint else "")
        + f" Explain briefly where the attempt goes wrong. Then write \"{SOLUTION_MARKER}\" on its own line,"
        f" followed by a careful step-by-step solution of the problem. {ANSWER_INSTRUCTIONS[problem['answer_type']]}"
    )
    return [{"role": "user", "content": text}]


def regeneration_requests(problems: list[dict], previous_eval: list[dict], name: str, teacher_cfg: dict, *, hint: bool) -> list[Request]:
    """One request per training problem that the previous round's student got wrong."""
    by_id = {p["id"]: p for p in problems}
    params = generation_params(teacher_cfg)
    reqs = []
    for row in previous_eval:
        if row["correct"] or row["id"] not in by_id:
            continue
        p = by_id[row["id"]]
        task = {"kind": "feedback", "prompting": name, "problem": p, "attempt": row["response"], "attempt_pred": row["pred"], "hint": hint}
        reqs.append(Request(messages=regeneration_messages(p, row["response"], row["pred"], hint), params=params, task=task))
    return reqs


def solution_part(response: str) -> str:
    """The fresh solution of a regeneration response (after the marker; all of it when there is none)."""
    head, marker, tail = response.partition(SOLUTION_MARKER)
    return tail.strip() if marker and tail.strip() else response.strip()


def as_rationales(rows: list[dict]) -> list[dict]:
    """Regenerated rows with their response cut to the solution: what a round trains on."""
    return [{**r, "response": solution_part(r["response"] or "")} for r in rows]


def merge(rounds: list[list[dict]], mode: str) -> list[dict]:
    """Round 0's rows updated by each later round: ``replace`` swaps a problem's rows for the new ones,
    ``add`` keeps both."""
    rows = list(rounds[0])
    for new in rounds[1:]:
        if mode == "replace":
            ids = {r["id"] for r in new}
            rows = [r for r in rows if r["id"] not in ids]
        rows += new
    return rows


def regenerate(teacher: str, teacher_cfg: dict, problems: list[dict], previous_eval: list[dict], name: str, *, hint: bool,
               cache_dir: str | None) -> tuple[list[dict], dict]:
    """The teacher's feedback and fresh solution for each problem the student missed, as rationale rows
    (with the student's ``attempt``); through the normal teacher engine (cache, concurrency, limits)."""
    from ..rationales import rationale_rows
    from ..teachers import run_requests

    requests = regeneration_requests(problems, previous_eval, name, teacher_cfg, hint=hint)
    completions, summary = run_requests(teacher, teacher_cfg, requests, cache_dir=cache_dir, desc=f"{teacher}/{name}")
    rows = [
        {**row, "attempt": q.task["attempt"], "attempt_pred": q.task["attempt_pred"]}
        for row, q in zip(rationale_rows(teacher, name, requests, completions), requests)
    ]
    summary["student_errors"] = len(requests)
    summary["accuracy"] = sum(r["correct"] for r in rows) / len(rows) if rows else 0.0
    return rows, summary


def round_sft(problems: list[dict], base: list[dict], later: list[list[dict]], *, mode: str, keep: str,
              feedback: bool) -> tuple[list[dict], list[dict], dict]:
    """A round's SFT examples: round 0's rationales updated by rounds 1..r (``mode``), filtered by
    ``keep``; with ``feedback``, also FAIR's mistake→feedback examples of the accepted rows."""
    from ..sft import build_sft
    from .fair import feedback_examples

    rows, stats = build_sft(problems, merge([base] + [as_rationales(x) for x in later], mode), keep)
    fb = feedback_examples(problems, merge([[]] + later, mode)) if feedback else []
    stats.update(rounds=len(later), new_rationales=sum(map(len, later)), feedback=len(fb))
    return rows, fb, stats


def sft_inputs(config: dict, recipe: str, results: str, dataset: str) -> dict:
    """The files a rounds recipe's SFT set is built from: ``base`` (round 0 rationales) and ``rounds``."""
    from ..experiments import split_recipe

    teacher, source, _ = split_recipe(recipe)
    s = parse_source(source)
    spec = config["experiments"][s["experiment"]]
    if s["kind"] == "pool" or (s["kind"] == "round" and s["method"] == "fair"):
        base = [f"{results}/rationales/{t}/{dataset}/cot.jsonl" for t in spec["teachers"]]
    else:
        base = [f"{results}/rationales/{teacher}/{dataset}/cot.jsonl"]
    later = []
    if s["kind"] == "round":
        for r in range(1, s["round"] + 1):
            if s["method"] == "fair":
                later.append(f"{results}/fair/{s['experiment']}/{s['student']}/{dataset}/r{r}/accepted.jsonl")
            else:
                later.append(f"{results}/rationales/{teacher}/{dataset}/{prompting('undo', s['experiment'], s['student'], r)}.jsonl")
    return {"base": base, "rounds": later}


def write_feedback(out_dir: str, feedback: list[dict]) -> None:
    """Add FAIR's ``feedback`` dataset beside ``train`` in a LLaMA-Factory dataset folder."""
    from pathlib import Path

    from ..io import read_json, write_json

    out = Path(out_dir)
    write_json(out / "feedback.json", feedback)
    info = read_json(out / "dataset_info.json")
    info["feedback"] = {**info["train"], "file_name": "feedback.json"}
    write_json(out / "dataset_info.json", info)


def config_overrides(source: dict, mixing: dict, n_feedback: int, n_train: int) -> dict:
    """What a rounds recipe changes in the LLaMA-Factory config: more epochs for the one-shot baseline,
    FAIR's mixing (``mixing``: alpha, mix) of the rationale and feedback sets, so that the expected loss is
    α·L_feedback + (1−α)·L_rationale."""
    if source["kind"] == "oneshot":
        return {"epochs_factor": source["factor"]}
    alpha = mixing.get("alpha", 0)
    if source["kind"] == "round" and source["method"] == "fair" and n_feedback and alpha > 0:
        if n_train == 0:
            return {"dataset": "feedback"}
        return {"dataset": "train,feedback", "mix_strategy": mixing["mix"], "interleave_probs": f"{1 - alpha:g},{alpha:g}"}
    return {}
