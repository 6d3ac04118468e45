"""Iterated summarization ("Simple, Scalable Reasoning via Iterated Summarization").

Iteration 0: the model solves each problem. Iteration i >= 1 (up to ``max_iterations``: re-attempts after
the first, the paper's count): a summarizer (the model itself, or another teacher) summarizes attempt i-1
(its reasoning trace; ``summarize_loop``); attempt i's prompt lists every summary so far (``ATTEMPT k SUMMARY: ...``)
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

from .. import paths
from ..errors import ConfigError
from ..reasoning_trace import SUMMARY_INPUTS
from ..runs import Run, split_recipe
from .base import Experiment, Method, check_names
from .summarize_loop import (  # noqa: F401  (the loop's API, re-exported for the rules' scripts)
    KINDS, VARIANTS, LoopOptions, SummarizeConfigError, attempt_messages, cumulate_tokens, final_summaries,
    first_iteration, load_template, metrics, next_iteration, sft_rationales, summary_messages, template_path,
)

SFT_FROM = ("final_attempt", "summary")
SFT_SOURCE = re.compile(paths.SUMMARIZE_SFT_SOURCE)


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
    max_iterations: int = 2  # the paper's count: attempts after the first (iterations 0..max_iterations)
    continue_after_correct: bool = False
    summary_input: str = "reasoning"  # what the summarizer sees of an attempt: reasoning (the trace) | full | answer
    allow_fallback: bool = True  # no </think> and no reasoning_content: summarize the whole response
    summary_post_think: bool | None = None  # later prompts show a summary's post-think part; default: summarizer self
    continuation: dict | None = None  # {max_total_tokens, max_continuations}: continue cut-off attempts
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
        if isinstance(self.max_iterations, bool) or not isinstance(self.max_iterations, int) or self.max_iterations < 0:
            raise ValueError(f"max_iterations: re-attempts after the first (the paper's count), an integer >= 0, "
                             f"not {self.max_iterations!r}")
        if self.summary_input not in SUMMARY_INPUTS:
            raise ValueError(f"summary_input: one of {', '.join(SUMMARY_INPUTS)}, not {self.summary_input!r}")
        cont = self.continuation
        if cont is not None and (not isinstance(cont, dict) or set(cont) - {"max_total_tokens", "max_continuations"}
                                 or not isinstance(cont.get("max_total_tokens"), int) or cont["max_total_tokens"] < 1
                                 or int(cont.get("max_continuations", 4)) < 0):
            raise ValueError(f"continuation: {{max_total_tokens: N >= 1, max_continuations: M >= 0}}, not {cont!r}")
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
    last = config["experiments"][exp].get("max_iterations", Settings.max_iterations)
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


def solver_key(config: dict, model: str, dataset: str, layout: paths.Layout) -> str:
    """What a loop rule records of a solver: its name and the keys of its block that can change its answers
    (``params.teacher_output_params``), so that concurrency, rate limits, retries, prices or the
    batch size under greedy decoding rerun nothing. The job builds the whole solver from the config."""
    from ..params import teacher_output_params

    name, cfg, cached = solver(config, model, dataset, layout)
    return f"{name} {teacher_output_params(cfg)} {cached}"


def summarizer_key(config: dict, s: Settings, model: str, dataset: str, layout: paths.Layout) -> str:
    return solver_key(config, model if s.summarizer == "self" else s.summarizer, dataset, layout)


def checkpoint(layout: paths.Layout, model: str, dataset: str) -> str:
    student, recipe = model.split("@", 1)
    return layout.path("checkpoint", student=student, dataset=dataset, recipe=recipe)


def checkpoint_inputs(layout: paths.Layout, model: str, dataset: str) -> list[str]:
    """The trained checkpoint a ``student@recipe`` model runs from; nothing for a teacher."""
    return [checkpoint(layout, model, dataset)] if "@" in model else []


def summarizer_of(config: dict, s: Settings, model: str, dataset: str, layout: paths.Layout) -> tuple[str, dict, bool]:
    """The summarizer's solver tuple: the model itself (``self``) or the named teacher."""
    return solver(config, model if s.summarizer == "self" else s.summarizer, dataset, layout)


def loop_options(s: Settings) -> dict:
    """The loop's options (``summarize_loop.LoopOptions`` fields) of an experiment, for the rules' params."""
    cont = s.continuation or {}
    post = s.summary_post_think if s.summary_post_think is not None else s.summarizer == "self"
    return {"summary_input": s.summary_input, "allow_fallback": s.allow_fallback, "summary_post_think": post,
            "max_total_tokens": cont.get("max_total_tokens"), "max_continuations": int(cont.get("max_continuations", 4))}


def attempt_options(s: Settings) -> dict:
    """The loop options a first attempt uses (continuation only): iteration 0 is reused when only the
    summarization changes."""
    return {k: v for k, v in loop_options(s).items() if k in ("max_total_tokens", "max_continuations")}


def runs(exp: str, s: Settings):
    """Table rows: one Run per model × dataset × iteration × variant (no_oracle only where it means something),
    and with ``sft:`` one ordinary student run per SFT student × dataset × teacher (variant ``sft``)."""
    variants = VARIANTS if s.continue_after_correct else ("oracle",)
    out = []
    for model in models(s):
        student, recipe = model.split("@", 1) if "@" in model else ("", "")
        teacher = split_recipe(recipe)[0] if recipe else model
        for ds in s.datasets:
            for i in range(s.max_iterations + 1):
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


METHOD = Method("summarize", Settings, runs, figures=("summarization",), check=check, targets=targets,
                sft_inputs=sft_inputs, sft_rationales=sft_source_rationales, parser=parse)
