# Multi-style CoT (src/cotdistill/methods/multistyle.py): every style's rationales joined into one enriched
# log per (experiment, teacher, dataset); the generic sft rule builds the all/best mixes from it.
from cotdistill.methods import multistyle


rule multistyle_log:
    """The enriched per-style log and the correct-only set of a multi-style experiment."""
    input:
        problems=L.path("data", split="train"),
        rationales=lambda wc: [
            L.path("rationales", teacher=wc.teacher, dataset=wc.dataset, prompting=p)
            for p in multistyle.style_promptings(SETTINGS[wc.experiment].styles)
        ],
    output:
        enriched=L.multistyle_log,
        correct=L.multistyle_correct,
    params:
        styles=lambda wc: SETTINGS[wc.experiment].styles,
    log:
        L.log("multistyle/{experiment}/{teacher}/{dataset}.log"),
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/multistyle_log.py"


use rule rationales as rationales_split with:
    input:
        problems=L.path("data", split="{split}"),
        model=lambda wc: imported_model(config["teachers"][wc.teacher].get("model")),  # rules/common.smk
    output:
        rows=L.split_rationales,
        summary=L.split_rationales_summary,
    wildcard_constraints:
        split="dev",  # the training split's are rule rationales'; the test split's are never asked for
    log:
        L.log("rationales/{teacher}/{dataset}/{prompting}.{split}.log"),


rule multistyle_select:
    """Best-of-styles' style ranking: the teacher's accuracy per style on the dev problems (select_on: dev)
    or on the training problems (select_on: train), with the training accuracies beside it for comparison."""
    input:
        enriched=L.multistyle_log,
        problems=lambda wc: multistyle.selection_inputs(L, SETTINGS[wc.experiment], wc.teacher, wc.dataset)["problems"],
        rationales=lambda wc: multistyle.selection_inputs(L, SETTINGS[wc.experiment], wc.teacher, wc.dataset)["rationales"],
    output:
        L.multistyle_selection,
    params:
        styles=lambda wc: SETTINGS[wc.experiment].styles,
        select_on=lambda wc: SETTINGS[wc.experiment].select_on,
    log:
        L.log("multistyle/{experiment}/{teacher}/{dataset}.selection.log"),
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/multistyle_select.py"
