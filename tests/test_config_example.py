"""The commented paper-scale example in config.yaml plans every job (hub datasets, API teacher, hub
student) without touching the network: a dry-run of its table."""

from __future__ import annotations

import re

import yaml

from conftest import ROOT, dry_run_jobs, workflow_copy


def example_config() -> dict:
    text = (ROOT / "config.yaml").read_text()
    block = text.split("# --- Paper-scale example", 1)[1]
    lines = [re.sub(r"^# ?", "", ln) for ln in block.splitlines() if ln.startswith("#   ") or re.match(r"^# [a-z]+:", ln)]
    cfg = yaml.safe_load("\n".join(lines))
    return {"llamafactory_python": ".venv-lf/bin/python", **cfg}


def test_example_plans_every_job(tmp_path, monkeypatch):
    cfg = example_config()
    assert set(cfg["experiments"]) == {"gsm8k_api"} and cfg["students"]["qwen05b"]["model"].startswith("Qwen/")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-dry-run-only")
    wd = workflow_copy(tmp_path / "wd")
    (wd / "config.yaml").write_text(yaml.safe_dump(cfg))
    jobs = dry_run_jobs(wd, "results/tables/all.csv")
    # 2 promptings × 1 student: rationales, SFT, config, training; evaluation on gsm8k and svamp each
    assert jobs == {"data": 3, "rationales": 2, "sft": 2, "lf_config": 2, "train": 2, "generate": 4, "score": 4, "table": 1}
