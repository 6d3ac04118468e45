"""AIME, GPQA diamond and HARP converters (the iterated-summarization paper's datasets), on rows in their
release layouts, through the same loader as every dataset."""

from __future__ import annotations

import csv
import json

import pytest

from cotdistill.data import CONVERTERS, BadRow, load_split
from cotdistill.data.converters_reasoning import gpqa_converter, shuffled_options
from cotdistill.prompts import core_prompt

GPQA_ROW = {"Question": "Which particle has spin 1/2?", "Correct Answer": "electron",
            "Incorrect Answer 1": "photon", "Incorrect Answer 2": "gluon [title]", "Incorrect Answer 3": "Higgs boson",
            "Explanation": "Leptons are fermions.", "Record ID": "recABC", "High-level domain": "Physics"}


def write_csv(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return path


def test_aime_release_csv_through_the_loader(tmp_path):
    path = write_csv(tmp_path / "aime_2024.csv", [
        {"id": "2024-II-4", "question": "Find $m+n$.", "solution": "... so $\\boxed{33}$", "answer": "033"},
        {"id": "2024-I-1", "question": "Find the time.", "solution": "", "answer": "204"},
    ])
    probs = load_split("aime24", {"source": "csv", "format": "aime", "path": str(path)}, "test")
    assert [(p["id"], p["answer"], p["answer_type"]) for p in probs] == [("2024-II-4", "33", "number"),
                                                                          ("2024-I-1", "204", "number")]
    assert probs[0]["solution"].endswith("\\boxed{33}$") and probs[1]["solution"] is None


def test_aime_hub_layout_and_range():
    out = CONVERTERS["aime"]({"ID": "2024-I-2", "Problem": "P", "Solution": "S", "Answer": 25})
    assert (out["native_id"], out["question"], out["answer"]) == ("2024-I-2", "P", "25")
    for bad in ("1000", "-3", "2.5", "abc"):
        with pytest.raises(BadRow):
            CONVERTERS["aime"]({"id": "x", "question": "q", "answer": bad})


def test_gpqa_options_are_cleaned_and_shuffled_by_seed_and_record():
    out = CONVERTERS["gpqa"](GPQA_ROW)
    assert sorted(out["choices"]["text"]) == ["Higgs boson", "electron", "gluon.", "photon"]
    assert out["choices"]["label"] == ["A", "B", "C", "D"]
    assert out["choices"]["text"][ord(out["answer"]) - 65] == "electron"
    assert (out["answer_type"], out["native_id"], out["meta"]["shuffle_seed"]) == ("choice", "recABC", 0)
    # the order is a function of (seed, record id) only: the same again, and across seeds the gold moves
    assert CONVERTERS["gpqa"](dict(GPQA_ROW)) == out
    golds = {gpqa_converter(seed)(GPQA_ROW)["answer"] for seed in range(40)}
    assert golds == {"A", "B", "C", "D"}
    positions = {shuffled_options("c", ["w1", "w2", "w3"], f"rec{i}")[1] for i in range(40)}
    assert positions == {0, 1, 2, 3}  # not always the same slot across records
    assert "(A) " in core_prompt({**out, "context": None})


def test_gpqa_reference_layout_and_bad_rows():
    row = {"id": "gpqa_diamond_train_0", "question": "Lifetimes...?\n\nChoices:\n(A) 10^-4 eV\n(B) 10^-11 eV\n"
           "(C) 10^-9 eV\n(D) 10^-8 eV", "solution": "10^-4 eV", "answer": "(A)"}
    out = CONVERTERS["gpqa"](row)
    assert (out["question"], out["answer"], out["choices"]["text"][0]) == ("Lifetimes...?", "A", "10^-4 eV")
    with pytest.raises(BadRow, match="distinct"):
        CONVERTERS["gpqa"]({**GPQA_ROW, "Incorrect Answer 3": "electron"})
    with pytest.raises(BadRow, match="release layout"):
        CONVERTERS["gpqa"]({"id": "1", "question": "no options here", "answer": "A"})


def test_harp_release_jsonl_filtered_by_level(tmp_path):
    rows = [
        {"year": 1950, "contest": "AHSME", "number": 1, "level": 2, "subject": "prealgebra",
         "multiple_choice_only": False, "problem": "Split 64.", "answer": "$10\\frac{2}{3}$",
         "solution_1": "...", "num_solutions": 1},
        {"year": 2004, "contest": "AIME_I", "number": 15, "level": 6, "subject": "algebra",
         "multiple_choice_only": False, "problem": "Find n.", "answer": "$ 448 $", "solution_1": "s1",
         "solution_2": "s2", "num_solutions": 2},
        {"year": 1990, "contest": "AHSME", "number": 30, "level": 6, "subject": "geometry",
         "multiple_choice_only": True, "problem": "Which is true?", "answer": "$C$"},
    ]
    path = tmp_path / "HARP.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    cfg = {"source": "jsonl", "format": "harp", "path": str(path), "filter": {"level": 6, "multiple_choice_only": False}}
    probs = load_split("harp", cfg, "test")
    assert [(p["id"], p["answer"], p["answer_type"], p["solution"]) for p in probs] == [
        ("2004_AIME_I_15", "448", "latex", "s1")]
    assert probs[0]["meta"]["level"] == 6
    with pytest.raises(ValueError, match=r"HARP.jsonl:3: a multiple-choice-only problem"):
        load_split("harp", {**cfg, "filter": {"level": 6}}, "test")


def test_harp_mcq_layout():
    out = CONVERTERS["harp"]({"year": 1990, "contest": "AHSME", "number": 30, "level": 6, "problem": "Which?",
                              "choices": {"B": "two", "A": "one", "C": "three"}, "answer_choice": "C",
                              "answer": "$three$", "multiple_choice_only": True})
    assert (out["answer"], out["answer_type"], out["choices"]) == (
        "C", "choice", {"label": ["A", "B", "C"], "text": ["one", "two", "three"]})
