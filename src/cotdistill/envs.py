"""The workflow's software environments: pins shared by `make setup` (envs/*.txt) and the conda env
files of `--sdm conda` (envs/*.yaml), and this checkout's package on the path of conda-env jobs."""

from __future__ import annotations

import os
from pathlib import Path

import yaml


def txt_pins(path: str | Path) -> list[str]:
    """Requirement lines of a pip requirements file, comments and blanks dropped."""
    return [line.strip() for line in Path(path).read_text().splitlines() if line.strip() and not line.lstrip().startswith("#")]


def conda_pip_pins(path: str | Path) -> list[str]:
    """The ``pip:`` requirements of a conda environment file."""
    deps = yaml.safe_load(Path(path).read_text())["dependencies"]
    return [str(p) for d in deps if isinstance(d, dict) for p in d.get("pip", [])]


def prepend_pythonpath(src: str | Path) -> None:
    """Put ``src`` first on PYTHONPATH for the jobs this process starts (conda envs do not install
    cotdistill; its code comes from the checkout, as with the editable installs of `make setup`)."""
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(src), os.environ.get("PYTHONPATH")]))
