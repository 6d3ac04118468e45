rule rationales:
    """One teacher's rationales for a dataset's training problems under one prompting."""
    input:
        problems=L.path("data", split="train"),
        model=lambda wc: imported_model(config["teachers"][wc.teacher].get("model")),  # rules/common.smk
    output:
        rows=L.rationales,
        summary=L.rationales_summary,
    params:
        teacher=lambda wc: deps.teacher_output_params(config["teachers"][wc.teacher], wc.prompting),
        code=lambda wc: deps.code("rationales", config["teachers"][wc.teacher]["kind"]),
        cache_dir=L.cache,
    log:
        L.log("rationales/{teacher}/{dataset}/{prompting}.log"),
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/rationales.py"

