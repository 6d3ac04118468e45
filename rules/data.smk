rule data:
    """Problems of one dataset split in the common schema (generated, hub or local files)."""
    output:
        f"{R}/data/{{dataset}}/{{split}}.jsonl",
    params:
        dataset=lambda wc: canonical(config["datasets"][wc.dataset]),
    log:
        f"{R}/logs/data/{{dataset}}/{{split}}.log",
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/data.py"
