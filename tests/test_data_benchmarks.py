"""The real shared test sets load through the local-file path with the right counts, ids and golds."""

from __future__ import annotations

import collections
import json
from pathlib import Path

import pytest

from cotdistill.data import load_split, validate_problem
from cotdistill.data.converters import LETTERS, NLI_LABELS
from cotdistill.prompts import core_prompt

BENCH = Path(__file__).resolve().parents[2] / "shared" / "benchmarks"
if not BENCH.is_dir():
    BENCH = Path("/work/shared/benchmarks")

# dataset -> (rows in the shared file, answer_type)
EXPECTED = {
    "gsm8k": (1056, "number"),
    "svamp": (800, "number"),
    "math500": (400, "latex"),
    "aqua": (204, "choice"),
    "strategyqa": (1832, "yesno"),
    "commonsenseqa": (977, "choice"),
    "arc_challenge": (938, "choice"),
    "anli": (960, "nli"),
    "date_understanding": (296, "choice"),
}


def _file(name: str, split: str = "test") -> Path:
    path = BENCH / name / f"{split}.jsonl"
    if not path.is_file():
        pytest.skip(f"{path} not present")
    return path


def _test(name: str, **cfg) -> list[dict]:
    return load_split(name, {"source": "jsonl", "files": {"test": str(_file(name))}, **cfg}, "test")


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_shared_test_set_converts(name):
    count, answer_type = EXPECTED[name]
    problems = _test(name)
    assert len(problems) == count
    assert len({p["id"] for p in problems}) == count
    for i, p in enumerate(problems):
        validate_problem(p, f"{name}[{i}]")
        assert p["dataset"] == name and p["split"] == "test" and p["answer_type"] == answer_type
        if answer_type == "number":
            assert "," not in p["answer"] and not p["answer"].endswith(".0")
            float(p["answer"])
        elif answer_type == "choice":
            assert p["answer"] in p["choices"]["label"]
            assert p["choices"]["label"] == list(LETTERS[: len(p["choices"]["label"])])
        elif answer_type == "yesno":
            assert p["answer"] in ("yes", "no")
        elif answer_type == "nli":
            assert p["answer"] in NLI_LABELS and p["context"]
        assert p["question"] in core_prompt(p)
    # a second load gives the same ids in the same order
    assert [p["id"] for p in _test(name)] == [p["id"] for p in problems]


def test_gsm8k_gold_and_solution():
    first = _test("gsm8k")[0]
    assert first["question"].startswith("Janet")
    assert first["answer"] == "18"
    assert "<<" not in first["solution"] and "####" not in first["solution"]
    assert first["solution"].endswith("$18 every day at the farmer’s market.")
    raw = [json.loads(line) for line in _file("gsm8k").open()]
    big = [r for r in raw if "," in r["answer"].rpartition("####")[2]]
    golds = {p["question"]: p["answer"] for p in _test("gsm8k")}
    for r in big:  # thousands separators are dropped, the digits kept
        assert golds[r["question"]] == r["answer"].rpartition("####")[2].strip().replace(",", "")


def test_gsm8k_train_has_7473_unique_ids():
    problems = load_split("gsm8k", {"source": "jsonl", "files": {"train": str(_file("gsm8k", "train"))}}, "train")
    assert len(problems) == 7473 and len({p["id"] for p in problems}) == 7473


def test_svamp_gold_and_ids():
    p = _test("svamp")[0]
    assert p["id"] == "chal-1" and p["answer"] == "51"
    assert p["question"] == ("Each pack of dvds costs 76 dollars. If there is a discount of 25 dollars "
                             "on each pack How much do you have to pay to buy each pack?")
    assert p["meta"]["equation"] == "( 76.0 - 25.0 )"


def test_math500_gold_is_the_answer_field_and_last_boxed():
    from cotdistill.data import last_boxed

    problems = _test("math500")
    assert problems[0]["answer"] == "\\left( 3, \\frac{\\pi}{2} \\right)"
    assert problems[0]["id"] == "test/precalculus/807.json"
    assert all(last_boxed(p["solution"]) == p["answer"] for p in problems)


