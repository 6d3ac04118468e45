rule rationales:
    """One teacher's rationales for a dataset's training problems under one prompting."""
    input:
        problems=f"{R}/data/{{dataset}}/train.jsonl",
    output:
        rows=f"{R}/rationales/{{teacher}}/{{dataset}}/{{prompting}}.jsonl",
        summary=f"{R}/rationales/{{teacher}}/{{dataset}}/{{prompting}}.summary.json",
    params:
        teacher=lambda wc: canonical(config["teachers"][wc.teacher]),
        cache_dir=f"{R}/.cache/llm",
    log:
        f"{R}/logs/rationales/{{teacher}}/{{dataset}}/{{prompting}}.log",
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/rationales.py"


rule multistyle_log:
    """The enriched per-style log and the correct-only set of a multi-style experiment."""
    input:
        problems=f"{R}/data/{{dataset}}/train.jsonl",
        rationales=lambda wc: [
            f"{R}/rationales/{wc.teacher}/{wc.dataset}/{p}.jsonl"
            for p in rationale_promptings(config, f"multistyle-{wc.experiment}-all")
        ],
    output:
        enriched=f"{R}/multistyle/{{experiment}}/{{teacher}}/{{dataset}}.enriched.jsonl",
        correct=f"{R}/multistyle/{{experiment}}/{{teacher}}/{{dataset}}.correct.jsonl",
    params:
        styles=lambda wc: config["experiments"][wc.experiment]["styles"],
    log:
        f"{R}/logs/multistyle/{{experiment}}/{{teacher}}/{{dataset}}.log",
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/multistyle_log.py"
