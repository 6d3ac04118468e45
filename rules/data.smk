rule data:
    """Problems of one dataset split in the common schema (generated, hub or local files), de-duplicated on
    the normalised question within the split and against the splits that take precedence (test > train > dev);
    the counts are in {split}.summary.json (cotdistill.data.dedup)."""
    output:
        problems=L.data,
        summary=L.data_summary,
    params:
        dataset=lambda wc: deps.dataset_params(config["datasets"][wc.dataset]),
        code=deps.code("data"),
    log:
        L.log("data/{dataset}/{split}.log"),
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/data.py"
