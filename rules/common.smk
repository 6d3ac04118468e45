import json
import os
import sys
from pathlib import Path

from snakemake.utils import validate

sys.path.insert(0, str(Path(workflow.basedir) / "src"))

from cotdistill import decoding as decoding_lib
from cotdistill import distributed, experiments, paths
from cotdistill import params as deps  # what each rule's output depends on (docs/rebuild.md)
from cotdistill.errors import ConfigError
from cotdistill.runs import split_recipe
from cotdistill.setup_checks import check_schema, check_setup
from cotdistill.envs import prepend_pythonpath
from snakemake_interface_executor_plugins.settings import DeploymentMethod


try:
    check_schema(config, Path(workflow.basedir) / "schemas/config.schema.yaml")
    validate(config, schema="../schemas/config.schema.yaml")  # fills in the schema's defaults
    from cotdistill import seeds

    SEEDED = seeds.apply(config)  # experiments' seeds: [..] -> a student variant per training seed
    SETTINGS = experiments.all_settings(config)  # every experiment's closed settings (methods/*)
    RUNS = seeds.label_runs(experiments.expand_runs(config, SETTINGS), SEEDED)  # seed, seed_of on replicates
    for _name, _student in config["students"].items():
        distributed.settings(_student, _name)
        decoding_lib.check_student(_student, _name)
    check_setup(config)
except (ConfigError, OSError) as exc:
    sys.exit(f"config error: {exc}")

R = config["results_dir"]
L = paths.Layout(R)  # every results path (cotdistill.paths)
if workflow.is_main_process and not workflow.dryrun:  # a truncated JSONL output is removed: rebuilt when needed (cotdistill.io)
    from cotdistill.io import remove_damaged

    remove_damaged(R)
LF_PY = config["llamafactory_python"]
VLLM_PY = config["vllm_python"]
# With --sdm conda, jobs run in the environment their rules name (envs/*.yaml) with its own python,
# and with this checkout's package on the path (the env files pin only third-party packages).
USE_CONDA = DeploymentMethod.CONDA in workflow.deployment_settings.deployment_method
if USE_CONDA:
    LF_PY = VLLM_PY = "python"
    prepend_pythonpath(Path(workflow.basedir) / "src")
SCRIPTS = str(Path(workflow.basedir) / "scripts")
NAME = paths.NAME
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
    split=paths.SPLIT,
    prompting=paths.PROMPTING,
    recipe=paths.RECIPE,


def canonical(obj):
    """A config block as a key-sorted JSON string: params that do not change when keys are reordered."""
    return json.dumps(obj, sort_keys=True)


def student_cfg(wildcards):
    return config["students"][wildcards.student]


def student_base(wildcards):
    """The base model a run starts from: a from-scratch build per (student, dataset), a folder converted
    from a GGUF file (rules/models.smk), or a hub/local model."""
    cfg = student_cfg(wildcards)
    if "init" in cfg:
        return base_path(wildcards.student, wildcards.dataset)
    return imported_model(cfg["model"])


def student_base_path(wildcards):
    return base_path(wildcards.student, wildcards.dataset)


def base_path(student, dataset):
    """Where a student's runs on a dataset start from: its from-scratch build, or its hub/local model."""
    cfg = config["students"][student]
    return L.path("student", student=student, dataset=dataset) if "init" in cfg else cfg["model"]


def built_bases(students, dataset):
    """The from-scratch builds among ``students`` (workflow files; hub models are not)."""
    return [L.path("student", student=s, dataset=dataset) for s in students if "init" in config["students"][s]]


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
    """Rationale files (or a method's own source: a multi-style log, a loop's outputs) of a recipe's SFT set."""
    return experiments.sft_inputs(config, L, wildcards.recipe, wildcards.dataset)


def train_resources():
    """student_resources("train") with GPUs and nodes from the student's `distributed:` block
    (cotdistill.distributed.job_resources); resources that are None are left off a job."""
    res = student_resources("train")
    gpu = res.pop("gpu")

    def get(name):
        return lambda wc: distributed.job_resources(distributed.settings(student_cfg(wc), wc.student), gpu(wc))[name]

    return {**res, **{name: get(name) for name in ("gpu", "gres", "nodes", "tasks", "mpi")}}


def final_outputs():
    """The study's outputs and the provenance page that records them (rules/report.smk)."""
    return study_outputs() + [L.path("provenance")]


def study_outputs():
    """The table, each method's extra targets and the figures of the methods the study uses."""
    extra = [f"{L.results}/{t}" for t in experiments.targets(SETTINGS)]
    return [L.path("table", name="all")] + extra + figure_targets()


def figure_targets():
    return [L.path("figure", name=name) for name in experiments.figures(SETTINGS)]


def runs_of(*methods):
    """Run descriptions (plain dicts, so a change reruns the report) of the given methods, or all; a run
    behind an early stop that said "stop" (a method's `gates`, checkpoint round_gate) drops out."""
    runs = [run.as_dict() for run in RUNS if not methods or run.method in methods]
    return [run for run in runs if run_active(run)]


def run_active(run):
    """Whether a run is part of the study: every early-stop gate before it said "continue". Asks the gate
    checkpoints, so only input/params functions may call it for gated runs."""
    for gate in experiments.gates(run, SETTINGS):
        with open(checkpoints.round_gate.get(**gate).output[0]) as fh:
            if not json.load(fh)["continue"]:
                return False
    return True


def metrics_of(*methods):
    from cotdistill.report import metrics_path, run_rows

    return sorted({metrics_path(R, row) for row in run_rows(runs_of(*methods))})


def results_root(wildcards, output):
    """results_dir, read off a report job's output (`{R}/tables/…`, `{R}/figures/…`, `{R}/report/…`)
    rather than written into params as a hard-coded prefix (what `snakemake --lint` asks)."""
    return str(Path(output[0]).parents[1])


def imported_model(model):
    """The converted folder as an input, when ``model`` (a block's resolved `model`) came from a GGUF file
    (GGUF_IMPORTS: rules/models.smk)."""
    return [model] if model in GGUF_IMPORTS else []
