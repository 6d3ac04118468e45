rule build_student:
    """A tiny student from scratch: tokenizer trained on the dataset's text, random Llama/Qwen2 weights."""
    input:
        problems=f"{R}/data/{{dataset}}/train.jsonl",
    output:
        directory(f"{R}/students/{{student}}/{{dataset}}"),
    params:
        init=lambda wc: canonical(student_cfg(wc)["init"]),
    log:
        f"{R}/logs/students/{{student}}/{{dataset}}.log",
    threads: 1
    shell:
        "{LF_PY} {SCRIPTS}/build_student.py {input.problems} {output} '{params.init}' > {log} 2>&1"


rule lf_config:
    """The LLaMA-Factory training YAML of one run (student × dataset × recipe)."""
    input:
        sft=f"{R}/sft/{{recipe}}/{{dataset}}/train.json",
        base=student_base,
    output:
        f"{R}/configs/{{student}}/{{dataset}}/{{recipe}}.yaml",
    params:
        student=lambda wc: canonical(student_cfg(wc)),
        base=student_base_path,
        output_dir=lambda wc: f"{R}/checkpoints/{wc.student}/{wc.dataset}/{wc.recipe}",
    log:
        f"{R}/logs/configs/{{student}}/{{dataset}}/{{recipe}}.log",
    script:
        "../scripts/lf_config.py"


rule train:
    """`llamafactory-cli train` on a run's config; the checkpoint folder is the output."""
    input:
        config=f"{R}/configs/{{student}}/{{dataset}}/{{recipe}}.yaml",
        sft=f"{R}/sft/{{recipe}}/{{dataset}}/train.json",
        base=student_base,
    output:
        directory(f"{R}/checkpoints/{{student}}/{{dataset}}/{{recipe}}"),
    log:
        f"{R}/logs/train/{{student}}/{{dataset}}/{{recipe}}.log",
    threads: HEAVY_THREADS
    resources:
        heavy_jobs=1,
        **student_resources("train"),
    shell:
        "OMP_NUM_THREADS={threads} {LF_PY} {SCRIPTS}/train.py {input.config} > {log} 2>&1"
