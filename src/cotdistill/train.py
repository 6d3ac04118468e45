"""LLaMA-Factory training: the YAML config for one run, and launching ``llamafactory-cli train`` on it.

Defaults are the key-factors paper's settings (full fine-tuning, lr 5e-5, 3 epochs, cosine, effective
batch 64, cutoff 4096, seed 100); each student's ``train:`` block overrides them.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

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
}
SHIM_DIR = Path(__file__).resolve().parent / "_shims"


def training_settings(student: dict) -> dict:
    return {**PAPER_DEFAULTS, **student.get("train", {})}


def lf_config(student: dict, model_path: str, dataset_dir: str, output_dir: str, *, init_from: str | None = None) -> dict:
    """The LLaMA-Factory YAML for one run. ``init_from`` continues from an earlier checkpoint."""
    t = training_settings(student)
    finetuning = student.get("finetuning", "full")
    cfg = {
        "model_name_or_path": init_from or model_path,
        "trust_remote_code": True,
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
        "save_strategy": "no" if student.get("init") else "steps",
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
    if cfg["save_strategy"] == "steps":
        cfg.update(save_steps=500, save_total_limit=1)
    if "max_samples" in t:
        cfg["max_samples"] = t["max_samples"]
    if finetuning in ("lora", "qlora"):
        lora = {"rank": 16, "alpha": 32, "dropout": 0.05, "target": "all", **student.get("lora", {})}
        cfg.update(lora_rank=lora["rank"], lora_alpha=lora["alpha"], lora_dropout=lora["dropout"], lora_target=lora["target"])
    if finetuning == "qlora":
        cfg.update(quantization_bit=4, quantization_method="bitsandbytes")
    if init_from and finetuning != "full":
        cfg.update(model_name_or_path=model_path, adapter_name_or_path=init_from)
    cfg.update(t.get("extra", {}))
    return cfg


def launch_env() -> dict:
    """Environment for ``llamafactory-cli``: quiet, offline, and a torchaudio shim where the real one is
    missing (LLaMA-Factory 0.9.5 imports torchaudio unconditionally; PyPI's does not load beside the CPU
    torch 2.13 wheel, see DESIGN.md §6)."""
    env = dict(os.environ)
    env.setdefault("HF_HUB_OFFLINE", "1")
    env.setdefault("TOKENIZERS_PARALLELISM", "false")
    env.setdefault("DISABLE_VERSION_CHECK", "1")
    env.setdefault("WANDB_DISABLED", "true")
    if importlib.util.find_spec("torchaudio") is None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SHIM_DIR), env.get("PYTHONPATH")]))
    return env


def ensure_torchaudio_shim() -> None:
    """Make ``import llamafactory`` work in this process where torchaudio is missing (see launch_env)."""
    if importlib.util.find_spec("torchaudio") is None and str(SHIM_DIR) not in sys.path:
        sys.path.insert(0, str(SHIM_DIR))


def run_training(config_path: str, log=sys.stderr) -> None:
    """Run ``llamafactory-cli train CONFIG`` (the CLI next to this Python), streaming its log."""
    cli = Path(sys.executable).with_name("llamafactory-cli")
    cmd = [str(cli) if cli.exists() else "llamafactory-cli", "train", str(config_path)]
    proc = subprocess.run(cmd, env=launch_env(), stdout=log, stderr=subprocess.STDOUT)
    if proc.returncode != 0:
        raise RuntimeError(f"llamafactory-cli train {config_path} failed with exit code {proc.returncode}")
