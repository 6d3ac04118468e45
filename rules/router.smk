# The two-student mixture with a CoT router (Distill): training rows from the multi-style log, one training
# job per mode (router, naive, only_a, only_b), evaluation views that the generate/score rules evaluate.
from cotdistill.methods import router_runs as ROUTER

ROUTER_DIR = f"{R}/router/{{experiment}}/{{teacher}}/{{dataset}}"


def router_base(member):
    def fn(wc):
        student = config["experiments"][wc.experiment]["students"][0 if member == "a" else 1]
        cfg = config["students"][student]
        return f"{R}/students/{student}/{wc.dataset}" if "init" in cfg else cfg["model"]

    return fn


def router_built(wc):
    """From-scratch students the run starts from (hub models are not files of this workflow)."""
    return [f"{R}/students/{s}/{wc.dataset}" for s in config["experiments"][wc.experiment]["students"]
            if "init" in config["students"][s]]


rule router_data:
    """Training rows (question + one style's rationale, with its style) from the multi-style log."""
    input:
        problems=f"{R}/data/{{dataset}}/train.jsonl",
        enriched=f"{R}/multistyle/{{experiment}}/{{teacher}}/{{dataset}}.enriched.jsonl",
    output:
        f"{ROUTER_DIR}/train.jsonl",
    params:
        keep=lambda wc: config["experiments"][wc.experiment].get("filter", "correct"),
    log:
        f"{R}/logs/router/{{experiment}}/{{teacher}}/{{dataset}}/data.log",
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/router.py"


rule router_train:
    """Two students (+ router, + ensemble weights) trained together with transformers + peft."""
    input:
        rows=f"{ROUTER_DIR}/train.jsonl",
        bases=router_built,
    output:
        directory(f"{ROUTER_DIR}/{{mode}}"),
    params:
        router=lambda wc: canonical(config["experiments"][wc.experiment].get("router", {})),
        student_a=router_base("a"),
        student_b=router_base("b"),
    log:
        f"{R}/logs/router/{{experiment}}/{{teacher}}/{{dataset}}/{{mode}}.log",
    wildcard_constraints:
        mode="router|naive|only_a|only_b",
    threads: HEAVY_THREADS
    resources:
        heavy_jobs=1,
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/router.py"


rule router_view:
    """A checkpoint folder that names a trained mode and its evaluated member(s), for generate/score."""
    input:
        f"{ROUTER_DIR}/{{mode}}",
    output:
        directory(f"{R}/checkpoints/{{student}}/{{dataset}}/{{teacher}}.router-{{experiment}}-{{mode}}-{{member}}.{{filter}}"),
    log:
        f"{R}/logs/router/{{experiment}}/{{teacher}}/{{dataset}}/{{mode}}-{{member}}.{{student}}.{{filter}}.view.log",
    wildcard_constraints:
        mode="router|naive|only_a|only_b",
        member="ens|a|b",
        filter="correct|all",
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/router.py"


ruleorder: router_view > train


def router_runs_dirs():
    return sorted({f"{R}/router/{run.experiment}/{run.labels['teacher']}/{run.train_set}/router"
                   for run in RUNS if run.method == "router" and run.labels["mode"] == "router"})


rule router_posrate:
    """Positive routing rate (share routed to student A) per CoT style and epoch: the original calc_posrate."""
    input:
        router_runs_dirs(),
    output:
        f"{R}/tables/router_posrate.csv",
    log:
        f"{R}/logs/report/router_posrate.log",
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/router.py"


rule figure_router:
    input:
        f"{R}/tables/router_posrate.csv",
    output:
        f"{R}/figures/router.png",
    log:
        f"{R}/logs/report/figure_router.log",
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/router.py"
