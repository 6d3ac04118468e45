"""The repository stands alone (issue #18, item 5): no file refers to a folder beside the clone, to a design
document that is not in it, or to an absolute path of the development machine; the fixtures that replace
the outside benchmark folder are small and their licences are recorded."""

from __future__ import annotations

import json
import re
import subprocess

from conftest import FIXTURES, ROOT

# spelled in pieces so that this file does not match itself
FORBIDDEN = re.compile("|".join([re.escape("../" + "shared"), re.escape("DESIGN" + ".md"), r"(?<![\w.])/" + "work/",
                                 re.escape("COTDISTILL_" + "SHARED")]))
BINARY = (".png", ".pdf", ".gguf", ".safetensors", ".parquet", ".pyc")


SKIP_DIRS = {".git", ".venv", ".venv-lf", ".venv-vllm", "results", ".snakemake", ".pytest_cache", "__pycache__"}


def project_files() -> list[str]:
    """The repository's files: git's list (tracked and not ignored), or a walk when this is no git checkout."""
    proc = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                          capture_output=True, text=True)
    if proc.returncode == 0:
        names = proc.stdout.splitlines()
    else:
        names = [str(p.relative_to(ROOT)) for p in ROOT.rglob("*")
                 if not SKIP_DIRS & set(p.relative_to(ROOT).parts) and not p.name.endswith(".egg-info")]
    return [f for f in names if (ROOT / f).is_file() and not f.endswith(BINARY) and ".egg-info" not in f]


def test_no_file_refers_outside_the_repo():
    hits = []
    for name in project_files():
        text = (ROOT / name).read_text(errors="replace")
        for n, line in enumerate(text.splitlines(), 1):
            if FORBIDDEN.search(line):
                hits.append(f"{name}:{n}: {line.strip()[:120]}")
    assert hits == []


def test_fixtures_are_small_and_licensed():
    notes = (FIXTURES / "LICENSES.md").read_text()
    sets = sorted(p.parent.name for p in FIXTURES.glob("*/test.jsonl") if p.parent.name != "answer_cases")
    assert sets == ["aqua", "gsm8k", "math500", "svamp"]  # MIT (GSM8K, SVAMP, MATH-500) and Apache-2.0 (AQuA) only
    for path in [p for name in sets for p in (FIXTURES / name).glob("*.jsonl")]:
        rows = [json.loads(line) for line in path.read_text().splitlines()]
        assert 0 < len(rows) <= 30, path
        assert f"`{path.parent.name}/{path.name}`" in notes, path
    assert "Apache License" in (FIXTURES / "LICENSE-Apache-2.0.txt").read_text()
