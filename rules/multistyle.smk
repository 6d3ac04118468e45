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
