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
from functools import lru_cache
from pathlib import Path

from ..prompts import ANSWER_INSTRUCTIONS, core_prompt
from ..rationales import grade
from ..teacher_prompts import PROMPTS_DIR, generation_params
from ..teachers import Request, run_requests

KINDS = ("reasoning", "summarize")
VARIANTS = ("oracle", "no_oracle")
DEFAULTS = {"reasoning": "v0", "summarize": "v1", "summarizer": "self", "max_iterations": 3,
            "continue_after_correct": False, "split": "test", "student_recipes": [], "sft": None}
SFT_FROM = ("final_attempt", "summary")
SFT_DEFAULTS = {"from": "final_attempt", "students": [], "filter": "correct"}
SFT_SOURCE = re.compile(r"^summarize-(?P<experiment>[A-Za-z][A-Za-z0-9_]*)-(?P<kind>final_attempt|summary)$")


class SummarizeConfigError(ValueError):
    """A summarize experiment's config mistake; the message names the key."""


def settings(spec: dict) -> dict:
    """The experiment's summarize knobs with defaults filled in."""
    return {k: spec.get(k, v) for k, v in DEFAULTS.items()}


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


def models(spec: dict) -> list[str]:
    """The models an experiment runs the loop with: its teachers, then ``student@recipe`` per trained student."""
    s = settings(spec)
    return list(spec["teachers"]) + [f"{st}@{r}" for st in spec.get("students", []) for r in s["student_recipes"]]


def check(exp: str, spec: dict, config: dict) -> None:
    """Raise SummarizeConfigError naming ``experiments.<exp>.<key>`` on a mistake."""
    s, where = settings(spec), f"experiments.{exp}"
    for kind in KINDS:
        try:
            load_template(kind, str(s[kind]))
        except SummarizeConfigError as exc:
            raise SummarizeConfigError(f"{where}.{exc}") from None
    if s["summarizer"] != "self" and s["summarizer"] not in config.get("teachers", {}):
        raise SummarizeConfigError(f"{where}.summarizer: {s['summarizer']!r} is neither 'self' nor a teacher "
                                   f"(defined: {', '.join(sorted(config.get('teachers', {})))})")
    if not isinstance(s["max_iterations"], int) or s["max_iterations"] < 1:
        raise SummarizeConfigError(f"{where}.max_iterations: must be an integer >= 1, not {s['max_iterations']!r}")
    if spec.get("students") and not s["student_recipes"]:
        raise SummarizeConfigError(f"{where}.student_recipes: students are listed, so name the trained recipe(s) "
                                   "whose checkpoints run the loop (e.g. [offline.cot.correct])")
    from ..experiments import split_recipe

    for r in s["student_recipes"]:
        try:
            teacher, _, keep = split_recipe(r)
        except ValueError:
            teacher = keep = None
        if teacher not in config.get("teachers", {}) or keep not in ("correct", "all"):
            raise SummarizeConfigError(f"{where}.student_recipes: {r!r} is not <teacher>.<source>.<correct|all> "
                                       "with a defined teacher")
    if s["sft"] is not None:
        check_sft(where, s, config)


def check_sft(where: str, s: dict, config: dict) -> None:
    sft, where = s["sft"], f"{where}.sft"
    if not isinstance(sft, dict):
        raise SummarizeConfigError(f"{where}: a mapping {{from: final_attempt|summary, students: [...], filter: correct|all}}, "
                                   f"not {sft!r}")
    unknown = sorted(set(sft) - set(SFT_DEFAULTS))
    if unknown:
        raise SummarizeConfigError(f"{where}.{unknown[0]}: unknown key (known: {', '.join(SFT_DEFAULTS)})")
    sft = {**SFT_DEFAULTS, **sft}
    if sft["from"] not in SFT_FROM:
        raise SummarizeConfigError(f"{where}.from: one of {', '.join(SFT_FROM)}, not {sft['from']!r}")
    if sft["filter"] not in ("correct", "all"):
        raise SummarizeConfigError(f"{where}.filter: correct or all, not {sft['filter']!r}")
    if not isinstance(sft["students"], list) or not sft["students"]:
        raise SummarizeConfigError(f"{where}.students: name the student(s) to train on the loop's outputs")
    for st in sft["students"]:
        if st not in config.get("students", {}):
            raise SummarizeConfigError(f"{where}.students: {st!r} is not defined under students: "
                                       f"(defined: {', '.join(sorted(config.get('students', {})))})")
    if s["split"] != "train":
        raise SummarizeConfigError(f"{where}: students train on the loop's problems, so the loop must run on the "
                                   f"training problems (set split: train, not {s['split']!r}; a second summarize "
                                   "experiment can run the loop on the test split)")


def sft_settings(spec: dict) -> dict | None:
    """The ``sft:`` switch with defaults filled in; None when it is off."""
    sft = spec.get("sft")
    return None if sft is None else {**SFT_DEFAULTS, **sft}


