"""students.<name>.trust_remote_code reaches evaluation as it reaches training: load_checkpoint hands it to
every from_pretrained, and the generate / prompt_ids / generate_vllm commands carry it (default false)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from cotdistill import params as deps
from cotdistill.generate import BASE_VIEW, load_checkpoint
from conftest import snakemake
from test_vllm_backend import TINY, python_with_vllm_package

transformers = pytest.importorskip("transformers")
peft = pytest.importorskip("peft")


class FakeModel:
    def eval(self):
        return self

    def merge_and_unload(self):
        return self


@pytest.fixture
def calls(monkeypatch):
    """(loader, path, trust_remote_code) of each from_pretrained call, nothing loaded."""
    seen = []

    def recorder(loader):
        def from_pretrained(path, *args, **kwargs):
            seen.append((loader, str(path), kwargs.get("trust_remote_code", "absent")))
            return FakeModel()
        return from_pretrained

    monkeypatch.setattr(transformers.AutoModelForCausalLM, "from_pretrained", recorder("model"))
    monkeypatch.setattr(transformers.AutoTokenizer, "from_pretrained", recorder("tokenizer"))
    monkeypatch.setattr(peft.PeftModel, "from_pretrained", lambda model, path, *a, **k: model)
    return seen


@pytest.mark.parametrize("trust", [True, False])
def test_full_checkpoint(tmp_path, calls, trust):
    load_checkpoint(tmp_path, trust_remote_code=trust)
    assert calls == [("model", str(tmp_path), trust), ("tokenizer", str(tmp_path), trust)]


def test_default_is_off(tmp_path, calls):
    load_checkpoint(tmp_path)
    assert [c[2] for c in calls] == [False, False]


def test_adapter_loads_its_base_with_it(tmp_path, calls):
    (tmp_path / "adapter_config.json").write_text(json.dumps({"base_model_name_or_path": "org/base"}))
    load_checkpoint(tmp_path, trust_remote_code=True)
    assert calls == [("model", "org/base", True), ("tokenizer", str(tmp_path), True)]


def test_base_view_of_a_hub_model(tmp_path, calls):
    (tmp_path / BASE_VIEW).write_text(json.dumps({"model": "org/untrained"}))
    load_checkpoint(tmp_path, trust_remote_code=True)
    assert calls == [("model", "org/untrained", True), ("tokenizer", "org/untrained", True)]


def test_job_value():
    assert deps.trust_remote_code({}) == "false"
    assert deps.trust_remote_code({"trust_remote_code": False}) == "false"
    assert deps.trust_remote_code({"trust_remote_code": True}) == "true"


def test_student_commands_carry_it(tmp_path):
    """A dry-run of tests/configs/tiny.yaml with a trusting transformers student (tinyr), a trusting vLLM student
    (tinyv) and the default one (tiny): each job's command says what its student's block says."""
    cfg = json.loads(json.dumps(TINY))
    cfg["vllm_python"] = str(python_with_vllm_package(tmp_path))
    cfg["students"]["tinyr"] = {**cfg["students"]["tiny"], "trust_remote_code": True}
    cfg["students"]["tinyv"] = {**cfg["students"]["tinyr"], "generation": {"backend": "vllm", "max_new_tokens": 40}}
    cfg["experiments"] = {"baseline": {**cfg["experiments"]["baseline"], "teachers": ["offline"], "promptings": ["cot"],
                                       "students": ["tiny", "tinyr", "tinyv"]}}
    wd = tmp_path / "wf"
    wd.mkdir()
    (wd / "config.yaml").write_text(yaml.safe_dump(cfg))
    targets = [f"results/generations/{s}/chain_sum/offline.cot.correct/chain_sum.jsonl" for s in ("tiny", "tinyr", "tinyv")]
    out = snakemake(wd, *targets, "-n", "-p").stdout
    commands = {}
    for line in out.splitlines():
        for script in ("generate.py", "prompt_ids.py", "generate_vllm.py"):
            if f"/scripts/{script} " in line:
                student = line.split(f"/scripts/{script} ")[1].split("/")[2]  # results/checkpoints/<student>/...
                commands[(script, student)] = line
    assert set(commands) == {("generate.py", "tiny"), ("generate.py", "tinyr"), ("prompt_ids.py", "tinyv"),
                             ("generate_vllm.py", "tinyv")}, sorted(commands)
    for (script, student), line in commands.items():
        want = "false" if student == "tiny" else "true"
        assert f"--trust-remote-code {want} " in line, line
