rule rationales:
    """One teacher's rationales for a dataset's training problems under one prompting."""
    input:
        problems=f"{R}/data/{{dataset}}/train.jsonl",
        model=lambda wc: imported_model(config["teachers"][wc.teacher].get("model")),  # rules/models.smk
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

