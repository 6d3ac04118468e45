rule build_student:
    """A tiny student from scratch: tokenizer trained on the dataset's text, random Llama/Qwen2 weights."""
    input:
        problems=L.path("data", split="train"),
    output:
        directory(L.student),
    params:
        init=lambda wc: canonical(student_cfg(wc)["init"]),
        python=deps.Operational(LF_PY),
        script=deps.Operational(f"{SCRIPTS}/build_student.py"),
        code=deps.code("build_student"),
    log:
        L.log("students/{student}/{dataset}.log"),
    threads: 1
    conda:
        "../envs/llamafactory.yaml"
    shell:
        "{params.python:q} {params.script:q} {input.problems:q} {output:q} {params.init:q} > {log:q} 2>&1"


rule lf_config:
    """The LLaMA-Factory training YAML of one run (student × dataset × recipe), and next to it the
    DeepSpeed/FSDP config of the student's `distributed:` strategy (`{}` for none/ddp). LLaMA-Factory
    writes into a work directory under results/.work/ (not a Snakemake output), so that a rerun after
    preemption resumes from its last checkpoint."""
    input:
        sft=L.sft,
        base=student_base,
    output:
        config=L.lf_config,
        engine=L.engine,
    params:
        student=lambda wc: deps.train_params(student_cfg(wc)),
        code=deps.code("lf_config"),
        base=student_base_path,
        work_dir=L.work,
    log:
        L.log("configs/{student}/{dataset}/{recipe}.log"),
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/lf_config.py"


rule train:
    """`llamafactory-cli train` on a run's config (torchrun/DeepSpeed/FSDP, one or more nodes, by the
    student's `distributed:` block); resumes from the work directory's last checkpoint, then publishes
    the final model into the checkpoint folder (the output)."""
    input:
        config=L.lf_config,
        engine=lambda wc: (
            L.path("engine", student=wc.student, dataset=wc.dataset, recipe=wc.recipe)
            if student_cfg(wc).get("distributed", {}).get("strategy") in ("deepspeed", "fsdp")
            else []
        ),
        sft=L.sft,
        base=student_base,
    output:
        directory(L.checkpoint),
    params:
        python=deps.Operational(LF_PY),
        script=deps.Operational(f"{SCRIPTS}/train.py"),
        distributed=lambda wc: deps.Operational(distributed.settings(student_cfg(wc), wc.student)),  # in lf_config's params
        work_dir=L.work,
    log:
        L.log("train/{student}/{dataset}/{recipe}.log"),
    threads: HEAVY_THREADS
    resources:
        heavy_jobs=1,
        **train_resources(),
    conda:
        lambda wc: "../envs/llamafactory-deepspeed.yaml" if student_cfg(wc).get("distributed", {}).get("strategy") == "deepspeed" else "../envs/llamafactory.yaml"
    shell:
        "OMP_NUM_THREADS={threads} {params.python:q} {params.script:q} {input.config:q} {output:q} {params.work_dir:q} {params.distributed:q} > {log:q} 2>&1"