def sft_recipe(exp: str, spec: dict, teacher: str) -> str:
    sft = sft_settings(spec)
    return f"{teacher}.summarize-{exp}-{sft['from']}.{sft['filter']}"


def sft_input(config: dict, results_dir: str, teacher: str, dataset: str, source: str) -> str | None:
    """The file a ``summarize-{exp}-{from}`` source's SFT set is built from (None: not such a source)."""
    m = SFT_SOURCE.match(source)
    if not m:
        return None
    exp = m["experiment"]
    if m["kind"] == "summary":
        return final_summary_file(results_dir, exp, teacher, dataset)
    last = settings(config["experiments"][exp])["max_iterations"] - 1
    return iteration_file(results_dir, exp, teacher, dataset, last)


def solver(config: dict, model: str, dataset: str, results_dir: str) -> tuple[str, dict, bool]:
    """(name, teacher config, use the response cache) of a model: a teacher, or a trained student as ``hf``."""
    if "@" not in model:
        return model, config["teachers"][model], True
    student = model.split("@", 1)[0]
    gen = config["students"][student].get("generation", {})
    cfg = {"kind": "hf", "model": checkpoint(results_dir, model, dataset), "temperature": 0.0,
           "max_tokens": gen.get("max_new_tokens", 256), "batch_size": gen.get("batch_size", 8)}
    return model, cfg, False


def checkpoint(results_dir: str, model: str, dataset: str) -> str:
    student, recipe = model.split("@", 1)
    return f"{results_dir}/checkpoints/{student}/{dataset}/{recipe}"


def iteration_file(results_dir: str, exp: str, model: str, dataset: str, i: int, suffix: str = "jsonl") -> str:
    return f"{results_dir}/summarize/{exp}/{model}/{dataset}/iter{i}.{suffix}"


def final_summary_file(results_dir: str, exp: str, model: str, dataset: str) -> str:
    return f"{results_dir}/summarize/{exp}/{model}/{dataset}/final_summary.jsonl"


def runs(exp: str, spec: dict):
    """Table rows: one Run per model × dataset × iteration × variant (no_oracle only where it means something),
    and with ``sft:`` one ordinary student run per SFT student × dataset × teacher (variant ``sft``)."""
    from ..experiments import Run, split_recipe

    s = settings(spec)
    variants = VARIANTS if s["continue_after_correct"] else ("oracle",)
    out = []
    for model in models(spec):
        student, recipe = model.split("@", 1) if "@" in model else ("", "")
        teacher = split_recipe(recipe)[0] if recipe else model
        for ds in spec["datasets"]:
            for i in range(s["max_iterations"]):
                for v in variants:
                    out.append(Run(exp, "summarize", student, ds, recipe, (ds,),
                                   {"teacher": teacher, "round": i, "variant": v, "model": model,
                                    "summarizer": s["summarizer"]},
                                   metrics=iteration_file("", exp, model, ds, i, f"{v}.metrics.json").lstrip("/")))
    sft = sft_settings(spec)
    if sft:
        evals = tuple(spec.get("eval_datasets") or ())
        out += [Run(exp, "summarize", student, ds, sft_recipe(exp, spec, t), evals or (ds,),
                    {"teacher": t, "style": f"sft-{sft['from']}", "variant": "sft", "model": t,
                     "summarizer": s["summarizer"]})
                for student in sft["students"] for ds in spec["datasets"] for t in spec["teachers"]]
    return out


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


def plot(df, out: str) -> None:
    """Accuracy (solid: oracle stop, dashed: no oracle) and mean tokens per problem, against the iteration."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (acc_ax, tok_ax) = plt.subplots(1, 2, figsize=(10, 4.2))
    for i, (key, g) in enumerate(df.groupby(["experiment", "model", "dataset"])):
        label = "{} / {} on {}".format(*key)
        for variant, style in (("oracle", "-"), ("no_oracle", "--")):
            v = g[g["variant"] == variant].sort_values("iteration")
            if len(v):
                acc_ax.plot(v["iteration"], v["accuracy"], style, marker="o", color=f"C{i}",
                            label=f"{label} ({variant.replace('_', '-')})")
        v = g[g["variant"] == "oracle"].sort_values("iteration")
        tok_ax.plot(v["iteration"], v["tokens_per_problem"], marker="o", color=f"C{i}", label=label)
    acc_ax.set(xlabel="iteration (0 = first attempt)", ylabel="accuracy", ylim=(0, 1),
               title="Accuracy per iteration")
    tok_ax.set(xlabel="iteration", ylabel="completion tokens per problem (summary + attempt)",
               title="Tokens per iteration")
    for ax in (acc_ax, tok_ax):
        ax.grid(alpha=0.3)
        ax.xaxis.get_major_locator().set_params(integer=True)
    acc_ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)
