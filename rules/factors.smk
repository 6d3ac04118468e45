# The key-factors paper's baselines (src/cotdistill/methods/factors.py, gold_rationales.py): the datasets'
# own solutions (human-annotated rationales) and the gold answers alone, as rationale rows of the
# pseudo-teacher `human`; the ordinary sft/train/generate/score rules take them from there.


ruleorder: gold_rationales > rationales


rule gold_rationales:
    """Rationale rows of the pseudo-teacher `human`: the dataset's solutions or gold answers, with the answer line."""
    input:
        problems=L.path("data", split="train"),
    output:
        rows=L.path("rationales", teacher="human", prompting="{gold}"),
        summary=L.path("rationales_summary", teacher="human", prompting="{gold}"),
    wildcard_constraints:
        gold="solution|answer|solution_boxed|answer_boxed",
    log:
        L.log("rationales/human/{dataset}/{gold}.log"),
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/gold_rationales.py"
