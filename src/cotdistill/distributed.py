"""Multi-GPU and multi-node training through LLaMA-Factory's own launcher.

A student's ``distributed:`` block (``strategy: none|ddp|deepspeed|fsdp``, ``zero_stage``, ``offload``,
``nnodes``, ``gpus_per_node``) becomes: the DeepSpeed or FSDP config written next to the training YAML,
the YAML keys that point at it, the environment ``llamafactory-cli train`` reads (``FORCE_TORCHRUN``,
``NNODES``, ``NODE_RANK``, ``NPROC_PER_NODE``, ``MASTER_ADDR``, ``MASTER_PORT``), the command (one
launcher per node through ``srun`` on a multi-node Slurm job) and the train job's resources.
"""

from __future__ import annotations

import copy
import subprocess

from .errors import ConfigError

STRATEGIES = ("none", "ddp", "deepspeed", "fsdp")

# LLaMA-Factory's examples/deepspeed/ds_z{2,3}_config.json; "auto" values are filled in by transformers
# from the training arguments, so batch size, accumulation and precision stay in one place.
_DS_COMMON = {
    "train_batch_size": "auto",
    "train_micro_batch_size_per_gpu": "auto",
    "gradient_accumulation_steps": "auto",
    "gradient_clipping": "auto",
    "zero_allow_untested_optimizer": True,
    "fp16": {"enabled": "auto", "loss_scale": 0, "loss_scale_window": 1000, "initial_scale_power": 16, "hysteresis": 2, "min_loss_scale": 1},
    "bf16": {"enabled": "auto"},
}
_ZERO = {
    2: {
        "stage": 2,
        "allgather_partitions": True,
        "allgather_bucket_size": 5.0e8,
        "overlap_comm": False,
        "reduce_scatter": True,
        "reduce_bucket_size": 5.0e8,
        "contiguous_gradients": True,
        "round_robin_gradients": True,
    },
    3: {
        "stage": 3,
        "overlap_comm": False,
        "contiguous_gradients": True,
        "sub_group_size": 1.0e9,
        "reduce_bucket_size": "auto",
        "stage3_prefetch_bucket_size": "auto",
        "stage3_param_persistence_threshold": "auto",
        "stage3_max_live_parameters": 1.0e9,
        "stage3_max_reuse_distance": 1.0e9,
        "stage3_gather_16bit_weights_on_model_save": True,
    },
}


def settings(student: dict, name: str = "?") -> dict:
    """The student's ``distributed:`` block with defaults filled in, checked; errors name the key."""
    block = student.get("distributed") or {}
    key = f"students.{name}.distributed"
    d = {"strategy": "ddp" if block else "none", "zero_stage": None, "offload": False, "nnodes": 1, "gpus_per_node": 1, **block}
    if d["strategy"] not in STRATEGIES:
        raise ConfigError(f"{key}.strategy: {d['strategy']!r} is not one of {', '.join(STRATEGIES)}")
    if d["strategy"] == "deepspeed":
        d["zero_stage"] = 2 if d["zero_stage"] is None else d["zero_stage"]
        if d["zero_stage"] not in _ZERO:
            raise ConfigError(f"{key}.zero_stage: must be 2 or 3, not {d['zero_stage']!r}")
    elif d["zero_stage"] is not None:
        raise ConfigError(f"{key}.zero_stage: only applies to strategy: deepspeed (strategy is {d['strategy']})")
    if d["offload"] and d["strategy"] not in ("deepspeed", "fsdp"):
        raise ConfigError(f"{key}.offload: only applies to strategy: deepspeed or fsdp")
    for field in ("nnodes", "gpus_per_node"):
        if not isinstance(d[field], int) or d[field] < 1:
            raise ConfigError(f"{key}.{field}: must be an integer >= 1, not {d[field]!r}")
    if d["strategy"] == "none" and d["nnodes"] * d["gpus_per_node"] > 1:
        raise ConfigError(f"{key}.strategy: none trains on one device; choose ddp, deepspeed or fsdp for {d['nnodes']}×{d['gpus_per_node']} GPUs")
    if student.get("finetuning") == "qlora" and d["strategy"] == "fsdp":
        raise ConfigError(f"{key}.strategy: fsdp with finetuning: qlora is not supported here; use ddp or deepspeed")
    train_gpu = student.get("resources", {}).get("train", {}).get("gpu")
    if d["strategy"] != "none" and train_gpu is not None and train_gpu != world_size(d):
        raise ConfigError(
            f"students.{name}.resources.train.gpu: {train_gpu} disagrees with distributed "
            f"({d['nnodes']} node(s) × {d['gpus_per_node']} GPU(s)); drop it, the distributed block sets it"
        )
    return d


def world_size(d: dict) -> int:
    return d["nnodes"] * d["gpus_per_node"]


