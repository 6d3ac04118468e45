"""The README's result tables, generated from a study's results (``all.csv``, eval rows, job records), so
that no number in them is typed by hand. ``scripts/readme_tables.py`` (``make readme-tables``) rewrites
the block between ``<!-- results:{name}:begin -->`` and ``<!-- results:{name}:end -->`` in README.md.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from . import paths
from .io import read_json, read_jsonl
from .provenance import job_span, job_times
from .report import cells, eval_path
from .stats import compare, paired_outcomes, wilson


def _fmt(x: float) -> str:
    return f"{x:.3f}"


def _with_split(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with a ``split`` column (tables written before it existed were all scored on test)."""
    return df if "split" in df else df.assign(split="test")


def _split(r) -> str:
    split = getattr(r, "split", "test")
    return "test" if pd.isna(split) else str(split)


def _what(r) -> str:
    """A row's run in words: recipe without the filter, with granularity/format/round/variant where set."""
    recipe = "" if pd.isna(r.recipe) else str(r.recipe).rsplit(".", 1)[0]
    extra = [f"round {int(r.round)}" if "round" in r._fields and not pd.isna(r.round) and r.method != "summarize" else "",
             f"iteration {int(r.round)}" if r.method == "summarize" and not pd.isna(r.round) else "",
             str(getattr(r, "variant", "")) if not pd.isna(getattr(r, "variant", pd.NA)) else "",
             f"(on {r.split})" if _split(r) != "test" else ""]
    who = str(getattr(r, "model", "")) if not recipe and not pd.isna(getattr(r, "model", pd.NA)) else ""
    return " ".join(x for x in [recipe or who, *extra] if x)


def results_table(df: pd.DataFrame) -> str:
    """One line per cell: experiment, run, student, dataset, n, accuracy with its 95 % interval (for seed
    replicates the mean over seeds, its t interval and the number of seeds)."""
    c = cells(df).sort_values(["experiment", "dataset", "recipe", "round"], na_position="first")
    lines = ["| experiment | run | student | dataset | n | accuracy [95 % CI] |", "|---|---|---|---|---|---|"]
    for r in c.itertuples():
        seeds = f" (mean of {int(r.n_seeds)} seeds)" if "n_seeds" in c and not pd.isna(r.n_seeds) else ""
        student = "" if pd.isna(r.student) else r.student
        lines.append(f"| {r.experiment} | {_what(r)} | {student} | {r.dataset} | {int(r.n)} | "
                     f"{_fmt(r.value)} [{_fmt(r.low)}, {_fmt(r.high)}]{seeds} |")
    return "\n".join(lines)


def paired_claims(df: pd.DataFrame, results_dir: str | Path, a: str = "cot", b: str = "direct") -> str:
    """"A beats B" lines for every distill cell that has both promptings: the paired difference on the same
    problems with its bootstrap interval and the exact McNemar p-value (one line per seed replicate)."""
    lines = []
    df = _with_split(df)
    d = df[(df["method"] == "distill") & df["style"].isin([a, b])]
    keys = ["experiment", "student", "teacher", "train_set", "dataset", "split"]
    for key, g in d.groupby(keys, dropna=False):
        rows = {s: g[g["style"] == s].iloc[0] for s in (a, b) if (g["style"] == s).any()}
        if len(rows) < 2:
            continue
        evals = {s: read_jsonl(eval_path(str(results_dir), r.to_dict(), "rows")) for s, r in rows.items()}
        c = compare(*paired_outcomes(evals[a], evals[b]), seed=0)
        exp, student, teacher, _, dataset, _ = key
        lines.append(
            f"- {exp}, {dataset}, {student} from {teacher}: {a} {_fmt(c['acc_a'])} vs {b} {_fmt(c['acc_b'])} on the same "
            f"{c['n']} problems, difference {c['diff']:+.3f} [95 % CI {c['diff_low']:+.3f}, {c['diff_high']:+.3f}] "
            f"(paired bootstrap), exact McNemar p = {c['p_value']:.2g} ({c['a_only']} solved only by {a}, {c['b_only']} only by {b})")
    return "\n".join(lines) or f"(no distill experiment with both {a} and {b})"


def run_summary(df: pd.DataFrame, results_dir: str | Path, workdir: str | Path = ".") -> str:
    """Runs, trainings, figures and the wall time from the first to the last job (Snakemake's records)."""
    results_dir = Path(results_dir)
    jobs = job_times(workdir, str(results_dir))
    trainings = len({j["job"] for j in jobs if str(j["rule"]).endswith("train") and "/checkpoints/" in j["output"]})
    figures = sorted(p.stem for p in (results_dir / "figures").glob("*.png"))
    wall = ""
    if jobs:
        minutes, seconds = divmod(round(job_span(jobs)), 60)
        wall = f", {len({(j['rule'], j['job']) for j in jobs})} jobs recorded, {minutes} min {seconds} s from the first job's start to the last one's end"
    return (f"{len(df)} rows in `all.csv`, {trainings} trainings, {len(figures)} figures ({', '.join(figures)}){wall}.")


