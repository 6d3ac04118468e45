from cotdistill.generate_vllm import SETUP_HINT, backend, check_importable

# Generation backends (students.<name>.generation.backend): transformers (rule generate, LLaMA-Factory
# env) or vllm (rules prompt_ids + generate_vllm, vLLM env). Both write the same generations file; each
# rule matches only its own students. A vllm student needs a Python that can import vllm: checked here,
# before any job (under --sdm conda Snakemake builds envs/vllm.yaml instead).
VLLM_STUDENTS = sorted({run.student for run in RUNS if run.student in config["students"] and backend(config["students"][run.student]) == "vllm"})
if VLLM_STUDENTS and not USE_CONDA:
    VLLM_PROBLEM = check_importable(VLLM_PY)
    if VLLM_PROBLEM:
        sys.exit(f"config error: students.{VLLM_STUDENTS[0]}.generation.backend: vllm, but {VLLM_PROBLEM} (vllm_python); {SETUP_HINT}")


rule generate:
    """A trained student answers a dataset's test problems: batched greedy decoding, training's template."""
    input:
        checkpoint=L.checkpoint,
        problems=L.path("data", dataset="{evalset}", split="test"),
    output:
        L.generations,
    params:
        python=deps.Operational(LF_PY),
        script=deps.Operational(f"{SCRIPTS}/generate.py"),
        code=deps.code("generate"),
        template=lambda wc: student_cfg(wc)["template"],
        max_new_tokens=lambda wc: student_cfg(wc).get("generation", {}).get("max_new_tokens", 256),
        batch_size=lambda wc: deps.generation_batch_size(student_cfg(wc)),
        decoding=lambda wc: canonical(student_cfg(wc).get("generation", {}).get("decoding", {})),
        system=lambda wc: student_cfg(wc).get("system", ""),
        trust_remote_code=lambda wc: deps.trust_remote_code(student_cfg(wc)),
    log:
        L.log("generate/{student}/{dataset}/{recipe}/{evalset}.log"),
    wildcard_constraints:
        student=f"(?!(?:{'|'.join(VLLM_STUDENTS)})/){NAME}" if VLLM_STUDENTS else NAME,
    threads: HEAVY_THREADS
    resources:
        heavy_jobs=1,
        **student_resources("generate"),
    conda:
        "../envs/llamafactory.yaml"
    shell:
        "OMP_NUM_THREADS={threads} {params.python:q} {params.script:q} {input.checkpoint:q} {input.problems:q} {output:q}"
        " --template {params.template:q} --max-new-tokens {params.max_new_tokens:q} --batch-size {params.batch_size:q}"
        " --decoding {params.decoding:q} --system={params.system:q} --trust-remote-code {params.trust_remote_code:q} > {log:q} 2>&1"


rule prompt_ids:
    """vLLM backend, step 1: test prompts as token ids under the student's training template (LLaMA-Factory's)."""
    input:
        checkpoint=L.checkpoint,
        problems=L.path("data", dataset="{evalset}", split="test"),
    output:
        L.prompt_ids,
    params:
        python=deps.Operational(LF_PY),
        script=deps.Operational(f"{SCRIPTS}/prompt_ids.py"),
        code=deps.code("prompt_ids"),
        template=lambda wc: student_cfg(wc)["template"],
        trust_remote_code=lambda wc: deps.trust_remote_code(student_cfg(wc)),
    log:
        L.log("prompts/{student}/{dataset}/{recipe}/{evalset}.log"),
    conda:
        "../envs/llamafactory.yaml"
    shell:
        "{params.python:q} {params.script:q} {input.checkpoint:q} {input.problems:q} {output:q} --template {params.template:q}"
        " --trust-remote-code {params.trust_remote_code:q} > {log:q} 2>&1"


rule generate_vllm:
    """vLLM backend, step 2: greedy generation from those token ids with vllm.LLM (GPU, vLLM env)."""
    input:
        checkpoint=L.checkpoint,
        prompts=L.prompt_ids,
    output:
        L.generations,
    params:
        python=deps.Operational(VLLM_PY),
        script=deps.Operational(f"{SCRIPTS}/generate_vllm.py"),
        code=deps.code("generate_vllm"),
        max_new_tokens=lambda wc: student_cfg(wc).get("generation", {}).get("max_new_tokens", 256),
        llm_kwargs=lambda wc: deps.Operational(student_cfg(wc).get("generation", {}).get("vllm", {})),
        vllm=lambda wc: canonical(deps.generation_params(student_cfg(wc))["generation"].get("vllm", {})),
        trust_remote_code=lambda wc: deps.trust_remote_code(student_cfg(wc)),
    log:
        L.log("generate/{student}/{dataset}/{recipe}/{evalset}.log"),
    wildcard_constraints:
        student="|".join(VLLM_STUDENTS) or "(?!)",
    resources:
        **student_resources("generate"),
    conda:
        "../envs/vllm.yaml"
    shell:
        "{params.python:q} {params.script:q} {input.checkpoint:q} {input.prompts:q} {output:q}"
        " --max-new-tokens {params.max_new_tokens:q} --llm-kwargs {params.llm_kwargs:q} --trust-remote-code {params.trust_remote_code:q}"
        " > {log:q} 2>&1"


rule score:
    """Answer extraction and checking of a run's generations: per-problem rows and metrics."""
    input:
        generations=L.generations,
        problems=L.path("data", dataset="{evalset}", split="test"),
    output:
        rows=L.eval,
        metrics=L.metrics,
    params:
        run=lambda wc: f"{wc.student}/{wc.dataset}/{wc.recipe}",
        code=deps.code("score"),
    log:
        L.log("score/{student}/{dataset}/{recipe}/{evalset}.log"),
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/score.py"


# A run's student on another split than test: the training problems (rounds), the dev split (eval_split: dev).
use rule generate as generate_split with:
    input:
        checkpoint=L.checkpoint,
        problems=L.path("data", dataset="{evalset}"),
    output:
        L.split_generations,
    log:
        L.log("generate/{student}/{dataset}/{recipe}/{evalset}.{split}.log"),


use rule score as score_split with:
    input:
        generations=L.split_generations,
        problems=L.path("data", dataset="{evalset}"),
    output:
        rows=L.split_eval,
        metrics=L.split_metrics,
    log:
        L.log("score/{student}/{dataset}/{recipe}/{evalset}.{split}.log"),