def engine_config(d: dict) -> dict:
    """The DeepSpeed JSON (strategy deepspeed) or FSDP config (fsdp) of a run; ``{}`` otherwise."""
    if d["strategy"] == "deepspeed":
        cfg = copy.deepcopy(_DS_COMMON)
        zero = copy.deepcopy(_ZERO[d["zero_stage"]])
        if d["offload"]:
            zero["offload_optimizer"] = {"device": "cpu", "pin_memory": True}
            if d["zero_stage"] == 3:
                zero["offload_param"] = {"device": "cpu", "pin_memory": True}
        cfg["zero_optimization"] = zero
        return cfg
    if d["strategy"] == "fsdp":
        # Wrapping follows the model's own `_no_split_modules` (its decoder layer class).
        return {
            "backward_prefetch": "backward_pre",
            "forward_prefetch": False,
            "use_orig_params": True,
            "sync_module_states": True,
            "cpu_ram_efficient_loading": True,
            "state_dict_type": "FULL_STATE_DICT",
        }
    return {}


def lf_keys(d: dict, engine_path: str) -> dict:
    """Training-YAML keys that hand the engine config to LLaMA-Factory (via transformers)."""
    keys = {} if d["strategy"] == "none" else {"ddp_timeout": 180000000}
    if d["strategy"] == "deepspeed":
        keys["deepspeed"] = engine_path
    elif d["strategy"] == "fsdp":
        keys["fsdp"] = "full_shard auto_wrap" + (" offload" if d["offload"] else "")
        keys["fsdp_config"] = engine_path
    return keys


def first_host(nodelist: str) -> str:
    """The first host of a Slurm node list (``node[01-04]`` → ``node01``), through ``scontrol``."""
    out = subprocess.run(["scontrol", "show", "hostnames", nodelist], capture_output=True, text=True, check=True)
    return out.stdout.split()[0]


def launch_env(d: dict, environ: dict) -> dict:
    """Variables LLaMA-Factory's launcher reads: torchrun over ``gpus_per_node`` processes on each of
    ``nnodes`` nodes. ``environ`` (the job's environment) supplies MASTER_ADDR/PORT and NODE_RANK
    where set; on a multi-node Slurm job MASTER_ADDR is the allocation's first host."""
    if d["strategy"] == "none":
        return {}
    env = {"FORCE_TORCHRUN": "1", "NNODES": str(d["nnodes"]), "NPROC_PER_NODE": str(d["gpus_per_node"])}
    env["MASTER_PORT"] = str(d.get("master_port") or environ.get("MASTER_PORT") or 29500)
    if d["nnodes"] > 1:
        if environ.get("MASTER_ADDR"):
            env["MASTER_ADDR"] = environ["MASTER_ADDR"]
        elif environ.get("SLURM_JOB_NODELIST"):
            env["MASTER_ADDR"] = first_host(environ["SLURM_JOB_NODELIST"])
        else:
            raise RuntimeError(
                f"multi-node training ({d['nnodes']} nodes) needs a Slurm allocation or MASTER_ADDR and NODE_RANK "
                "in the environment of one launcher per node"
            )
        if not environ.get("SLURM_JOB_NODELIST"):
            env["NODE_RANK"] = environ.get("NODE_RANK", "0")
    return env


def launch_command(d: dict, cli: str, config_path: str, environ: dict) -> list[str]:
    """``llamafactory-cli train CONFIG``; on a multi-node Slurm job, one launcher per node via ``srun``,
    each with ``NODE_RANK`` = its ``SLURM_NODEID``."""
    cmd = [cli, "train", config_path]
    if d["nnodes"] > 1 and environ.get("SLURM_JOB_NODELIST"):
        per_node = 'NODE_RANK="$SLURM_NODEID" exec "$@"'
        return ["srun", f"--nodes={d['nnodes']}", "--ntasks-per-node=1", "--kill-on-bad-exit=1",
                "bash", "-c", per_node, "launcher", *cmd]
    return cmd


def job_resources(d: dict, gpu: int) -> dict:
    """Scheduler resources of the train job. One node: ``gpu`` (``--gpus=N``). Several nodes: per-node
    ``gres``, ``nodes`` and one task per node; ``mpi`` makes the Slurm plugin run the job's command
    directly in the allocation (not inside ``srun -n1``) so that its own ``srun`` reaches every node.
    ``None`` drops a resource from the job."""
    if d["strategy"] == "none":
        return {"gpu": gpu, "gres": None, "nodes": None, "tasks": None, "mpi": None}
    if d["nnodes"] == 1:
        return {"gpu": d["gpus_per_node"], "gres": None, "nodes": None, "tasks": None, "mpi": None}
    return {"gpu": None, "gres": f"gpu:{d['gpus_per_node']}", "nodes": d["nnodes"], "tasks": d["nnodes"], "mpi": "srun"}
