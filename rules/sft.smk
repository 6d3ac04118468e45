def sft_inputs(wildcards):
    """Rationale files (or a multi-style log) that a recipe's SFT set is built from."""
    teacher, source, _ = split_recipe(wildcards.recipe)
    if source.startswith("multistyle-"):
        experiment = source[len("multistyle-") :].rsplit("-", 1)[0]
        return [f"{R}/multistyle/{experiment}/{teacher}/{wildcards.dataset}.enriched.jsonl"]
    return [f"{R}/rationales/{teacher}/{wildcards.dataset}/{p}.jsonl" for p in rationale_promptings(config, source)]


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
    script:
        "../scripts/sft.py"
