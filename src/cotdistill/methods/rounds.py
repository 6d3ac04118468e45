"""Iterative distillation as rounds of the DAG: UNDO (arXiv 2504.02521) and FAIR (arXiv 2410.03663).

Round 0 is ordinary CoT distillation. Round r ≥ 1 reads round r−1's student answers on the *training*
problems, asks the teacher(s) again for exactly the problems it got wrong (the prompt shows the wrong
attempt), builds a new SFT set and trains again. Every round is its own recipe, so its own files:

    UNDO   {teacher}.cot.{filter}                          round 0
           {teacher}.undo-{exp}-{student}-r{r}.{filter}     round r ≥ 1
           {teacher}.undo-{exp}-x{k}.{filter}               one-shot baseline, k = max_rounds + 1 times the epochs
    FAIR   committee.untrained.all                         round 0: the untrained student (its mistakes)
           committee.fair-{exp}-{student}-r{r}[-variant].all round r ≥ 1 (methods/fair.py, rules/fair.smk)

UNDO's regenerated rationales are ``rationales/{teacher}/{dataset}/undo-{exp}-{student}-r{r}.jsonl``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .. import paths
from ..prompts import ANSWER_INSTRUCTIONS, core_prompt
from ..runs import Run, split_recipe
from ..teacher_prompts import generation_params
from ..teachers.base import Request
from .base import Experiment

COMMITTEE = "committee"
SOLUTION_MARKER = "A careful solution:"
ROUND_SOURCE = re.compile(paths.ROUND_SOURCE)
ONESHOT_SOURCE = re.compile(paths.ONESHOT_SOURCE)


@dataclass
class RoundSettings(Experiment):
    """The keys UNDO and FAIR share."""

    max_rounds: int = 2
    sft: str = "replace"
    init: str = "base"
    early_stop: bool | str | None = False
    patience: int = 1  # early stop after this many rounds without a new best dev accuracy

    def __post_init__(self):
        super().__post_init__()
        if not isinstance(self.max_rounds, int) or isinstance(self.max_rounds, bool) or self.max_rounds < 1:
            raise ValueError(f"max_rounds: must be an integer ≥ 1, got {self.max_rounds!r}")
        for name, allowed in (("sft", ("replace", "add")), ("init", ("base", "previous"))):
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name}: must be one of {', '.join(allowed)}, got {getattr(self, name)!r}")
        if self.early_stop is True:
            self.early_stop = "dev"
        if self.early_stop == "test":  # selection on the test split would leak into the numbers it reports
            raise ValueError("early_stop: test would select rounds on the test split; use dev (early_stop: true)")
        if self.early_stop not in (False, None, "dev"):
            raise ValueError(f"early_stop: false, or true / dev (compare rounds on the dev split), got {self.early_stop!r}")
        if not isinstance(self.patience, int) or isinstance(self.patience, bool) or self.patience < 1:
            raise ValueError(f"patience: an integer ≥ 1 (rounds without a new best before stopping), got {self.patience!r}")


# --- recipes -------------------------------------------------------------------------------------------

def round_recipe(exp: str, method: str, keep: str, teacher: str, student: str, r: int) -> str:
    """The recipe of round ``r`` of one chain (``teacher`` is ignored for FAIR: the committee's)."""
    if method == "fair":
        return paths.UNTRAINED_RECIPE if r == 0 else f"{COMMITTEE}.fair-{exp}-{student}-r{r}.all"
    return f"{teacher}.cot.{keep}" if r == 0 else f"{teacher}.undo-{exp}-{student}-r{r}.{keep}"


def chain_runs(exp: str, s: RoundSettings, chains: list[str], extra=None) -> list[Run]:
    """Every round of every chain (teacher, or the committee) per student × dataset, each with a ``round``
    label; ``extra(run, teacher)`` adds a chain's baselines."""
    evals = tuple(s.eval_datasets or ())
    out = []
    for student in s.students:
        for ds in s.datasets:
            def run(recipe, **labels):
                out.append(Run(exp, s.method, student, ds, recipe, evals or (ds,), labels))

            if extra:
                extra(run, None)
            for teacher in chains:
                for r in range(s.max_rounds + 1):
                    style = "untrained" if s.method == "fair" and r == 0 else s.method
                    run(round_recipe(exp, s.method, s.filter, teacher, student, r), teacher=teacher, round=r, style=style)
                if extra:
                    extra(run, teacher)
    return out


def gates(run: dict, s: RoundSettings) -> list[dict]:
    """The early-stop checkpoints (round_gate wildcards) that decide whether a round-r run is part of the study."""
    rnd = run["labels"].get("round")
    if not rnd or rnd < 2 or not s.early_stop:
        return []
    return [{"experiment": run["experiment"], "teacher": run["labels"]["teacher"], "student": run["student"],
             "dataset": run["train_set"], "round": r} for r in range(1, rnd)]


def gate_verdict(accuracies: list[float], patience: int = 1) -> dict:
    """Whether the round after the last of ``accuracies`` (rounds 0..r, held-out) runs: only if one of the
    last ``patience`` rounds beat every round before them (rounds 0..r−patience); with fewer rounds than
    that, it runs."""
    r = len(accuracies) - 1
    before, recent = accuracies[: max(r + 1 - patience, 0)], accuracies[max(r + 1 - patience, 0):]
    keep = not before or max(recent) > max(before)
    return {"round": r, "accuracy": accuracies[-1], "best_before": max(before) if before else None,
            "patience": patience, "continue": keep}


def parse_source(source: str) -> dict | None:
    """What a rounds recipe's source names: {kind: round|oneshot, experiment, ...}; None otherwise."""
    for kind, pattern in (("round", ROUND_SOURCE), ("oneshot", ONESHOT_SOURCE)):
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
    teacher, source, _ = split_recipe(recipe)
    s = parse_source(source)
    spec = config["experiments"][s["experiment"]]
    return round_recipe(s["experiment"], spec["method"], spec.get("filter", "correct"), teacher, s["student"], s["round"] - 1)


def prompting(method: str, exp: str, student: str, r: int) -> str:
    return f"{method}-{exp}-{student}-r{r}"


# --- DAG wiring (rules/rounds.smk): what a rule's wildcards point at -------------------------------------

def source_of(recipe: str) -> dict | None:
    return parse_source(split_recipe(recipe)[1])


def chain_recipe(settings: dict, exp: str, teacher: str, student: str, r: int) -> str:
    """Round ``r``'s recipe of a chain of experiment ``exp`` (``settings``: every experiment's settings)."""
    s = settings[exp]
    return round_recipe(exp, s.method, s.filter, teacher, student, r)


def previous_checkpoint(config: dict, settings: dict, layout: paths.Layout, student: str, dataset: str, recipe: str) -> list[str]:
    """Round r-1's checkpoint where a round continues from it (``init: previous``)."""
    src = source_of(recipe)
    if src["kind"] != "round" or settings[src["experiment"]].init != "previous":
        return []
    if src["method"] == "fair" and src["round"] == 1:  # round 0 is the untrained student itself
        return []
    return [layout.path("checkpoint", student=student, dataset=dataset, recipe=previous_recipe(config, recipe))]


def mixing(settings: dict, recipe: str) -> dict:
    """FAIR's rationale/feedback mix of a round recipe (``alpha``, ``mix``); {} for UNDO."""
    src = source_of(recipe)
    if src.get("method") != "fair":
        return {}
    s = settings[src["experiment"]]
    return {"alpha": 0.0 if src.get("variant") == "nofeedback" else s.alpha, "mix": s.mix}


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


def round_sft(problems: list[dict], base: list[dict], later: list[list[dict]], *, mode: str, keep: str) -> tuple[list[dict], dict]:
    """An UNDO round's SFT examples: round 0's rationales updated by rounds 1..r (``mode``), filtered by ``keep``."""
    from ..sft import build_sft

    rows, stats = build_sft(problems, merge([base] + [as_rationales(x) for x in later], mode), keep)
    stats.update(rounds=len(later), new_rationales=sum(map(len, later)), feedback=0)
    return rows, stats


def sft_inputs(config: dict, recipe: str, layout: paths.Layout, dataset: str) -> dict:
    """The files an UNDO recipe's SFT set is built from: ``base`` (round 0 rationales) and ``rounds``."""
    teacher, source, _ = split_recipe(recipe)
    s = parse_source(source)
    base = [layout.path("rationales", teacher=teacher, dataset=dataset, prompting="cot")]
    later = []
    if s["kind"] == "round":
        for r in range(1, s["round"] + 1):
            later.append(layout.path("rationales", teacher=teacher, dataset=dataset, prompting=prompting("undo", s["experiment"], s["student"], r)))
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
