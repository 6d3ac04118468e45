rule generate:
    """A trained student answers a dataset's test problems: batched greedy decoding, training's template."""
    input:
        checkpoint=f"{R}/checkpoints/{{student}}/{{dataset}}/{{recipe}}",
        problems=f"{R}/data/{{evalset}}/test.jsonl",
    output:
        f"{R}/generations/{{student}}/{{dataset}}/{{recipe}}/{{evalset}}.jsonl",
    params:
        template=lambda wc: student_cfg(wc)["template"],
        max_new_tokens=lambda wc: student_cfg(wc).get("generation", {}).get("max_new_tokens", 256),
        batch_size=lambda wc: student_cfg(wc).get("generation", {}).get("batch_size", 32),
    log:
        f"{R}/logs/generate/{{student}}/{{dataset}}/{{recipe}}/{{evalset}}.log",
    threads: HEAVY_THREADS
    resources:
        heavy_jobs=1,
        **student_resources("generate"),
    shell:
        "OMP_NUM_THREADS={threads} {LF_PY} {SCRIPTS}/generate.py {input.checkpoint} {input.problems} {output}"
        " --template {params.template} --max-new-tokens {params.max_new_tokens} --batch-size {params.batch_size}"
        " > {log} 2>&1"


rule score:
    """Answer extraction and checking of a run's generations: per-problem rows and metrics."""
    input:
        generations=f"{R}/generations/{{student}}/{{dataset}}/{{recipe}}/{{evalset}}.jsonl",
        problems=f"{R}/data/{{evalset}}/test.jsonl",
    output:
        rows=f"{R}/eval/{{student}}/{{dataset}}/{{recipe}}/{{evalset}}.jsonl",
        metrics=f"{R}/eval/{{student}}/{{dataset}}/{{recipe}}/{{evalset}}.metrics.json",
    params:
        run=lambda wc: f"{wc.student}/{wc.dataset}/{wc.recipe}",
    log:
        f"{R}/logs/score/{{student}}/{{dataset}}/{{recipe}}/{{evalset}}.log",
    script:
        "../scripts/score.py"
