"""The Snakemake profiles: what the default profile may set, and what the Slurm profile
makes of the real pipeline in a dry-run (no cluster needed)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
TINY_CONFIG = REPO / "tests" / "configs" / "tiny.yaml"


def load(name: str) -> dict:
    return yaml.safe_load((REPO / "profiles" / name / "config.yaml").read_text())


def test_default_profile_is_safe_under_any_executor():
    """profiles/default is applied to every run, on top of --profile profiles/slurm too,
    and a later profile wins: it must not choose an executor, job count or resources."""
    default = load("default")
    assert default["rerun-incomplete"] is True and default["show-failed-logs"] is True
    clashing = {"executor", "jobs", "default-resources", "set-resources", "resources", "groups"}
    assert not clashing & set(default), clashing & set(default)


def test_slurm_profile_settings():
    slurm = load("slurm")
    assert slurm["executor"] == "slurm"
    assert slurm["rerun-incomplete"] is True and slurm["retries"] >= 1
    assert {"mem_mb", "runtime"} <= set(slurm["default-resources"])
    # every grouped rule belongs to a group that batches several components
    assert set(slurm["groups"].values()) <= set(slurm["group-components"])


def _dry_run(tmp_path: Path, overlay: dict) -> str:
    if not (REPO / "Snakefile").exists() or not TINY_CONFIG.exists():
        pytest.skip(f"the workflow or {TINY_CONFIG.relative_to(REPO)} does not exist yet")
    extra = tmp_path / "overlay.yaml"
    extra.write_text(yaml.safe_dump({"results_dir": str(tmp_path / "results"), **overlay}))
    cmd = [sys.executable, "-m", "snakemake", "-n", "--profile", str(REPO / "profiles" / "slurm"),
           "--configfile", str(TINY_CONFIG), str(extra)]
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=300)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    return out


def _jobs(out: str) -> list[tuple[str, dict[str, str]]]:
    """(rule, resources) of every job a dry-run prints."""
    jobs = []
    for block in re.split(r"\n\s*\n", out):
        rule = re.search(r"^\s*(?:local)?rule (\w+):", block, re.M)
        res = re.search(r"^\s*resources: (.*)$", block, re.M)
        if rule and res:
            jobs.append((rule.group(1), dict(kv.split("=", 1) for kv in res.group(1).split(", "))))
    return jobs


def test_dry_run_puts_gpu_resources_on_training_jobs(tmp_path):
    """A student's resources.train reach every train job; CPU stages ask for no GPU."""
    out = _dry_run(tmp_path, {"students": {"tiny": {"resources": {
        "train": {"gpu": 2, "mem_mb": 16000, "runtime": 120}}}}})
    jobs = _jobs(out)
    train = [res for rule, res in jobs if rule == "train"]
    assert train, "the dry-run lists no train job"
    for res in train:
        assert (res.get("gpu"), res["mem_mb"], res["runtime"]) == ("2", "16000", "120"), res
    for rule, res in jobs:
        if rule in {"data", "rationales", "sft", "lf_config", "score", "table", "figure"}:
            assert res.get("gpu", "0") == "0", (rule, res)
    # the profile's batching of tiny CPU jobs shows as group jobs
    assert re.search(r"Group job (prep|score)\b", out), "no group job in the dry-run"


def test_dry_run_cpu_student_asks_for_no_gpu(tmp_path):
    """The tiny config's student sets no resources: its train jobs stay CPU jobs."""
    train = [res for rule, res in _jobs(_dry_run(tmp_path, {})) if rule == "train"]
    assert train and all(res.get("gpu", "0") == "0" for res in train)


def test_plugin_turns_gpu_resources_into_sbatch_flags():
    """The resource names the rules use are the ones the installed Slurm plugin reads."""
    from snakemake_executor_plugin_slurm.utils import set_gres_string
    from snakemake_executor_plugin_slurm_jobstep import get_cpu_setting

    class Resources(dict):
        __getattr__ = dict.__getitem__

    job = SimpleNamespace(resources=Resources(gpu=2, cpus_per_gpu=4, mem_mb=16000), threads=1)
    assert set_gres_string(job).strip() == "--gpus=2"
    assert get_cpu_setting(job, gpu=True) == "--cpus-per-gpu=4"
    job.resources["gpu_model"] = "a100"
    assert set_gres_string(job).strip() == "--gpus=a100:2"
