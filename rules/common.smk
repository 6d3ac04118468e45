import json
import os
import sys
from pathlib import Path

from snakemake.utils import validate

sys.path.insert(0, str(Path(workflow.basedir) / "src"))

from cotdistill.experiments import ConfigError, expand_runs, rationale_promptings, split_recipe
from cotdistill.setup_checks import check_schema, check_setup
from cotdistill import distributed
from cotdistill.envs import prepend_pythonpath
from snakemake_interface_executor_plugins.settings import DeploymentMethod


try:
    check_schema(config, Path(workflow.basedir) / "schemas/config.schema.yaml")
    validate(config, schema="../schemas/config.schema.yaml")  # fills in the schema's defaults
    from cotdistill import seeds

    SEEDED = seeds.apply(config)  # experiments' seeds: [..] -> a student variant per training seed
    RUNS = expand_runs(config)
    for _name, _student in config["students"].items():
        distributed.settings(_student, _name)
    check_setup(config)
except (ConfigError, OSError) as exc:
    sys.exit(f"config error: {exc}")

R = config["results_dir"]
LF_PY = config["llamafactory_python"]
VLLM_PY = config["vllm_python"]
# With --sdm conda, jobs run in the environment their rules name (envs/*.yaml) with its own python,
# and with this checkout's package on the path (the env files pin only third-party packages).
USE_CONDA = DeploymentMethod.CONDA in workflow.deployment_settings.deployment_method
if USE_CONDA:
    LF_PY = VLLM_PY = "python"
    prepend_pythonpath(Path(workflow.basedir) / "src")
SCRIPTS = str(Path(workflow.basedir) / "scripts")
NAME = "[A-Za-z][A-Za-z0-9_]*"
# Threads of each training or generation job; tiny models gain little from more than one. On one
# machine, cap how many such jobs run at once so that --cores 8 on a 2-core box does not oversubscribe
# it (override with --resources heavy_jobs=N).
HEAVY_THREADS = int(os.environ.get("COTDISTILL_THREADS", "1"))
if workflow.local_exec and "heavy_jobs" not in workflow.global_resources:
    workflow.register_resource("heavy_jobs", max(1, (os.cpu_count() or 1) // HEAVY_THREADS))


wildcard_constraints:
    dataset=NAME,
    evalset=NAME,
    teacher=NAME,
    student=NAME,
    experiment=NAME,
    split="train|test|dev",
    prompting="[A-Za-z0-9_-]+",
    recipe=NAME + r"\.[A-Za-z0-9_-]+\.(correct|all)",


def canonical(obj):
    """A config block as a key-sorted JSON string: params that do not change when keys are reordered."""
    return json.dumps(obj, sort_keys=True)


def student_cfg(wildcards):
    return config["students"][wildcards.student]


def student_base(wildcards):
    """The base model a run starts from: a from-scratch build per (student, dataset), or a hub/local model."""
    cfg = student_cfg(wildcards)
    if "init" in cfg:
        return f"{R}/students/{wildcards.student}/{wildcards.dataset}"
    return []


def student_base_path(wildcards):
    cfg = student_cfg(wildcards)
    return f"{R}/students/{wildcards.student}/{wildcards.dataset}" if "init" in cfg else cfg["model"]


def student_resources(kind):
    """Per-student resources for train/generate jobs (students.<name>.resources.<kind>), for cluster profiles."""
    defaults = {"gpu": 0, "cpus_per_gpu": 0, "mem_mb": 8000, "runtime": 60}

    def get(name):
        def fn(wildcards):
            res = student_cfg(wildcards).get("resources", {})
            return int(res.get(kind, {}).get(name, res.get(name, defaults[name])))

        return fn

    return {name: get(name) for name in defaults}


def sft_inputs(wildcards):
    """Rationale files (or a multi-style log) that a recipe's SFT set is built from."""
    teacher, source, _ = split_recipe(wildcards.recipe)
    if source.startswith("summarize-"):  # a summarize experiment's `sft:` switch (methods/summarize.py)
        from cotdistill.methods.summarize import sft_input

        return [sft_input(config, R, teacher, wildcards.dataset, source)]
    if source.startswith("multistyle-"):
        experiment = source[len("multistyle-") :].rsplit("-", 1)[0]
        return [f"{R}/multistyle/{experiment}/{teacher}/{wildcards.dataset}.enriched.jsonl"]
    return [f"{R}/rationales/{teacher}/{wildcards.dataset}/{p}.jsonl" for p in rationale_promptings(config, source)]


def train_resources():
    """student_resources("train") with GPUs and nodes from the student's `distributed:` block
    (cotdistill.distributed.job_resources); resources that are None are left off a job."""
    res = student_resources("train")
    gpu = res.pop("gpu")

    def get(name):
        return lambda wc: distributed.job_resources(distributed.settings(student_cfg(wc), wc.student), gpu(wc))[name]

    return {**res, **{name: get(name) for name in ("gpu", "gres", "nodes", "tasks", "mpi")}}


def final_outputs():
    return [f"{R}/tables/all.csv"] + figure_targets()


# The figures each method draws beside results/figures/accuracy.png (one rule per figure).
METHOD_FIGURES = {
    "factors": ["granularity", "format", "teacher"],
    "multistyle": ["styles"],
    "undo": ["undo_rounds"],
    "fair": ["fair"],
    "summarize": ["summarization"],
    "router": ["router"],
}


def figure_targets():
    methods = {run.method for run in RUNS}
    figures = ["accuracy"] + [f for method, names in METHOD_FIGURES.items() if method in methods for f in names]
    return [f"{R}/figures/{name}.png" for name in figures]
