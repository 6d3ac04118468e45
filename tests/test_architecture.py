"""The package's shape: no import cycle (imports inside functions included), no oversized module, layers
that point one way (leaves → domain → methods → experiments/report), every method behind the interface."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from conftest import ROOT

PKG = ROOT / "src" / "cotdistill"
MAX_LINES = 400
# Leaves import nothing of the package but other leaves; the domain imports no method, experiments or report.
LEAVES = {"errors", "settings", "runs", "paths", "io", "logs", "lf_compat"}
METHODS = ("cotdistill.methods",)
TOP = ("cotdistill.experiments", "cotdistill.report", "cotdistill.figures", "cotdistill.readme_tables",
       "cotdistill.provenance", "cotdistill.cli")
UPPER = METHODS + TOP


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PKG.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PKG.rglob("*.py"))}


def imports(name: str, path: Path, known: set[str]) -> set[str]:
    """Package modules that ``name`` imports anywhere in its file (top level or inside a function)."""
    is_pkg = path.name == "__init__.py"
    here = name.split(".") if is_pkg else name.split(".")[:-1]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = here[: len(here) - node.level + 1] if node.level else []
            mod = ".".join(base + (node.module.split(".") if node.module else []))
            # `from . import x` / `from .pkg import mod` name modules; `from .mod import f` names the module.
            targets = [f"{mod}.{a.name}" if f"{mod}.{a.name}" in known else mod for a in node.names]
        else:
            continue
        for t in targets:
            while t and t not in known:  # a symbol or an unknown submodule: its nearest known module
                t = t.rpartition(".")[0]
            if t and t != name:
                out.add(t)
    return out


def graph() -> dict[str, set[str]]:
    mods = modules()
    known = set(mods)
    return {name: imports(name, path, known) for name, path in mods.items()}


def find_cycle(g: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a list of modules (first == last), or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(n):
        state[n] = 1
        stack.append(n)
        for m in sorted(g.get(n, ())):
            if state.get(m) == 1:
                return stack[stack.index(m):] + [m]
            if m not in state:
                found = visit(m)
                if found:
                    return found
        stack.pop()
        state[n] = 2
        return None

    for n in sorted(g):
        if n not in state:
            found = visit(n)
            if found:
                return found
    return None


def test_the_graph_sees_imports_inside_functions():
    g = graph()
    # methods/rounds.py imports the teacher engine only inside a function
    assert "cotdistill.teachers" in g["cotdistill.methods.rounds"]
    assert "cotdistill.io" in g["cotdistill.report"]


def test_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycle():
    cycle = find_cycle(graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_leaves_import_only_leaves():
    g = graph()
    for leaf in LEAVES:
        name = f"cotdistill.{leaf}"
        assert name in g, f"leaf module {name} is missing"
        bad = {m for m in g[name] if m.removeprefix("cotdistill.") not in LEAVES}
        assert not bad, f"{name} is a leaf but imports {sorted(bad)}"


def test_domain_does_not_import_methods_or_experiments():
    for name, deps in graph().items():
        if name.startswith(UPPER):
            continue
        bad = {d for d in deps if d.startswith(UPPER)}
        assert not bad, f"{name} (domain) imports {sorted(bad)}"


def test_methods_do_not_import_experiments_or_report():
    for name, deps in graph().items():
        if name.startswith("cotdistill.methods"):
            bad = {d for d in deps if d.startswith(TOP)}
            assert not bad, f"{name} imports {sorted(bad)}"


@pytest.mark.parametrize("path", sorted(PKG.rglob("*.py")), ids=lambda p: str(p.relative_to(PKG)))
def test_no_module_over_the_size_limit(path):
    n = len(path.read_text().splitlines())
    assert n <= MAX_LINES, f"{path.relative_to(ROOT)}: {n} lines (limit {MAX_LINES})"


# Rule files of the method interface and the shared helpers: no lint at all (others: tests/test_envs.py).
LINT_CLEAN = ("Snakefile", "common.smk", "multistyle.smk", "rounds.smk", "fair.smk", "summarize.smk", "router.smk")


@pytest.mark.timeout(300)
def test_method_rule_files_are_lint_clean():
    import subprocess

    from conftest import SNAKEMAKE
    from test_envs import _lints

    proc = subprocess.run([str(SNAKEMAKE), "--lint"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    lints = _lints(proc.stdout + proc.stderr)
    assert proc.returncode == 0 or lints, proc.stderr[-3000:]
    mine = [lint for lint in lints if lint[0] in LINT_CLEAN]
    assert not mine, mine


def test_rule_files_hold_no_functions():
    """Helpers live in rules/common.smk or the package (what `snakemake --lint` asks)."""
    for path in sorted((ROOT / "rules").glob("*.smk")):
        if path.name in LINT_CLEAN and path.name != "common.smk":
            defs = [line for line in path.read_text().splitlines() if line.startswith("def ")]
            assert not defs, f"{path.name}: {defs}"


def test_no_script_dispatches_on_the_rule_or_parses_a_result_path():
    for path in sorted((ROOT / "scripts").glob("*.py")):
        text = path.read_text()
        assert "snakemake.rule" not in text, f"{path.name} picks its job by snakemake.rule; pass params"
        assert '.split("/' not in text, f"{path.name} parses a path back into wildcards; pass them as params"
