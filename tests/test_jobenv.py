"""Least privilege for student jobs (issue #18, item 3): training and generation run without API keys or
other secrets in their environment, and without trusting a model's own code unless the student says so."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

from cotdistill.jobenv import MARK, SECRET_LIST_VAR, clean_env, declare_secrets
from cotdistill.train import launch_env, lf_config
from conftest import ROOT, snakemake, workflow_copy

SECRETS = {
    "OPENAI_API_KEY": "sk-fake-openai-0123456789",
    "GEMINI_API_KEY": "fake-gemini-key",
    "HF_TOKEN": "hf_fakehubtoken",
    "VLLM_API_KEY": "fake-vllm-key",
    "AWS_SECRET_ACCESS_KEY": "fake-aws",
    "GITHUB_TOKEN": "ghp_fake",
    "ZZ_PROVIDER_CRED": "fake-cred-named-by-a-teacher",  # looks harmless: dropped because a teacher names it
}
NEEDED = {
    "PATH": "/usr/bin:/bin", "HOME": "/home/u", "OMP_NUM_THREADS": "2", "CUDA_VISIBLE_DEVICES": "0,1",
    "HF_HOME": "/cache/hf", "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false", "SLURM_JOB_ID": "7",
    "PYTHONPATH": "/src", "MASTER_ADDR": "n1", "NCCL_DEBUG": "INFO", "COTDISTILL_THREADS": "1", "LC_ALL": "C",
}


def test_clean_env_keeps_what_jobs_need_and_drops_secrets_and_the_rest():
    env = clean_env({**SECRETS, **NEEDED, "RANDOM_UNRELATED": "x", SECRET_LIST_VAR: "ZZ_PROVIDER_CRED"})
    assert env == NEEDED  # (the drop list itself is dropped: its name says SECRET)
    # an allowed prefix does not let a secret through, and a declared name is dropped even if allowed
    assert clean_env({"HF_API_TOKEN": "x", "COTDISTILL_SMOL_KEY": "y", "CUDA_SECRET": "z"}) == {}
    assert clean_env({"HF_HOME": "/c", SECRET_LIST_VAR: "HF_HOME"}) == {}


def test_declare_secrets_merges_names(monkeypatch):
    monkeypatch.setenv(SECRET_LIST_VAR, "A_CRED")
    declare_secrets(["B_CRED", None, "A_CRED"])
    assert os.environ[SECRET_LIST_VAR] == "A_CRED,B_CRED"


def test_llamafactory_launch_env_has_no_secrets(monkeypatch):
    for k, v in SECRETS.items():
        monkeypatch.setenv(k, v)
    monkeypatch.setenv(SECRET_LIST_VAR, "ZZ_PROVIDER_CRED")
    env = launch_env()
    assert not set(SECRETS) & set(env)
    assert env["HF_HUB_OFFLINE"] == "1" and env["PATH"] == os.environ["PATH"]


def test_trust_remote_code_is_a_student_option_default_false():
    base = {"template": "default", "model": "some/model"}
    assert lf_config(base, "m", "d", "o")["trust_remote_code"] is False
    assert lf_config({**base, "trust_remote_code": True}, "m", "d", "o")["trust_remote_code"] is True


DUMP = '''import json, os, sys
with open({path!r}, "a") as f:
    f.write(json.dumps({{"argv": sys.orig_argv, "pid": os.getpid(), "env": dict(os.environ)}}) + "\\n")
'''


def test_reexec_restarts_a_script_in_place_without_secrets(tmp_path):
    """A script that calls reexec_clean() first keeps its pid and argv, and loses the secrets."""
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(DUMP.format(path=str(tmp_path / "dump.jsonl")))
    script = tmp_path / "job.py"
    script.write_text("from cotdistill.jobenv import reexec_clean\nreexec_clean()\nimport os, sys\n"
                      "print(os.getpid(), sys.argv[1:], sorted(os.environ))\n")
    env = {**SECRETS, "PATH": os.environ["PATH"], "PYTHONPATH": f"{hook}{os.pathsep}{ROOT / 'src'}",
           SECRET_LIST_VAR: "ZZ_PROVIDER_CRED", "UNRELATED": "1"}
    out = subprocess.run([sys.executable, str(script), "a b", "c"], env=env, capture_output=True, text=True, check=True).stdout
    first, second = [json.loads(line) for line in (tmp_path / "dump.jsonl").read_text().splitlines()]
    assert first["pid"] == second["pid"] and first["argv"] == second["argv"] == [sys.executable, str(script), "a b", "c"]
    assert set(SECRETS) <= set(first["env"])
    assert not set(SECRETS) & set(second["env"]) and "UNRELATED" not in second["env"] and second["env"][MARK] == "1"
    assert out.startswith(f"{first['pid']} ['a b', 'c']")
    assert not any(v in out for v in SECRETS.values())


def test_train_and_generate_jobs_and_llamafactory_see_no_secret(tmp_path, monkeypatch, lf_python):
    """The real pipeline (build_student, train -> llamafactory-cli, generate) with fake keys in the
    environment of snakemake: every process of those jobs starts without them once it has re-executed."""
    work = workflow_copy(tmp_path / "w")
    cfg = yaml.safe_load((work / "config.yaml").read_text())
    cfg["teachers"]["remote"] = {"kind": "openai", "model": "m", "api_key_env": "ZZ_PROVIDER_CRED"}  # named, not used
    cfg["experiments"] = {"b": {"method": "distill", "datasets": ["chain_sum"], "teachers": ["offline"],
                                "students": ["tiny"], "promptings": ["cot"]}}
    (work / "config.yaml").write_text(yaml.safe_dump(cfg))
    hook = tmp_path / "hook"
    hook.mkdir()
    dump = tmp_path / "dump.jsonl"
    (hook / "sitecustomize.py").write_text(DUMP.format(path=str(dump)))
    for k, v in SECRETS.items():
        monkeypatch.setenv(k, v)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(hook), os.environ.get("PYTHONPATH")])))
    snakemake(work, "results/generations/tiny/chain_sum/offline.cot.correct/chain_sum.jsonl", "--cores", "2")
    procs = [json.loads(line) for line in dump.read_text().splitlines()]

    def of(name):
        return [p for p in procs if any(Path(a).name == name for a in p["argv"][:3])]

    for script in ("build_student.py", "train.py", "generate.py"):
        runs = of(script)
        assert len(runs) == 2, (script, [p["argv"] for p in runs])  # started by snakemake, then re-executed
        started, job = runs
        assert started["pid"] == job["pid"] and set(SECRETS) <= set(started["env"])
        assert not set(SECRETS) & set(job["env"]), script
        assert not any(v in json.dumps(job["env"]) for v in SECRETS.values())
    cli = of("llamafactory-cli")
    assert cli, "llamafactory-cli was not seen"
    for p in cli:
        assert not set(SECRETS) & set(p["env"]) and p["env"].get("HF_HUB_OFFLINE") == "1"
    # the snakemake process itself still had them (the teachers' rules need keys)
    assert any(set(SECRETS) <= set(p["env"]) for p in procs if "snakemake" in " ".join(p["argv"][:2]))


def test_a_script_rule_re_executes_too(tmp_path, monkeypatch):
    """Router and FAIR training are `script:` rules: Snakemake runs a generated copy of the script, which
    re-executes the same way (scripts/router_train.py, scripts/fair_train.py)."""
    (tmp_path / "Snakefile").write_text('rule dump:\n    output:\n        "env.json",\n    script:\n        "dump.py"\n')
    (tmp_path / "dump.py").write_text('"""dump"""\nfrom cotdistill.jobenv import reexec_clean\n\nreexec_clean()\n\n'
                                      "import json, os\n\njson.dump(dict(os.environ), open(snakemake.output[0], 'w'))\n")
    for k, v in SECRETS.items():
        monkeypatch.setenv(k, v)
    subprocess.run([str(Path(sys.executable).with_name("snakemake")), "-s", str(tmp_path / "Snakefile"), "--directory",
                    str(tmp_path), "--cores", "1", "-q"], check=True, capture_output=True, timeout=300)
    env = json.loads((tmp_path / "env.json").read_text())
    assert env[MARK] == "1" and not set(SECRETS) & set(env)
    for name in ("build_student", "train", "generate", "prompt_ids", "generate_vllm", "router_train"):
        assert "\nreexec_clean()" in (ROOT / "scripts" / f"{name}.py").read_text(), name
