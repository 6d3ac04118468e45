"""Real benchmark test sets load through the local-file path with the right counts, ids and golds.

Each check runs on the 30-row fixtures in tests/fixtures (GSM8K, SVAMP, MATH-500, AQuA: permissive
licences, always present) and, as ``full``, on the full sets when COTDISTILL_BENCHMARKS names a folder
with {name}/test.jsonl and gsm8k/train.jsonl (else those cases skip, saying so)."""

from __future__ import annotations

import collections
import json
from pathlib import Path

import pytest

from cotdistill.data import load_split, validate_problem
from cotdistill.data.converters import LETTERS, NLI_LABELS
from cotdistill.prompts import core_prompt
from conftest import benchmark_file, fixture_file

# dataset -> (rows in the development copy of the full set, answer_type)
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


FIXTURE_ROWS = 30
FIXTURE_SETS = ("aqua", "gsm8k", "math500", "svamp")
ROOTS = ("fixtures", "full")


def _file(name: str, split: str = "test", root: str = "full") -> Path:
    return fixture_file(name, f"{split}.jsonl") if root == "fixtures" else benchmark_file(name, f"{split}.jsonl")


def _test(name: str, root: str = "full", **cfg) -> list[dict]:
    return load_split(name, {"source": "jsonl", "files": {"test": str(_file(name, root=root))}, **cfg}, "test")


SETS = [(name, "full") for name in sorted(EXPECTED)] + [(name, "fixtures") for name in FIXTURE_SETS]


@pytest.mark.parametrize("name, root", SETS)
def test_every_test_set_converts(name, root):
    count, answer_type = EXPECTED[name]
    count = count if root == "full" else FIXTURE_ROWS
    problems = _test(name, root)
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
    assert [p["id"] for p in _test(name, root)] == [p["id"] for p in problems]


@pytest.mark.parametrize("root", ROOTS)
def test_gsm8k_gold_and_solution(root):
    first = _test("gsm8k", root)[0]
    assert first["question"].startswith("Janet")
    assert first["answer"] == "18"
    assert "<<" not in first["solution"] and "####" not in first["solution"]
    assert first["solution"].endswith("$18 every day at the farmer’s market.")
    raw = [json.loads(line) for line in _file("gsm8k", root=root).open()]
    big = [r for r in raw if "," in r["answer"].rpartition("####")[2]]
    golds = {p["question"]: p["answer"] for p in _test("gsm8k", root)}
    for r in big:  # thousands separators are dropped, the digits kept
        assert golds[r["question"]] == r["answer"].rpartition("####")[2].strip().replace(",", "")


@pytest.mark.parametrize("root, rows", [("fixtures", FIXTURE_ROWS), ("full", 7473)])
def test_gsm8k_train_has_unique_ids(root, rows):
    problems = load_split("gsm8k", {"source": "jsonl", "files": {"train": str(_file("gsm8k", "train", root))}}, "train")
    assert len(problems) == rows and len({p["id"] for p in problems}) == rows


@pytest.mark.parametrize("root", ROOTS)
def test_svamp_gold_and_ids(root):
    p = _test("svamp", root)[0]
    assert p["id"] == "chal-1" and p["answer"] == "51"
    assert p["question"] == ("Each pack of dvds costs 76 dollars. If there is a discount of 25 dollars "
                             "on each pack How much do you have to pay to buy each pack?")
    assert p["meta"]["equation"] == "( 76.0 - 25.0 )"


@pytest.mark.parametrize("root", ROOTS)
def test_math500_gold_is_the_answer_field_and_last_boxed(root):
    from cotdistill.data import last_boxed

    problems = _test("math500", root)
    assert problems[0]["answer"] == "\\left( 3, \\frac{\\pi}{2} \\right)"
    assert problems[0]["id"] == "test/precalculus/807.json"
    assert all(last_boxed(p["solution"]) == p["answer"] for p in problems)


@pytest.mark.parametrize("root", ROOTS)
def test_aqua_choices_and_rationale(root):
    p = _test("aqua", root)[0]
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


@pytest.mark.parametrize("root, n_small, n_large", [("fixtures", 10, 20), ("full", 50, 200)])
def test_subsample_is_seeded_nested_and_stable(root, n_small, n_large):
    small = _test("gsm8k", root, n_test=n_small, seed=1)
    large = _test("gsm8k", root, n_test=n_large, seed=1)
    other = _test("gsm8k", root, n_test=n_small, seed=2)
    assert len(small) == n_small and len(large) == n_large
    assert {p["id"] for p in small} <= {p["id"] for p in large}
    assert {p["id"] for p in small} != {p["id"] for p in other}
    assert [p["id"] for p in small] == [p["id"] for p in _test("gsm8k", root, n_test=n_small, seed=1)]
    rows = [p["meta"]["row"] for p in small]
    assert rows == sorted(rows)  # source order kept


@pytest.mark.parametrize("root, n_dev, n_train", [("fixtures", 10, 15), ("full", 100, 500)])
def test_dev_is_carved_from_train_and_disjoint(root, n_dev, n_train):
    cfg = {"source": "jsonl", "files": {"train": str(_file("gsm8k", "train", root))}, "dev_size": n_dev,
           "n_train": n_train, "seed": 3}
    dev = load_split("gsm8k", cfg, "dev")
    train = load_split("gsm8k", cfg, "train")
    assert len(dev) == n_dev and len(train) == n_train
    assert all(p["split"] == "dev" for p in dev) and all(p["split"] == "train" for p in train)
    assert not {p["id"] for p in dev} & {p["id"] for p in train}
    assert [p["id"] for p in load_split("gsm8k", cfg, "dev")] == [p["id"] for p in dev]


@pytest.mark.parametrize("name, root", SETS)
def test_golds_round_trip_through_the_answer_checker(name, root):
    """A response that boxes the gold is judged correct: gold format and checker agree."""
    from cotdistill.answers import check, extract

    for p in _test(name, root):
        pred = extract(f"So the answer is \\boxed{{{p['answer']}}}.", p["answer_type"], p["choices"])
        assert check(pred, p["answer"], p["answer_type"])[0], (p["id"], p["answer"], pred)


@pytest.mark.parametrize("root, n_dev", [("fixtures", 10), ("full", 30)])
def test_source_dev_split_is_subsampled_by_dev_size(root, n_dev):
    path = str(_file("gsm8k", root=root))
    cfg = {"source": "jsonl", "files": {"test": path, "dev": path}, "dev_size": n_dev, "seed": 0}
    dev = load_split("gsm8k", cfg, "dev")
    assert len(dev) == n_dev and all(p["split"] == "dev" for p in dev)
