"""SFT sets in LLaMA-Factory's alpaca format, one folder per (recipe, dataset) with its dataset_info.json.

The instruction is the problem's core prompt, exactly what the student sees at evaluation; the output is
the teacher's rationale. Rationales with a wrong answer are dropped under ``filter: correct``. Rows are
shuffled with a fixed seed, so that a ``max_samples`` cap (LLaMA-Factory keeps the first N rows) takes a
random subset of problems and styles rather than the first problems' every style.
"""

from __future__ import annotations

import random
from pathlib import Path

from .io import write_json
from .prompts import core_prompt

DATASET_NAME = "train"


def sft_example(problem: dict, response: str) -> dict:
    return {"instruction": core_prompt(problem), "input": "", "output": response.strip()}


def build_sft(problems: list[dict], rationales: list[dict], keep: str = "correct") -> tuple[list[dict], dict]:
    """Examples from rationales (joined to problems by id) and counts of what was kept and why not."""
    by_id = {p["id"]: p for p in problems}
    rows, stats = [], {"rationales": len(rationales), "kept": 0, "wrong": 0, "cut_off": 0, "unknown_id": 0}
    for r in rationales:
        problem = by_id.get(r["id"])
        if problem is None:
            stats["unknown_id"] += 1
            continue
        if r.get("finish_reason", "stop") != "stop" or not r.get("response"):
            stats["cut_off"] += 1
            continue
        if keep == "correct" and not r.get("correct"):
            stats["wrong"] += 1
            continue
        rows.append(sft_example(problem, r["response"]))
    stats["kept"] = len(rows)
    random.Random(0).shuffle(rows)
    return rows, stats


def write_sft_dir(out_dir: str | Path, rows: list[dict]) -> None:
    """``train.json`` and the ``dataset_info.json`` that LLaMA-Factory reads through ``dataset_dir``."""
    out_dir = Path(out_dir)
    write_json(out_dir / f"{DATASET_NAME}.json", rows)
    info = {
        DATASET_NAME: {
            "file_name": f"{DATASET_NAME}.json",
            "formatting": "alpaca",
            "columns": {"prompt": "instruction", "query": "input", "response": "output"},
        }
    }
    write_json(out_dir / "dataset_info.json", info)
