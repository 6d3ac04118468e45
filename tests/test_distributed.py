"""Multi-GPU / multi-node training: a student's `distributed:` block → DeepSpeed/FSDP config, training
YAML keys, LLaMA-Factory launch environment and command, and the train job's Slurm resources."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from cotdistill import distributed as D
from cotdistill.experiments import ConfigError
from cotdistill.train import lf_config

REPO = Path(__file__).resolve().parents[1]
TINY = yaml.safe_load((REPO / "tests/configs/tiny.yaml").read_text())


def student(**dist) -> dict:
    return {"model": "Qwen/Qwen2.5-7B", "template": "qwen", "finetuning": "full", "distributed": dist}


def test_defaults_and_errors_name_the_key():
    assert D.settings({"template": "x"})["strategy"] == "none"
    assert D.settings(student(gpus_per_node=4))["strategy"] == "ddp"
    assert D.settings(student(strategy="deepspeed"))["zero_stage"] == 2
    with pytest.raises(ConfigError, match=r"^students\.big\.distributed\.zero_stage: must be 2 or 3"):
        D.settings(student(strategy="deepspeed", zero_stage=1), "big")
    with pytest.raises(ConfigError, match=r"^students\.big\.distributed\.zero_stage: only applies"):
        D.settings(student(strategy="ddp", zero_stage=3), "big")
    with pytest.raises(ConfigError, match=r"^students\.big\.distributed\.strategy: none trains on one device"):
        D.settings(student(strategy="none", gpus_per_node=2), "big")
    with pytest.raises(ConfigError, match=r"^students\.big\.resources\.train\.gpu: 2 disagrees"):
        D.settings({**student(gpus_per_node=4), "resources": {"train": {"gpu": 2}}}, "big")


@pytest.mark.parametrize("stage", [2, 3])
def test_deepspeed_config_next_to_the_training_yaml(tmp_path, stage):
    s = student(strategy="deepspeed", zero_stage=stage, offload=True, gpus_per_node=8)
    engine = tmp_path / "run.engine.json"
    cfg = lf_config(s, "Qwen/Qwen2.5-7B", "sft", "work", engine_path=str(engine), name="big")
    assert cfg["deepspeed"] == str(engine) and cfg["ddp_timeout"] > 0 and "fsdp" not in cfg
    ds = D.engine_config(D.settings(s))
    json.loads(json.dumps(ds))  # plain JSON
    zero = ds["zero_optimization"]
    assert zero["stage"] == stage and zero["offload_optimizer"]["device"] == "cpu"
    assert ("offload_param" in zero) == (stage == 3)
    assert ds["train_micro_batch_size_per_gpu"] == ds["gradient_accumulation_steps"] == "auto"  # from the YAML
    if stage == 3:
        assert zero["stage3_gather_16bit_weights_on_model_save"] is True  # a loadable model at the end


def test_plain_students_get_no_distributed_keys():
    cfg = lf_config(TINY["students"]["tiny"] | {"init": {}}, "base", "sft", "work", engine_path="e.json")
    assert not {"deepspeed", "fsdp", "fsdp_config", "ddp_timeout"} & set(cfg)
    assert D.engine_config(D.settings(TINY["students"]["tiny"])) == {}
    assert cfg["save_strategy"] == "steps" and cfg["save_steps"] == 500 and "overwrite_output_dir" not in cfg


def test_fsdp_config_is_accepted_by_transformers(tmp_path, lf_python):
    """The FSDP keys and config file we write, read by the LLaMA-Factory env's own TrainingArguments."""
    s = student(strategy="fsdp", offload=True, gpus_per_node=2)
    engine = tmp_path / "run.engine.json"
    engine.write_text(json.dumps(D.engine_config(D.settings(s))))
    keys = D.lf_keys(D.settings(s), str(engine))
    probe = (
        "import json, sys; from transformers import TrainingArguments\n"
        "a = TrainingArguments(output_dir=sys.argv[1], fsdp=sys.argv[2], fsdp_config=sys.argv[3])\n"
        "print(json.dumps({'fsdp': [o.value for o in a.fsdp], 'cfg': a.fsdp_config}, default=str))"
    )
    out = subprocess.run([str(lf_python), "-c", probe, str(tmp_path / "o"), keys["fsdp"], keys["fsdp_config"]],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    parsed = json.loads(out.stdout.strip().splitlines()[-1])
    assert parsed["fsdp"] == ["full_shard", "auto_wrap", "offload"]
    assert parsed["cfg"]["backward_prefetch"] == "backward_pre" and parsed["cfg"]["use_orig_params"] is True


def test_launch_env_for_one_node():
    assert D.launch_env(D.settings({}), {}) == {}
    env = D.launch_env(D.settings(student(strategy="deepspeed", gpus_per_node=4)), {})
    assert env == {"FORCE_TORCHRUN": "1", "NNODES": "1", "NPROC_PER_NODE": "4", "MASTER_PORT": "29500"}
    assert D.launch_command(D.settings(student(gpus_per_node=4)), "llamafactory-cli", "c.yaml", {}) == ["llamafactory-cli", "train", "c.yaml"]


def test_launch_env_for_several_nodes():
    d = D.settings(student(strategy="fsdp", nnodes=2, gpus_per_node=8, master_port=29555))
    slurm = {"SLURM_JOB_NODELIST": "gpu[07-08]", "MASTER_ADDR": "gpu07"}
    assert D.launch_env(d, slurm) == {"FORCE_TORCHRUN": "1", "NNODES": "2", "NPROC_PER_NODE": "8", "MASTER_PORT": "29555", "MASTER_ADDR": "gpu07"}
    manual = D.launch_env(d, {"MASTER_ADDR": "10.0.0.1", "NODE_RANK": "1"})
    assert manual["NODE_RANK"] == "1" and manual["MASTER_ADDR"] == "10.0.0.1"
    with pytest.raises(RuntimeError, match="MASTER_ADDR and NODE_RANK"):
        D.launch_env(d, {})


@pytest.mark.skipif(shutil.which("scontrol") is None, reason="scontrol (slurm-client) is not installed")
def test_master_addr_is_the_allocations_first_host():
    d = D.settings(student(nnodes=2, gpus_per_node=4))
    assert D.launch_env(d, {"SLURM_JOB_NODELIST": "gpu[07-08]"})["MASTER_ADDR"] == "gpu07"


def test_multi_node_command_starts_one_launcher_per_node_with_its_rank():
    d = D.settings(student(nnodes=2, gpus_per_node=4))
    cmd = D.launch_command(d, "/env/bin/llamafactory-cli", "w/launch.yaml", {"SLURM_JOB_NODELIST": "gpu[07-08]"})
    assert cmd[:4] == ["srun", "--nodes=2", "--ntasks-per-node=1", "--kill-on-bad-exit=1"]
    assert cmd[-3:] == ["/env/bin/llamafactory-cli", "train", "w/launch.yaml"]
    # what srun runs on node 1: the launcher with NODE_RANK=1 (here `env` stands in for the launcher)
    per_node = cmd[4:-3] + ["env"]
    out = subprocess.run(per_node, env={"SLURM_NODEID": "1", "PATH": "/usr/bin:/bin"}, capture_output=True, text=True, check=True)
    assert "NODE_RANK=1" in out.stdout.splitlines()


def test_job_resources_match_the_strategy():
    assert D.job_resources(D.settings({}), 1)["gpu"] == 1
    assert D.job_resources(D.settings(student(gpus_per_node=4)), 0) == {"gpu": 4, "gres": None, "nodes": None, "tasks": None, "mpi": None}
    assert D.job_resources(D.settings(student(nnodes=2, gpus_per_node=8)), 0) == {"gpu": None, "gres": "gpu:8", "nodes": 2, "tasks": 2, "mpi": "srun"}


def test_slurm_plugin_submits_multi_node_training_as_asked():
    from snakemake_executor_plugin_slurm.submit_string import get_submit_command
    from snakemake_executor_plugin_slurm.utils import set_gres_string

    class Resources(dict):
        __getattr__ = dict.__getitem__

    res = {k: v for k, v in D.job_resources(D.settings(student(nnodes=2, gpus_per_node=8)), 0).items() if v is not None}
    job = SimpleNamespace(resources=Resources(res, mem_mb=64000, runtime=600, cpus_per_gpu=8), threads=1)
    params = dict(run_uuid="u", slurm_logfile="l", comment_str="c", account="", partition="", workdir="")
    call = get_submit_command(job, params) + set_gres_string(job)
    assert "--nodes=2" in call and "--ntasks=2" in call and "--gres=gpu:8" in call and "--gpus" not in call


def _dry_run_train_resources(tmp_path: Path, dist: dict) -> list[dict]:
    config = json.loads(json.dumps(TINY))
    config["results_dir"] = str(tmp_path / "results")
    config["students"]["tiny"]["distributed"] = dist
    config["experiments"] = {"baseline": {**config["experiments"]["baseline"], "teachers": ["offline"]}}
    path = tmp_path / "config.yaml"
    tmp_path.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(config))
    proc = subprocess.run([sys.executable, "-m", "snakemake", "-n", "--profile", str(REPO / "profiles/slurm"), "--configfile", str(path)],
                          cwd=REPO, capture_output=True, text=True, timeout=300)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    jobs = []
    for block in re.split(r"\n\s*\n", out):
        if re.search(r"^\s*rule train:", block, re.M):
            res = re.search(r"^\s*resources: (.*)$", block, re.M).group(1)
            jobs.append(dict(kv.split("=", 1) for kv in res.split(", ")))
    assert jobs
    return jobs


def test_dry_run_train_jobs_ask_for_the_distributed_gpus(tmp_path):
    for res in _dry_run_train_resources(tmp_path / "one", {"strategy": "deepspeed", "zero_stage": 3, "gpus_per_node": 4}):
        assert res["gpu"] == "4" and "nodes" not in res and "mpi" not in res
    for res in _dry_run_train_resources(tmp_path / "two", {"strategy": "fsdp", "nnodes": 2, "gpus_per_node": 8}):
        assert (res["nodes"], res["gres"], res["tasks"], res["mpi"]) == ("2", "gpu:8", "2", "srun") and "gpu" not in res
