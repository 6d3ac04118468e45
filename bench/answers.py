"""Agreement and speed of our answer checker against math-verify, on the same cases, in one run.

    .venv/bin/python bench/answers.py [--per-set 300] [--benchmarks ../shared/benchmarks]

Cases: the shared real equivalence cases (answer_equivalence/cases.jsonl) plus round trips of
GSM8K, SVAMP and MATH-500 gold answers (a formatted response vs its gold: equivalent; vs the next
row's different gold: not). Both checkers get the raw (gold, pred) strings. Start-up (imports, our
worker) is excluded for both. Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def _pairs(golds: list[str], fmt, n: int, name: str) -> list[dict]:
    out = []
    for a, b in list(zip(golds, golds[1:]))[:n]:
        out.append({"set": name, "gold": a, "pred": fmt(a), "equivalent": True})
        if a.strip() != b.strip():
            out.append({"set": name, "gold": a, "pred": fmt(b), "equivalent": False})
    return out


def load_cases(root: Path, per_set: int) -> list[dict]:
    cases = [dict(c, set="shared") for c in _jsonl(root / "answer_equivalence" / "cases.jsonl")]
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


def run(cases: list[dict], verdict) -> tuple[list[bool], float]:
    t = time.perf_counter()
    out = [bool(verdict(c["gold"], c["pred"])) for c in cases]
    return out, time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--benchmarks", default=str(Path(__file__).resolve().parents[2] / "shared" / "benchmarks"))
    ap.add_argument("--per-set", type=int, default=300, help="round-trip pairs per dataset")
    args = ap.parse_args()
    logging.disable(logging.CRITICAL)

    from math_verify import parse, verify

    from cotdistill.answers import check as _  # noqa: F401 - import cost excluded
    from cotdistill.answers.check import _check, judge
    from cotdistill.answers.symbolic import warm_up

    cases = load_cases(Path(args.benchmarks), args.per_set)
    warm_up()
    parse("$1$")
    _check.cache_clear()

    def mv(gold, pred):
        try:
            return verify(parse(gold), parse(pred))
        except Exception:  # noqa: BLE001 - a crash counts as "not equivalent", as in practice
            return False

    reasons = []

    def ours_verdict(gold, pred):
        r = judge(pred, gold)
        reasons.append(r["reason"])
        return r["verdict"]

    ours, t_ours = run(cases, ours_verdict)
    theirs, t_mv = run(cases, mv)

    sets = sorted({c["set"] for c in cases})
    print(f"{'set':10s} {'n':>5s} {'ours':>7s} {'mv':>7s}")
    for s in sets + ["all"]:
        idx = [i for i, c in enumerate(cases) if s in ("all", c["set"])]
        a = sum(ours[i] == cases[i]["equivalent"] for i in idx) / len(idx)
        b = sum(theirs[i] == cases[i]["equivalent"] for i in idx) / len(idx)
        print(f"{s:10s} {len(idx):5d} {a:7.3f} {b:7.3f}")
    print(f"cases sent to the symbolic worker: {sum('symbolic' in r for r in reasons)} of {len(cases)}")
    n = len(cases)
    agree = sum(o == c["equivalent"] for o, c in zip(ours, cases)) / n
    mv_agree = sum(o == c["equivalent"] for o, c in zip(theirs, cases)) / n
    print(json.dumps({
        "cases": n, "agreement": round(agree, 4), "mv_agreement": round(mv_agree, 4),
        "cases_per_s": round(n / t_ours, 1), "mv_cases_per_s": round(n / t_mv, 1),
        "speedup": round(t_mv / t_ours, 2),
    }))


if __name__ == "__main__":
    main()
