"""No config value reaches a `shell:` command unquoted (issue #18, item 2).

The student's template, its vLLM keyword arguments, the LLaMA-Factory and vLLM interpreter paths
and the results directory all carry `'`, `;`, `$(…)` and backticks. The interpreter is a stub that
records its argv and writes the rule's output, so build_student, train and generate run for real
through their shell commands: each hostile value must arrive as one intact argument, and none of the
commands smuggled into the values may run.
"""

from __future__ import annotations

import json
import re
import shlex
import sys
from pathlib import Path

import yaml

from conftest import ROOT, snakemake

HOSTILE = "x'; touch {m}1; $(touch {m}2) `touch {m}3` \"; touch {m}4 #"

STUB = """#!{python}
import json, sys
from pathlib import Path
args = sys.argv[1:]
if args[:1] == ["-c"]:  # the setup check "can this interpreter import vllm?"
    sys.exit(0)
with open(Path(__file__).with_name("calls.jsonl"), "a") as f:
    f.write(json.dumps(args) + "\\n")
script = Path(args[0]).name
if script in ("build_student.py", "train.py"):
    Path(args[2]).mkdir(parents=True)
else:  # generate.py / prompt_ids.py / generate_vllm.py: CHECKPOINT INPUT OUT
    Path(args[3]).write_text(json.dumps({{"id": "p", "prompt": "q", "response": "r", "prompt_ids": [1]}}) + "\\n")
"""


def hostile_workdir(tmp_path: Path, marker: Path) -> tuple[Path, Path, str]:
    bad = HOSTILE.format(m=marker)
    stub_dir = tmp_path / "bin'; touch PWNED; $(touch PWNED)"
    stub_dir.mkdir()
    stub = stub_dir / "python"
    stub.write_text(STUB.format(python=sys.executable))
    stub.chmod(0o755)
    cfg = yaml.safe_load((ROOT / "tests/configs/tiny.yaml").read_text())
    cfg["results_dir"] = "res'; $(touch PWNED)"
    cfg["llamafactory_python"] = str(stub)
    cfg["vllm_python"] = str(stub)
    tiny = cfg["students"]["tiny"]
    tiny["template"] = bad
    vllm = json.loads(json.dumps(tiny))
    vllm["generation"] = {"backend": "vllm", "max_new_tokens": 8, "vllm": {"note": bad}}
    cfg["students"]["tinyv"] = vllm
    cfg["experiments"] = {"baseline": {"method": "distill", "datasets": ["chain_sum"], "teachers": ["offline"],
                                       "students": ["tiny", "tinyv"], "promptings": ["cot"]}}
    work = tmp_path / "work"
    work.mkdir()
    (work / "config.yaml").write_text(yaml.safe_dump(cfg))
    return work, stub_dir / "calls.jsonl", bad


def test_hostile_values_arrive_intact_and_run_nothing(tmp_path):
    marker = tmp_path / "MARK"
    work, calls_path, bad = hostile_workdir(tmp_path, marker)
    targets = [f"res'; $(touch PWNED)/generations/{s}/chain_sum/offline.cot.correct/chain_sum.jsonl" for s in ("tiny", "tinyv")]
    proc = snakemake(work, *targets, "--cores", "2", "-p")

    calls = [json.loads(line) for line in calls_path.read_text().splitlines()]
    by_script = {}
    for args in calls:
        by_script.setdefault(Path(args[0]).name, []).append(args)
    assert sorted(by_script) == ["build_student.py", "generate.py", "generate_vllm.py", "prompt_ids.py", "train.py"]
    # build_student: PROBLEMS OUT INIT_JSON, the init block as one argument
    (build,) = [a for a in by_script["build_student.py"] if "/tiny/" in a[2]]
    assert json.loads(build[3]) == {"arch": "llama", **yaml.safe_load((ROOT / "tests/configs/tiny.yaml").read_text())["students"]["tiny"]["init"]}
    assert build[2].endswith("res'; $(touch PWNED)/students/tiny/chain_sum")
    # train: CONFIG OUT WORK_DIR DISTRIBUTED_JSON
    (train,) = [a for a in by_script["train.py"] if "/tiny/" in a[2]]
    assert len(train) == 5 and json.loads(train[4]) is not None
    assert train[3].endswith("res'; $(touch PWNED)/.work/train/tiny/chain_sum/offline.cot.correct")
    # generate / prompt_ids: --template as one argument, verbatim
    (gen,) = by_script["generate.py"]
    assert gen[gen.index("--template") + 1] == bad
    assert gen[gen.index("--max-new-tokens") + 1] == "40"
    (ids,) = by_script["prompt_ids.py"]
    assert ids[ids.index("--template") + 1] == bad
    # generate_vllm: the vLLM kwargs JSON as one argument
    (vgen,) = by_script["generate_vllm.py"]
    assert json.loads(vgen[vgen.index("--llm-kwargs") + 1]) == {"note": bad}

    # nothing smuggled in ran: no marker anywhere, and the printed commands quote the values
    assert not [p for p in tmp_path.rglob("*") if p.name.startswith(("MARK", "PWNED"))]
    assert not list(ROOT.glob("PWNED*"))
    assert shlex.quote(bad) in proc.stdout + proc.stderr


def shell_commands() -> list[tuple[str, str]]:
    """(file:line, command) of every `shell:` directive in rules/*.smk (its string literals joined)."""
    out = []
    for path in sorted((ROOT / "rules").glob("*.smk")):
        lines = path.read_text().splitlines()
        for i, line in enumerate(lines):
            if line.strip() == "shell:":
                parts = []
                for nxt in lines[i + 1:]:
                    if not nxt.strip().startswith(('"', "'", 'f"', "r\"")):
                        break
                    parts.append(nxt.strip())
                out.append((f"{path.name}:{i + 1}", " ".join(parts)))
    return out


def test_every_shell_placeholder_is_quoted():
    """A guard for new rules: every `{...}` in a shell command is `:q`-quoted (`{threads}` is an int)."""
    commands = shell_commands()
    assert len(commands) >= 5
    loose = [(where, ph) for where, cmd in commands for ph in re.findall(r"(?<!\{)\{([^{}]+)\}(?!\})", cmd)
             if not ph.endswith(":q") and ph != "threads"]
    assert loose == []
