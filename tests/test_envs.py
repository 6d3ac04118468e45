"""Environments for `--sdm conda` and `snakemake --lint`: the conda env files carry the pins that
`make setup` installs, every rule names its environment, and the remaining lints are the documented ones."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from cotdistill.envs import conda_pip_pins, txt_pins
from conftest import ROOT, SNAKEMAKE

ENVS = ROOT / "envs"
# conda env file -> the pip requirement files whose pins it carries
SAME_PINS = {
    "pipeline.yaml": ["pipeline.txt"],
    "llamafactory.yaml": ["llamafactory.txt"],
    "llamafactory-deepspeed.yaml": ["llamafactory.txt", "deepspeed.txt"],
    "vllm.yaml": ["vllm.txt"],
}
# Lints that docs/slurm.md ("snakemake --lint") explains and keeps.
EXPLAINED = {
    "Mixed rules and functions in same snakefile.",
    "Param results_dir is a prefix of input or output file but hardcoded",
}


@pytest.mark.parametrize("env_file", sorted(SAME_PINS))
def test_conda_env_files_carry_the_setup_pins(env_file):
    expected = [pin for txt in SAME_PINS[env_file] for pin in txt_pins(ENVS / txt)]
    assert conda_pip_pins(ENVS / env_file) == expected
    assert all("==" in pin for pin in expected), "every requirement is pinned"


def test_every_env_file_is_checked_and_named_by_some_rule():
    yamls = {p.name for p in ENVS.glob("*.yaml")}
    assert yamls == set(SAME_PINS)
    named = set()
    for smk in (ROOT / "rules").glob("*.smk"):
        named |= set(re.findall(r'"\.\./envs/([\w.-]+\.yaml)"', smk.read_text()))
    assert named == yamls


def _lints(out: str) -> list[tuple[str, str, str]]:
    """(file, rule or '', title) of every lint `snakemake --lint` prints."""
    lints, where = [], None
    for line in out.splitlines():
        head = re.match(r"Lints for (?:rule (\w+) \(line \d+, (.+)\)|snakefile (.+)):$", line)
        if head:
            where = (Path(head.group(2) or head.group(3)).name, head.group(1) or "")
        elif (item := re.match(r"    \* (.+?):?$", line)) and where:
            lints.append((*where, item.group(1)))
    return lints


@pytest.mark.timeout(300)
def test_lint_leaves_only_documented_lints():
    proc = subprocess.run([str(SNAKEMAKE), "--lint"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    lints = _lints(proc.stdout + proc.stderr)
    assert proc.returncode in (0, 1) and (proc.returncode == 0 or lints), proc.stderr[-3000:]
    unexplained = [lint for lint in lints if lint[2].rstrip(".:") not in {t.rstrip(".") for t in EXPLAINED}]
    assert not unexplained, unexplained
    docs = (ROOT / "docs" / "slurm.md").read_text()
    assert all(title.rstrip(".") in docs for title in EXPLAINED)


def test_lint_parser_reads_snakemakes_format():
    out = (
        "Lints for snakefile /w/rules/report.smk:\n    * Mixed rules and functions in same snakefile.:\n      body\n\n"
        "Lints for rule train (line 3, /w/rules/train.smk):\n    * Specify a conda environment or container for each rule.:\n"
    )
    assert _lints(out) == [
        ("report.smk", "", "Mixed rules and functions in same snakefile."),
        ("train.smk", "train", "Specify a conda environment or container for each rule."),
    ]