def test_aqua_choices_and_rationale():
    p = _test("aqua")[0]
    assert p["choices"]["label"] == ["A", "B", "C", "D", "E"]
    assert p["choices"]["text"][0] == "5(√3 + 1)" and p["answer"] == "A"
    assert p["solution"].startswith("Explanation")


def test_choice_datasets_keep_native_ids_and_keys():
    csqa = _test("commonsenseqa")[0]
    assert csqa["id"] == "1afa02df02c908a558b4036e80242fac" and csqa["answer"] == "A"
    assert csqa["choices"]["text"][0] == "bank"
    arc = _test("arc_challenge")[0]
    assert arc["id"] == "Mercury_7175875" and arc["answer"] == "C"


def test_strategyqa_and_anli_labels():
    sqa = _test("strategyqa")
    assert sqa[0]["answer"] == "yes" and sqa[1]["answer"] == "no"
    assert collections.Counter(p["answer"] for p in sqa) == {"no": 975, "yes": 857}
    anli = _test("anli")
    assert anli[0]["id"] == "b0e63408-53af-4b46-b33d-bf5ba302949f" and anli[0]["answer"] == "entailment"
    assert collections.Counter(p["answer"] for p in anli) == {"entailment": 324, "neutral": 324, "contradiction": 312}
    prompt = core_prompt(anli[0])
    assert prompt.startswith("Premise: It is Sunday today") and "Hypothesis: The day of the passage" in prompt


def test_date_understanding_gold_is_not_always_a():
    problems = _test("date_understanding")
    raw = [json.loads(line) for line in _file("date_understanding").open()]
    for p, r in zip(problems, raw):
        correct = next(o for o, v in r["target_scores"].items() if v == 1)
        assert p["choices"]["text"][p["choices"]["label"].index(p["answer"])] == correct
    letters = collections.Counter(p["answer"] for p in problems)
    assert letters["A"] < len(problems) / 3  # the release lists the gold first; we shuffle


def test_subsample_is_seeded_nested_and_stable():
    small = _test("gsm8k", n_test=50, seed=1)
    large = _test("gsm8k", n_test=200, seed=1)
    other = _test("gsm8k", n_test=50, seed=2)
    assert len(small) == 50 and len(large) == 200
    assert {p["id"] for p in small} <= {p["id"] for p in large}
    assert {p["id"] for p in small} != {p["id"] for p in other}
    assert [p["id"] for p in small] == [p["id"] for p in _test("gsm8k", n_test=50, seed=1)]
    rows = [p["meta"]["row"] for p in small]
    assert rows == sorted(rows)  # source order kept


def test_dev_is_carved_from_train_and_disjoint():
    cfg = {"source": "jsonl", "files": {"train": str(_file("gsm8k", "train"))}, "dev_size": 100,
           "n_train": 500, "seed": 3}
    dev = load_split("gsm8k", cfg, "dev")
    train = load_split("gsm8k", cfg, "train")
    assert len(dev) == 100 and len(train) == 500
    assert all(p["split"] == "dev" for p in dev) and all(p["split"] == "train" for p in train)
    assert not {p["id"] for p in dev} & {p["id"] for p in train}
    assert [p["id"] for p in load_split("gsm8k", cfg, "dev")] == [p["id"] for p in dev]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_golds_round_trip_through_the_answer_checker(name):
    """A response that boxes the gold is judged correct: gold format and checker agree."""
    from cotdistill.answers import check, extract

    for p in _test(name):
        pred = extract(f"So the answer is \\boxed{{{p['answer']}}}.", p["answer_type"], p["choices"])
        assert check(pred, p["answer"], p["answer_type"])[0], (p["id"], p["answer"], pred)


def test_source_dev_split_is_subsampled_by_dev_size():
    path = str(_file("gsm8k"))
    cfg = {"source": "jsonl", "files": {"test": path, "dev": path}, "dev_size": 30, "seed": 0}
    dev = load_split("gsm8k", cfg, "dev")
    assert len(dev) == 30 and all(p["split"] == "dev" for p in dev)
