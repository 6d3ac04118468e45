rule sft:
    """An SFT set in LLaMA-Factory's alpaca format, with its dataset_info.json, for one recipe and dataset."""
    input:
        problems=L.path("data", split="train"),
        rationales=sft_inputs,
    output:
        data=L.sft,
        info=L.sft_info,
        stats=L.sft_stats,
    params:
        recipe=lambda wc: split_recipe(wc.recipe),
        code=deps.code("sft"),
    log:
        L.log("sft/{recipe}/{dataset}.log"),
    wildcard_constraints:
        recipe=paths.PLAIN_RECIPE,  # round recipes are rules/rounds.smk's
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/sft.py"