def dev_choices(df: pd.DataFrame) -> str:
    """Per experiment, dataset and run (recipe) scored on dev: the student (setting) with the best dev
    accuracy, with its interval and the runner-up's (ties go to the first student of the experiment)."""
    df = _with_split(df)
    d = df[df["split"] == "dev"]
    lines = []
    for (exp, dataset, recipe), g in d.groupby(["experiment", "dataset", "recipe"], sort=False):
        ranked = g.sort_values("accuracy", ascending=False, kind="stable")
        best = ranked.iloc[0]
        second = (f"; next {ranked.iloc[1]['student']} {_fmt(ranked.iloc[1]['accuracy'])} "
                  f"[{_fmt(ranked.iloc[1]['ci_low'])}, {_fmt(ranked.iloc[1]['ci_high'])}]") if len(ranked) > 1 else ""
        lines.append(f"- {exp}, {dataset}, {recipe.rsplit('.', 1)[0]}: best on dev **{best['student']}** "
                     f"{_fmt(best['accuracy'])} [{_fmt(best['ci_low'])}, {_fmt(best['ci_high'])}] of {len(g)}{second}")
    return "\n".join(lines)


def _share(k: int, n: int) -> str:
    low, high = wilson(k, n)
    return f"{k}/{n} = {_fmt(k / n)} [{_fmt(low)}, {_fmt(high)}]" if n else "0/0"


def peer_review_lines(df: pd.DataFrame, results_dir: str | Path) -> str:
    """FAIR's peer review per experiment, student, dataset and round of the table's FAIR runs
    (``acceptance.json``): how many of the rationales it kept and their precision against the gold, beside
    the pool's, and per hinted/unhinted reviewers (the share of what they scored above the threshold that
    is correct)."""
    lines = []
    fair = df[df["method"] == "fair"] if "method" in df else df.iloc[:0]
    for exp, student, dataset in sorted(set(zip(fair["experiment"], fair["student"], fair["train_set"]))):
        pattern = paths.TEMPLATES["fair_acceptance"].format(experiment=exp, student=student, dataset=dataset, round="*")
        for f in sorted(Path(results_dir).glob(pattern)):
            lines.append(_review_line(read_json(f), exp, student, dataset, f.parent.name[1:]))
    return "\n".join(lines)


def _review_line(a: dict, exp: str, student: str, dataset: str, rnd: str) -> str:
    """One peer-review line of an ``acceptance.json``."""
    groups = {}
    for r in a.get("reviewers", {}).values():
        g = groups.setdefault("hinted" if r["hint"] else "unhinted", [0, 0])
        g[0], g[1] = g[0] + r["passed_correct"], g[1] + r["passed"]
    by_hint = "; ".join(f"{name} reviewers passed {n}, correct {_share(k, n)}" for name, (k, n) in sorted(groups.items()))
    return (f"- FAIR {exp}, {student}, {dataset}, round {rnd}: peer review (mean score > {a['threshold']:g}) kept "
            f"{a['accepted']} of {a['rationales']} rationales; correct among the kept "
            f"{_share(a['accepted_correct'], a['accepted'])} vs the pool's {_share(a['correct'], a['rationales'])}"
            + (f" ({by_hint})" if by_hint else ""))


def block(df: pd.DataFrame, results_dir: str | Path, workdir: str | Path = ".") -> str:
    df = _with_split(df)
    parts = [f"Generated by `scripts/readme_tables.py` from `{results_dir}` — do not edit by hand. "
             + run_summary(df, results_dir, workdir), results_table(df)]
    review = peer_review_lines(df, results_dir)
    if review:
        parts.append("Peer review (precision against the gold answers, with 95 % Wilson intervals):\n\n" + review)
    if (df["split"] == "dev").any():
        parts.append("Chosen on the dev split (the setting with the best dev accuracy per run):\n\n" + dev_choices(df))
    if ((df["split"] == "test") & (df["method"] == "distill")).any():
        parts.append("Paired comparisons (CoT-distilled vs direct-answer student on the same test problems):\n\n"
                     + paired_claims(df[df["split"] == "test"], results_dir))
    return "\n\n".join(parts)


def replace_block(text: str, name: str, body: str) -> str:
    """``text`` with the marked block ``name`` replaced by ``body``; ValueError if the markers are missing."""
    begin, end = f"<!-- results:{name}:begin -->", f"<!-- results:{name}:end -->"
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.S)
    if not pattern.search(text):
        raise ValueError(f"README has no block {begin} … {end}")
    return pattern.sub(lambda _: f"{begin}\n{body}\n{end}", text, count=1)
