"""Iterated summarization ("Simple, Scalable Reasoning via Iterated Summarization").

Iteration 0: the model solves each problem. Iteration i >= 1: a summarizer (the model itself, or another
teacher) summarizes attempt i-1; attempt i's prompt lists every summary so far (``ATTEMPT k SUMMARY: ...``)
and asks the model to check the latest approach and try a different one if it was wrong. The prompts are
versioned Jinja files, ``prompts/summarize/reasoning_<v>.txt`` and ``summarize_<v>.txt``.

Each iteration is its own file (``iter{i}.jsonl``), computed from the previous one, so a new summarization
prompt or summarizer reruns iterations >= 1 and reuses iteration 0. With ``continue_after_correct: false``
a problem stops at its first correct attempt — that uses the gold answer (an oracle), so two accuracies
are reported per iteration: ``oracle`` (any attempt so far correct) and ``no_oracle`` (the latest attempt;
only meaningful when every problem keeps going, i.e. ``continue_after_correct: true``).

A model is a teacher name (any backend, through the teacher engine and its cache) or a trained student,
``<student>@<recipe>`` (its checkpoint run as an ``hf`` teacher with its own chat template; not cached,
since a retrained checkpoint keeps its path).

Beyond the paper, the ``sft:`` switch makes a teacher's loop an SFT recipe,
``{teacher}.summarize-{exp}-{from}.{filter}``: each problem's final attempt (``from: final_attempt``, the
last iteration file) or a summary of it (``from: summary``, one more summarizer call per problem: a compact
rationale). The listed students train on it through the ordinary sft/train/generate/score rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from .. import paths
from ..errors import ConfigError
from ..prompts import ANSWER_INSTRUCTIONS, core_prompt
from ..rationales import grade
from ..runs import Run, split_recipe
from ..teacher_prompts import PROMPTS_DIR, generation_params
from ..teachers import Request, run_requests
from .base import Experiment, Method, check_names

KINDS = ("reasoning", "summarize")
VARIANTS = ("oracle", "no_oracle")
SFT_FROM = ("final_attempt", "summary")
SFT_SOURCE = re.compile(paths.SUMMARIZE_SFT_SOURCE)


class SummarizeConfigError(ValueError):
    """A summarize experiment's config mistake; the message names the key."""


@dataclass
class SftSettings:
    """``sft:`` — train students on what a teacher's loop produced (recipe ``{teacher}.summarize-{exp}-{from}.{filter}``)."""

    students: list[str] = field(default_factory=list)
    filter: str = "correct"
    source: str = "final_attempt"  # config key ``from``

    def __post_init__(self):
        if self.source not in SFT_FROM:
            raise ValueError(f"from: one of {', '.join(SFT_FROM)}, not {self.source!r}")
        if self.filter not in ("correct", "all"):
            raise ValueError(f"filter: correct or all, not {self.filter!r}")
        if not isinstance(self.students, list) or not self.students:
            raise ValueError("students: name the student(s) to train on the loop's outputs")


@dataclass
class Settings(Experiment):
    reasoning: str = "v0"
    summarize: str = "v1"
    summarizer: str = "self"
    max_iterations: int = 3
    continue_after_correct: bool = False
    split: str = "test"
    student_recipes: list[str] = field(default_factory=list)
    sft: SftSettings | None = None

    def __post_init__(self):
        super().__post_init__()
        for kind in KINDS:
            try:
                load_template(kind, str(getattr(self, kind)))
            except SummarizeConfigError as exc:
                raise ValueError(str(exc)) from None
        if not isinstance(self.max_iterations, int) or self.max_iterations < 1:
            raise ValueError(f"max_iterations: must be an integer >= 1, not {self.max_iterations!r}")
        if self.students and not self.student_recipes:
            raise ValueError("student_recipes: students are listed, so name the trained recipe(s) whose checkpoints "
                             "run the loop (e.g. [offline.cot.correct])")
        if isinstance(self.sft, dict):
            self.sft = _sft(self.sft)
        if self.sft is not None and not isinstance(self.sft, SftSettings):
            raise ValueError(f"sft: a mapping {{from: final_attempt|summary, students: [...], filter: correct|all}}, "
                             f"not {self.sft!r}")
        if self.sft is not None and self.split != "train":
            raise ValueError(f"sft: students train on the loop's problems, so the loop must run on the training "
                             f"problems (set split: train, not {self.split!r}; a second summarize experiment can run "
                             "the loop on the test split)")


