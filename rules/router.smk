# The two-student mixture with a CoT router (src/cotdistill/methods/router/): training rows from the
# multi-style log, one training job per mode (router, naive, only_a, only_b), evaluation views that the
# generate/score rules evaluate.
from cotdistill.methods import router

ROUTER_DIRS = router.router_dirs(RUNS, L)


rule router_data:
    """Training rows (question + one style's rationale, with its style) from the multi-style log."""
    input:
        problems=L.path("data", split="train"),
        enriched=L.multistyle_log,
    output:
        L.router_rows,
    params:
        keep=lambda wc: SETTINGS[wc.experiment].filter,
        prompt=lambda wc: SETTINGS[wc.experiment].prompt,
        gold=lambda wc: SETTINGS[wc.experiment].sft_baseline,
    log:
        L.log("router/{experiment}/{teacher}/{dataset}/data.log"),
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/router_data.py"


rule router_train:
    """Two students (+ router, + ensemble weights) trained together with transformers + peft."""
    input:
        rows=L.router_rows,
        bases=lambda wc: built_bases(SETTINGS[wc.experiment].students, wc.dataset),
    output:
        directory(L.router_mode),
    params:
        router=lambda wc: canonical({**SETTINGS[wc.experiment].router, "mode": wc.mode}),
        student_a=lambda wc: base_path(SETTINGS[wc.experiment].students[0], wc.dataset),
        student_b=lambda wc: base_path(SETTINGS[wc.experiment].students[1], wc.dataset),
    log:
        L.log("router/{experiment}/{teacher}/{dataset}/{mode}.log"),
    wildcard_constraints:
        mode="|".join(router.VIEWS),
    threads: HEAVY_THREADS
    resources:
        heavy_jobs=1,
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/router_train.py"


rule router_view:
    """A checkpoint folder that names a trained mode and its evaluated member(s), for generate/score."""
    input:
        L.router_mode,
    output:
        directory(L.path("checkpoint", recipe="{teacher}.router-{experiment}-{mode}-{member}.{filter}")),
    params:
        members=lambda wc: router.members(wc.mode, wc.member),
        templates=lambda wc: {m: config["students"][s]["template"] for m, s in zip(("a", "b"), SETTINGS[wc.experiment].students)},
    log:
        L.log("router/{experiment}/{teacher}/{dataset}/{mode}-{member}.{student}.{filter}.view.log"),
    wildcard_constraints:
        mode="|".join(router.VIEWS),
        member="ens|a|b",
        filter=paths.FILTER,
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/router_view.py"


ruleorder: router_view > train


rule router_posrate:
    """Positive routing rate (share routed to student A) per CoT style and epoch: the original calc_posrate."""
    input:
        [path for path, _ in ROUTER_DIRS],
    output:
        L.path("table", name="router_posrate"),
    params:
        meta=[key for _, key in ROUTER_DIRS],
    log:
        L.log("report/router_posrate.log"),
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/router_posrate.py"
