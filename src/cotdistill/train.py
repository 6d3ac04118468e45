"""LLaMA-Factory training: the YAML config for one run, and launching ``llamafactory-cli train`` on it.

Defaults are the key-factors paper's settings (full fine-tuning, lr 5e-5, 3 epochs, cosine, effective
batch 64, cutoff 4096, seed 100); each student's ``train:`` block overrides them.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

from . import checkpoints, distributed
from .lf_compat import shim_pythonpath
from .jobenv import clean_env

PAPER_DEFAULTS = {
    "epochs": 3,
    "learning_rate": 5.0e-5,
    "per_device_batch_size": 8,
    "gradient_accumulation_steps": 8,
    "lr_scheduler_type": "cosine",
    "warmup_ratio": 0.03,
    "weight_decay": 0.0,
    "cutoff_len": 4096,
    "seed": 100,
    "bf16": False,
    "logging_steps": 10,
    "save_steps": 500,
    "save_total_limit": 1,
}


def training_settings(student: dict) -> dict:
    return {**PAPER_DEFAULTS, **student.get("train", {})}


def lf_config(
    student: dict,
    model_path: str,
    dataset_dir: str,
    output_dir: str,
    *,
    init_from: str | None = None,
    engine_path: str | None = None,
    name: str = "?",
) -> dict:
    """The LLaMA-Factory YAML for one run. ``output_dir`` is the work directory that checkpoints are
    saved to every ``save_steps`` (see cotdistill.checkpoints); ``init_from`` continues from an earlier
    checkpoint; ``engine_path`` is where the student's DeepSpeed/FSDP config is written (distributed)."""
    t = training_settings(student)
    finetuning = student.get("finetuning", "full")
    cfg = {
        "model_name_or_path": init_from or model_path,
        "trust_remote_code": bool(student.get("trust_remote_code", False)),
        "stage": "sft",
        "do_train": True,
        "finetuning_type": "full" if finetuning == "full" else "lora",
        "template": student["template"],
        "dataset": "train",
        "dataset_dir": dataset_dir,
        "cutoff_len": t["cutoff_len"],
        "overwrite_cache": True,
        "output_dir": output_dir,
        "logging_steps": t["logging_steps"],
        "save_strategy": "steps",
        "save_steps": t["save_steps"],
        "save_total_limit": t["save_total_limit"],
        "plot_loss": False,
        "per_device_train_batch_size": t["per_device_batch_size"],
        "gradient_accumulation_steps": t["gradient_accumulation_steps"],
        "learning_rate": float(t["learning_rate"]),
        "num_train_epochs": float(t["epochs"]),
        "lr_scheduler_type": t["lr_scheduler_type"],
        "warmup_ratio": t["warmup_ratio"],
        "weight_decay": t["weight_decay"],
        "bf16": bool(t["bf16"]),
        "seed": t["seed"],
        "report_to": "none",
        "disable_tqdm": False,
    }
    if "max_samples" in t:
        cfg["max_samples"] = t["max_samples"]
    if student.get("init"):  # a tiny from-scratch student: recomputing activations only costs time
        cfg["disable_gradient_checkpointing"] = True
    if finetuning in ("lora", "qlora"):
        lora = {"rank": 16, "alpha": 32, "dropout": 0.05, "target": "all", **student.get("lora", {})}
        cfg.update(lora_rank=lora["rank"], lora_alpha=lora["alpha"], lora_dropout=lora["dropout"], lora_target=lora["target"])
    if finetuning == "qlora":
        cfg.update(quantization_bit=4, quantization_method="bitsandbytes")
    if init_from and finetuning != "full":
        cfg.update(model_name_or_path=model_path, adapter_name_or_path=init_from)
    cfg.update(distributed.lf_keys(distributed.settings(student, name), engine_path or ""))
    cfg.update(t.get("extra", {}))
    if student.get("system"):  # the student's system prompt, in training and (generate) evaluation alike
        cfg["default_system"] = student["system"]
    return cfg


def launch_env() -> dict:
    """Environment for ``llamafactory-cli``: quiet, offline, and a torchaudio shim where the real one is
    missing (LLaMA-Factory 0.9.5 imports torchaudio unconditionally; PyPI's does not load beside the CPU
    torch 2.13 wheel; the shim is src/cotdistill/_shims)."""
    env = clean_env()  # no API keys or other secrets (cotdistill.jobenv)
    env.setdefault("HF_HUB_OFFLINE", "1")
    env.setdefault("TOKENIZERS_PARALLELISM", "false")
    env.setdefault("DISABLE_VERSION_CHECK", "1")
    env.setdefault("WANDB_DISABLED", "true")
    shim_pythonpath(env)
    return env


def run_training(config_path: str, out_dir: str, work_dir: str, dist: dict | None = None, log=sys.stderr) -> None:
    """Train a run's config with ``llamafactory-cli train`` and publish the model into ``out_dir``.

    LLaMA-Factory writes into ``work_dir`` (its ``output_dir``; not a Snakemake output, which Snakemake
    deletes before a rerun), so a rerun after preemption resumes from the last complete checkpoint
    there (cotdistill.checkpoints). ``dist``: the student's checked ``distributed`` settings.
    """
    if Path(work_dir).resolve() == Path(out_dir).resolve():
        raise ValueError(f"the work directory must not be the published checkpoint folder {out_dir}")
    dist = dist or distributed.settings({})
    text = Path(config_path).read_text()
    cfg = {**yaml.safe_load(text), "output_dir": str(work_dir)}
    work = checkpoints.prepare_work_dir(work_dir, text)
    if checkpoints.is_complete(work):
        print(f"training in {work} already finished; publishing it", file=log, flush=True)
    else:
        resume = checkpoints.last_checkpoint(work)
        if resume is None:
            checkpoints.discard_partial_output(work)
            print(f"training from the start in {work}", file=log, flush=True)
        else:
            cfg["resume_from_checkpoint"] = str(resume)
            print(f"resuming from {resume} (step {checkpoints.checkpoint_step(resume)})", file=log, flush=True)
        launch = work / checkpoints.LAUNCH
        launch.write_text(yaml.safe_dump(cfg, sort_keys=False))
        cli = Path(sys.executable).with_name("llamafactory-cli")
        cli = str(cli) if cli.exists() else "llamafactory-cli"
        env = launch_env()
        extra = distributed.launch_env(dist, env)
        env.update(extra)
        cmd = distributed.launch_command(dist, cli, str(launch), env)
        print("launch:", " ".join(f"{k}={v}" for k, v in sorted(extra.items())), " ".join(cmd), file=log, flush=True)
        proc = subprocess.run(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
        if proc.returncode != 0:
            raise RuntimeError(f"llamafactory-cli train {config_path} failed with exit code {proc.returncode}")
        checkpoints.mark_complete(work)
    checkpoints.publish(work, out_dir)
    print(f"published {out_dir}", file=log, flush=True)
