rule sft:
    """An SFT set in LLaMA-Factory's alpaca format, with its dataset_info.json, for one recipe and dataset."""
    input:
        problems=f"{R}/data/{{dataset}}/train.jsonl",
        rationales=sft_inputs,
    output:
        data=f"{R}/sft/{{recipe}}/{{dataset}}/train.json",
        info=f"{R}/sft/{{recipe}}/{{dataset}}/dataset_info.json",
        stats=f"{R}/sft/{{recipe}}/{{dataset}}/stats.json",
    params:
        recipe=lambda wc: split_recipe(wc.recipe),
    log:
        f"{R}/logs/sft/{{recipe}}/{{dataset}}.log",
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/sft.py"