def _sft(block: dict) -> SftSettings:
    from ..settings import check_keys

    try:
        check_keys(block, ("from", "students", "filter"), "sft")
    except ConfigError as exc:
        raise ValueError(str(exc)) from None
    try:
        return SftSettings(**{("source" if k == "from" else k): v for k, v in block.items()})
    except ValueError as exc:
        raise ValueError(f"sft.{exc}") from None


def parse(name: str, spec: dict) -> Settings:
    """Settings of a summarize experiment, ``sft:`` built by hand (its ``from`` key is a Python keyword)."""
    from ..settings import from_dict

    spec = dict(spec)
    sft = spec.pop("sft", None)
    s = from_dict(Settings, spec, f"experiments.{name}")
    if sft is not None:
        try:
            s.sft = sft if not isinstance(sft, dict) else _sft(sft)
            s.__post_init__()
        except ValueError as exc:
            raise ConfigError(f"experiments.{name}.{exc}") from None
    return s


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


def models(s: Settings) -> list[str]:
    """The models an experiment runs the loop with: its teachers, then ``student@recipe`` per trained student."""
    return list(s.teachers) + [f"{st}@{r}" for st in s.students for r in s.student_recipes]


def check(where: str, s: Settings, config: dict) -> None:
    """Cross-references: the summarizer, the student recipes' teachers, the SFT students."""
    if s.summarizer != "self" and s.summarizer not in config.get("teachers", {}):
        raise ConfigError(f"{where}.summarizer: {s.summarizer!r} is neither 'self' nor a teacher "
                          f"(defined: {', '.join(sorted(config.get('teachers', {})))})")
    for r in s.student_recipes:
        try:
            teacher, _, keep = split_recipe(r)
        except ValueError:
            teacher = keep = None
        if teacher not in config.get("teachers", {}) or keep not in ("correct", "all"):
            raise ConfigError(f"{where}.student_recipes: {r!r} is not <teacher>.<source>.<correct|all> "
                              "with a defined teacher")
    if s.sft is not None:
        check_names(f"{where}.sft", "students", s.sft.students, config, "students")


def sft_recipe(exp: str, s: Settings, teacher: str) -> str:
    return f"{teacher}.summarize-{exp}-{s.sft.source}.{s.sft.filter}"


def sft_input(config: dict, layout: paths.Layout, teacher: str, dataset: str, source: str) -> str | None:
    """The file a ``summarize-{exp}-{from}`` source's SFT set is built from (None: not such a source)."""
    m = SFT_SOURCE.match(source)
    if not m:
        return None
    exp = m["experiment"]
    if m["kind"] == "summary":
        return layout.path("loop_final_summary", experiment=exp, model=teacher, dataset=dataset)
    last = config["experiments"][exp].get("max_iterations", Settings.max_iterations) - 1
    return layout.path("loop_iteration", experiment=exp, model=teacher, dataset=dataset, i=last)


def sft_inputs(config: dict, layout: paths.Layout, teacher: str, dataset: str, source: str) -> list[str] | None:
    path = sft_input(config, layout, teacher, dataset, source)
    return None if path is None else [path]


def sft_source_rationales(source: str, inputs: list[list[dict]]) -> list[dict] | None:
    return sft_rationales(inputs[0]) if SFT_SOURCE.match(source) else None


def solver(config: dict, model: str, dataset: str, layout: paths.Layout) -> tuple[str, dict, bool]:
    """(name, teacher config, use the response cache) of a model: a teacher, or a trained student as ``hf``."""
    if "@" not in model:
        return model, config["teachers"][model], True
    student = model.split("@", 1)[0]
    gen = config["students"][student].get("generation", {})
    cfg = {"kind": "hf", "model": checkpoint(layout, model, dataset), "temperature": 0.0,
           "max_tokens": gen.get("max_new_tokens", 256), "batch_size": gen.get("batch_size", 8)}
    return model, cfg, False


def checkpoint(layout: paths.Layout, model: str, dataset: str) -> str:
    student, recipe = model.split("@", 1)
    return layout.path("checkpoint", student=student, dataset=dataset, recipe=recipe)


def checkpoint_inputs(layout: paths.Layout, model: str, dataset: str) -> list[str]:
    """The trained checkpoint a ``student@recipe`` model runs from; nothing for a teacher."""
    return [checkpoint(layout, model, dataset)] if "@" in model else []


