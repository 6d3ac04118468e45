"""Agreement and speed of our answer checker against math-verify, on the same cases, in one run.

    .venv/bin/python bench/answers.py [--per-set 300] [--benchmarks DIR]   (DIR default: $COTDISTILL_BENCHMARKS)

Cases (every set that is present):
- ``own-dev`` / ``own-heldout``: tests/fixtures/answer_cases, this project's cases per answer kind;
  the held-out third (a fixed hash rule) was never used while developing the checker;
- ``shared``: DIR/answer_equivalence/cases.jsonl, peer projects' test cases (development part; also
  reported per source repository);
- ``gsm8k`` / ``svamp`` / ``math500``: round trips of DIR/{name}/test.jsonl gold answers (a formatted
  response vs its gold: equivalent; vs the next row's different gold: not).

Both checkers get the same raw (gold, pred) strings, ours through ``judge`` (extraction included).
math-verify gets its documented input: ``verify(parse(gold), parse(pred))`` with a LaTeX gold in
``$...$`` delimiters (a bare-maths pred too; a pred with delimiters, a box or prose is passed as is).
Start-up (imports, our symbolic worker) is excluded for both; our caches start empty; the two take
turns case by case (a busy machine slows both alike). Agreement is
with the cases' verdicts; a false accept is "equivalent" said of a not-equivalent case (rate: per
case, and per not-equivalent case); ours may also say "undecided" (a symbolic timeout), which counts
as a disagreement. Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import time
from collections import defaultdict
from pathlib import Path

OWN = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "answer_cases"
_DELIMITED = re.compile(r"\$|\\\(|\\\[|\\boxed|\\fbox")
_PROSE = re.compile(r"(?<![\\a-zA-Z])[a-zA-Z]{3,}(?![a-zA-Z])")


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def _pairs(golds: list[str], fmt, n: int, name: str) -> list[dict]:
    out = []
    for a, b in list(zip(golds, golds[1:]))[:n]:
        out.append({"set": name, "gold": a, "pred": fmt(a), "equivalent": True})
        if a.strip() != b.strip():
            out.append({"set": name, "gold": a, "pred": fmt(b), "equivalent": False})
    return out


def load_cases(root: Path | None, per_set: int) -> list[dict]:
    cases = [dict(c, set=f"own-{name}") for name in ("dev", "heldout") for c in _jsonl(OWN / f"{name}.jsonl")]
    if root is None:
        return cases
    if (root / "answer_equivalence" / "cases.jsonl").exists():
        cases += [dict(c, set="shared") for c in _jsonl(root / "answer_equivalence" / "cases.jsonl")]
    if (root / "gsm8k" / "test.jsonl").exists():
        g = [r["answer"].split("####")[-1].strip() for r in _jsonl(root / "gsm8k" / "test.jsonl")]
        cases += _pairs(g, lambda a: f"So she makes ${a} in total.\nThe answer is {a}.", per_set, "gsm8k")
    if (root / "svamp" / "test.jsonl").exists():
        g = [f"{r['Answer']:g}" for r in _jsonl(root / "svamp" / "test.jsonl")]
        cases += _pairs(g, lambda a: f"Hence {a} is left over. The answer is {a}", per_set, "svamp")
    if (root / "math500" / "test.jsonl").exists():
        g = [r["answer"] for r in _jsonl(root / "math500" / "test.jsonl")]
        cases += _pairs(g, lambda a: f"Putting it together, the result is $\\boxed{{{a}}}$.", per_set, "math500")
    return cases


def mv_input(s: str, gold: bool) -> str:
    """math-verify's documented input: LaTeX in delimiters. A gold is always wrapped unless it has
    delimiters or a box; a pred only when it is bare maths (no delimiters, no words)."""
    if _DELIMITED.search(s):
        return s
    if gold or not _PROSE.search(re.sub(r"\\[a-zA-Z]+", " ", s)):
        return f"${s}$"
    return s


def timed(cases: list[dict], *checkers) -> list[tuple[list, list[float]]]:
    """Each checker's verdicts and seconds per case; the checkers take turns case by case, so that
    a busy machine slows them alike."""
    runs = [([], []) for _ in checkers]
    for c in cases:
        for verdict, (out, secs) in zip(checkers, runs):
            t = time.perf_counter()
            out.append(verdict(c["gold"], c["pred"]))
            secs.append(time.perf_counter() - t)
    return runs


def _stats(idx: list[int], cases: list[dict], verdicts: list, secs: list[float]) -> dict:
    n = len(idx)
    neg = sum(not cases[i]["equivalent"] for i in idx)
    fa = sum(verdicts[i] is True and not cases[i]["equivalent"] for i in idx)
    t = sum(secs[i] for i in idx)
    return {"n": n, "agreement": sum(verdicts[i] == cases[i]["equivalent"] for i in idx) / n if n else 0.0,
            "false_accepts": fa, "fa_rate": fa / n if n else 0.0, "fa_rate_neg": fa / neg if neg else 0.0,
            "false_rejects": sum(verdicts[i] is False and cases[i]["equivalent"] for i in idx),
            "undecided": sum(verdicts[i] is None for i in idx), "per_s": n / t if t else float("inf")}


def _table(title: str, groups: dict[str, list[int]], cases, ours, mv, t_ours, t_mv) -> None:
    """One row per group of case indices, and a last row for all of the groups together."""
    print(f"\n{title:18s} {'n':>5s} | {'ours':>6s} {'FA':>3s} {'FR':>3s} {'und':>3s} | {'mv':>6s} {'FA':>3s} {'FR':>3s} | {'speedup':>7s}")
    for name, idx in list(groups.items()) + [("all", sorted(i for g in groups.values() for i in g))]:
        a, b = _stats(idx, cases, ours, t_ours), _stats(idx, cases, mv, t_mv)
        ratio = sum(t_mv[i] for i in idx) / max(sum(t_ours[i] for i in idx), 1e-12)
        print(f"{name[:18]:18s} {a['n']:5d} | {a['agreement']:6.3f} {a['false_accepts']:3d} {a['false_rejects']:3d} "
              f"{a['undecided']:3d} | {b['agreement']:6.3f} {b['false_accepts']:3d} {b['false_rejects']:3d} | {ratio:6.1f}x")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--benchmarks", default=os.environ.get("COTDISTILL_BENCHMARKS"),
                    help="folder of shared benchmark data (default: $COTDISTILL_BENCHMARKS; own cases only when unset)")
    ap.add_argument("--per-set", type=int, default=300, help="round-trip pairs per dataset")
    args = ap.parse_args()
    logging.disable(logging.CRITICAL)

    from math_verify import parse, verify

    from cotdistill.answers import answer_kind, judge
    from cotdistill.answers.check import _check
    from cotdistill.answers.latex import clean
    from cotdistill.answers.symbolic import warm_up

    cases = load_cases(Path(args.benchmarks) if args.benchmarks else None, args.per_set)
    if not args.benchmarks:
        print("COTDISTILL_BENCHMARKS unset: own cases only (no shared peer cases, no round trips)")
    warm_up()
    verify(parse("$1$"), parse("$1$"))
    _check.cache_clear()
    clean.cache_clear()

    def mv(gold, pred):
        try:
            return bool(verify(parse(mv_input(gold, True)), parse(mv_input(pred, False))))
        except Exception:  # noqa: BLE001 - a crash counts as "not equivalent", as in practice
            return False

    results = []

    def ours_verdict(gold, pred):
        r = judge(pred, gold)
        results.append(r)
        return r["verdict"]

    (ours, t_ours), (theirs, t_mv) = timed(cases, ours_verdict, mv)

    by_set, by_kind, by_repo = defaultdict(list), defaultdict(list), defaultdict(list)
    for i, (c, r) in enumerate(zip(cases, results)):
        by_set[c["set"]].append(i)
        by_kind[c.get("kind") or answer_kind(r["gold_answer"], r["answer_type"])].append(i)
        if c["set"] == "shared":
            by_repo[str(c.get("source", "-")).split(" ")[0].split("/")[-1]].append(i)
    _table("set", dict(sorted(by_set.items())), cases, ours, theirs, t_ours, t_mv)
    _table("kind", dict(sorted(by_kind.items())), cases, ours, theirs, t_ours, t_mv)
    if by_repo:
        _table("shared, by repo", dict(sorted(by_repo.items())), cases, ours, theirs, t_ours, t_mv)
    symbolic = sum("symbolic" in r["reason"] for r in results)
    print(f"\ncases sent to the symbolic worker: {symbolic} of {len(cases)}")

    everything = list(range(len(cases)))
    a, b = _stats(everything, cases, ours, t_ours), _stats(everything, cases, theirs, t_mv)
    summary = {
        "cases": len(cases), "agreement": round(a["agreement"], 4), "mv_agreement": round(b["agreement"], 4),
        "false_accepts": a["false_accepts"], "false_accept_rate": round(a["fa_rate"], 4),
        "false_accept_rate_of_negatives": round(a["fa_rate_neg"], 4), "mv_false_accepts": b["false_accepts"],
        "undecided": a["undecided"], "symbolic": symbolic,
        "cases_per_s": round(a["per_s"], 1), "mv_cases_per_s": round(b["per_s"], 1),
        "speedup": round(sum(t_mv) / sum(t_ours), 2),
    }
    for name in ("own-dev", "own-heldout", "shared"):
        if by_set.get(name):
            s, m = _stats(by_set[name], cases, ours, t_ours), _stats(by_set[name], cases, theirs, t_mv)
            key = name.replace("own-", "").replace("-", "_")
            summary[f"{key}_agreement"] = round(s["agreement"], 4)
            summary[f"{key}_mv_agreement"] = round(m["agreement"], 4)
            summary[f"{key}_false_accepts"] = s["false_accepts"]
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
