"""Shared fixtures: the repo root, the two environments, the test data (tests/fixtures, and the optional
full benchmark sets named by $COTDISTILL_BENCHMARKS)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"  # small permissively licensed samples (tests/fixtures/LICENSES.md)
BENCHMARKS = os.environ.get("COTDISTILL_BENCHMARKS")  # optional: a folder of the full sets, {name}/test.jsonl
PIPELINE_PY = Path(sys.executable)
LF_PY = ROOT / ".venv-lf" / "bin" / "python"
SNAKEMAKE = PIPELINE_PY.with_name("snakemake")


def benchmark_file(*parts: str) -> Path:
    """A file of the full benchmark sets under $COTDISTILL_BENCHMARKS, or a skip that says how to run it."""
    if not BENCHMARKS:
        pytest.skip("needs the full benchmark sets: set COTDISTILL_BENCHMARKS to a folder with {name}/test.jsonl")
    path = Path(BENCHMARKS).joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent (COTDISTILL_BENCHMARKS={BENCHMARKS})")
    return path


def fixture_file(*parts: str) -> Path:
    """A file under tests/fixtures (always present)."""
    return FIXTURES.joinpath(*parts)


@pytest.fixture(scope="session")
def lf_python() -> Path:
    if not LF_PY.exists():
        pytest.skip("the LLaMA-Factory environment (.venv-lf) is not set up: run `make setup`")
    return LF_PY


def workflow_copy(dest: Path, config: str = "tests/configs/tiny.yaml") -> Path:
    """A working directory that runs this repo's Snakefile with a test config."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / config, dest / "config.yaml")
    os.symlink(ROOT / ".venv-lf", dest / ".venv-lf")
    return dest


def snakemake(workdir: Path, *args: str, check: bool = True, timeout: int = 900) -> subprocess.CompletedProcess:
    """Run real snakemake on this repo's Snakefile inside ``workdir``."""
    config = [] if "--configfile" in args else ["--configfile", str(workdir / "config.yaml")]
    cmd = [str(SNAKEMAKE), "-s", str(ROOT / "Snakefile"), "--directory", str(workdir), *args, *config]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    if check and proc.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
    return proc


def dry_run_jobs(workdir: Path, *targets: str, extra: tuple[str, ...] = ()) -> dict[str, int]:
    """Job counts per rule that a dry-run of ``targets`` schedules."""
    proc = snakemake(workdir, *targets, "-n", *extra, "--quiet", "rules")
    counts: dict[str, int] = {}
    in_table = False
    for line in proc.stdout.splitlines():
        parts = line.split()
        if parts[:2] == ["job", "count"]:
            in_table = True
            continue
        if in_table and len(parts) == 2 and parts[1].isdigit():
            if parts[0] == "total":
                break
            counts[parts[0]] = int(parts[1])
    return counts