def summarizer_of(config: dict, s: Settings, model: str, dataset: str, layout: paths.Layout) -> tuple[str, dict, bool]:
    """The summarizer's solver tuple: the model itself (``self``) or the named teacher."""
    return solver(config, model if s.summarizer == "self" else s.summarizer, dataset, layout)


def runs(exp: str, s: Settings):
    """Table rows: one Run per model × dataset × iteration × variant (no_oracle only where it means something),
    and with ``sft:`` one ordinary student run per SFT student × dataset × teacher (variant ``sft``)."""
    variants = VARIANTS if s.continue_after_correct else ("oracle",)
    out = []
    for model in models(s):
        student, recipe = model.split("@", 1) if "@" in model else ("", "")
        teacher = split_recipe(recipe)[0] if recipe else model
        for ds in s.datasets:
            for i in range(s.max_iterations):
                for v in variants:
                    out.append(Run(exp, "summarize", student, ds, recipe, (ds,),
                                   {"teacher": teacher, "round": i, "variant": v, "model": model,
                                    "summarizer": s.summarizer},
                                   metrics=paths.relative("loop_metrics", experiment=exp, model=model, dataset=ds,
                                                          i=i, variant=v)))
    if s.sft:
        evals = tuple(s.eval_datasets or ())
        out += [Run(exp, "summarize", student, ds, sft_recipe(exp, s, t), evals or (ds,),
                    {"teacher": t, "style": f"sft-{s.sft.source}", "variant": "sft", "model": t,
                     "summarizer": s.summarizer})
                for student in s.sft.students for ds in s.datasets for t in s.teachers]
    return out


def metrics_files(runs: list[Run], layout: paths.Layout) -> list[tuple[str, dict]]:
    """(metrics file, {experiment, model, dataset}) of every loop iteration among ``runs``, sorted by path."""
    found = {f"{layout.results}/{r.metrics}": {"experiment": r.experiment, "model": r.labels["model"], "dataset": r.train_set}
             for r in runs if r.method == "summarize" and r.metrics}
    return sorted(found.items())


def targets(name: str, s: Settings) -> list[str]:
    return [paths.relative("table", name="summarization")]


# ----------------------------------------------------------------------------- prompts


def attempt_messages(version: str, problem: dict, summaries: list[str]) -> list[dict]:
    text = load_template("reasoning", version).render(
        problem=core_prompt(problem), summaries=summaries, answer_instruction=ANSWER_INSTRUCTIONS[problem["answer_type"]])
    return [{"role": "user", "content": text.strip()}]


def summary_messages(version: str, problem: dict, attempt: str) -> list[dict]:
    text = load_template("summarize", version).render(problem=core_prompt(problem), attempt=attempt.strip())
    return [{"role": "user", "content": text.strip()}]


# ----------------------------------------------------------------------------- the loop


def _summary_request(problem: dict, row: dict, summarize: str, summarizer: tuple[str, dict, bool]) -> Request:
    """Ask the summarizer for a summary of ``row``'s attempt at ``problem``."""
    return Request(messages=summary_messages(summarize, problem, row["response"]), params=generation_params(summarizer[1]),
                   task={"kind": "summarize", "problem": problem, "attempt": row["response"], "attempt_pred": row["pred"]})


def _ask(who: tuple[str, dict, bool], requests: list[Request], cache_dir: str | None, desc: str):
    name, cfg, cached = who
    return run_requests(name, cfg, requests, cache_dir=cache_dir if cached else None, desc=desc)


def _attempts(problems, summaries, iteration, prev_preds, model, reasoning, cache_dir):
    who_name, who_cfg, _ = model
    requests = [
        Request(messages=attempt_messages(reasoning, p, s), params=generation_params(who_cfg),
                task={"kind": "solve", "mode": "style", "style": "step_by_step", "problem": p,
                      "prompting": f"summarize-iter{iteration}", "attempt_pred": prev})
        for p, s, prev in zip(problems, summaries, prev_preds)
    ]
    completions, summary = _ask(model, requests, cache_dir, f"{who_name}/iter{iteration}")
    return requests, completions, summary


def first_iteration(problems: list[dict], model: tuple[str, dict, bool], reasoning: str,
                    cache_dir: str | None = None) -> tuple[list[dict], dict]:
    """Iteration 0: one attempt per problem. Returns rows and the engine's stage summary."""
    requests, completions, summary = _attempts(problems, [[]] * len(problems), 0, [None] * len(problems),
                                               model, reasoning, cache_dir)
    rows = []
    for p, req, c in zip(problems, requests, completions):
        pred, ok = grade(p, c)
        rows.append({"id": p["id"], "dataset": p["dataset"], "iteration": 0, "model": model[0], "active": True,
                     "summaries": [], "messages": req.messages, "response": c.text, "pred": pred, "correct": ok,
                     "correct_any": ok, "finish_reason": c.finish_reason, "attempt_tokens": c.completion_tokens,
                     "summary_tokens": 0, "usage": {"attempt": c.usage(), "summary": None}})
    return rows, {"attempt": summary}


def next_iteration(previous: list[dict], problems: list[dict], model: tuple[str, dict, bool],
                   summarizer: tuple[str, dict, bool], reasoning: str, summarize: str, *,
                   continue_after_correct: bool, cache_dir: str | None = None) -> tuple[list[dict], dict]:
    """Iteration i from iteration i-1's rows: summarize the last attempt, then attempt again with every summary.

    Problems that stopped (correct so far, without ``continue_after_correct``; or stopped before) are
    carried over unchanged with ``active: false`` and no tokens spent.
    """
    by_id = {p["id"]: p for p in problems}
    iteration = previous[0]["iteration"] + 1 if previous else 1
    go = [r for r in previous if r["active"] and (continue_after_correct or not r["correct_any"])]
    todo = [by_id[r["id"]] for r in go]
    sum_requests = [_summary_request(p, r, summarize, summarizer) for p, r in zip(todo, go)]
    sums, sum_stage = _ask(summarizer, sum_requests, cache_dir, f"{summarizer[0]}/summaries{iteration}")
    summaries = [r["summaries"] + [s.text.strip()] for r, s in zip(go, sums)]
    requests, completions, att_stage = _attempts(todo, summaries, iteration, [r["pred"] for r in go], model,
                                                 reasoning, cache_dir)
    fresh = {}
    for p, r, s, req, c, ss in zip(todo, go, sums, requests, completions, summaries):
        pred, ok = grade(p, c)
        fresh[p["id"]] = {**r, "iteration": iteration, "active": True, "summaries": ss, "messages": req.messages,
                          "response": c.text, "pred": pred, "correct": ok, "correct_any": r["correct_any"] or ok,
                          "finish_reason": c.finish_reason, "attempt_tokens": c.completion_tokens,
                          "summary_tokens": s.completion_tokens, "usage": {"attempt": c.usage(), "summary": s.usage()}}
    rows = [fresh.get(r["id"]) or {**r, "iteration": iteration, "active": False, "attempt_tokens": 0,
                                   "summary_tokens": 0, "usage": {"attempt": None, "summary": None}}
            for r in previous]
    return rows, {"attempt": att_stage, "summary": sum_stage}


def metrics(rows: list[dict]) -> dict[str, dict]:
    """Per variant: n, accuracy, problems still attempted, mean tokens this iteration and in all so far."""
    n = len(rows)
    spent = [r["attempt_tokens"] + r["summary_tokens"] for r in rows]
    common = {"iteration": rows[0]["iteration"] if rows else 0, "n": n, "active": sum(r["active"] for r in rows),
              "tokens_per_problem": sum(spent) / n if n else 0.0}
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
                    cache_dir: str | None = None) -> tuple[list[dict], dict]:
    """A summary of each problem's final attempt, graded on its own (the compact rationale must state the
    right answer). Attempts that were cut off are not summarized."""
    by_id = {p["id"]: p for p in problems}
    todo = [r for r in last if r["finish_reason"] == "stop" and r["response"]]
    requests = [_summary_request(by_id[r["id"]], r, summarize, summarizer) for r in todo]
    completions, stage = _ask(summarizer, requests, cache_dir, f"{summarizer[0]}/final summaries")
    rows = []
    for r, req, c in zip(todo, requests, completions):
        pred, ok = grade(by_id[r["id"]], c)
        rows.append({"id": r["id"], "dataset": r["dataset"], "model": r["model"], "iteration": r["iteration"],
                     "attempt_correct": r["correct"], "messages": req.messages, "response": c.text, "pred": pred,
                     "correct": ok, "finish_reason": c.finish_reason, "usage": c.usage()})
    return rows, {"summary": stage}


METHOD = Method("summarize", Settings, runs, figures=("summarization",), check=check, targets=targets,
                sft_inputs=sft_inputs, sft_rationales=sft_source_rationales, parser=parse)
