# FAIR's committee: every teacher scores every other teacher's round-r rationales; peer review keeps
# those whose mean valid score is above the threshold (src/cotdistill/methods/fair.py). The rounds
# themselves are rules/rounds.smk's.
from cotdistill.methods import fair, rounds


rule fair_review:
    """One committee member's 1-5 scores of every other member's round-r rationales."""
    input:
        problems=L.path("data", split="train"),
        rationales=lambda wc: [
            L.path("rationales", teacher=t, dataset=wc.dataset, prompting=rounds.prompting("fair", wc.experiment, wc.student, wc.round))
            for t in SETTINGS[wc.experiment].teachers
            if t != wc.teacher
        ],
    output:
        rows=L.fair_reviews,
        summary=L.fair_reviews_summary,
    wildcard_constraints:
        round=paths.ROUND,
    params:
        teacher=lambda wc: canonical(config["teachers"][wc.teacher]),
        cache_dir=L.cache,
    log:
        L.log("fair/{experiment}/{student}/{dataset}/r{round}/review_{teacher}.log"),
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/fair_review.py"


rule fair_select:
    """Peer review's verdict: rationales whose mean valid score is above the threshold; counts per teacher."""
    input:
        rationales=lambda wc: [
            L.path("rationales", teacher=t, dataset=wc.dataset, prompting=rounds.prompting("fair", wc.experiment, wc.student, wc.round))
            for t in SETTINGS[wc.experiment].teachers
        ],
        reviews=lambda wc: [
            L.path("fair_reviews", teacher=t, experiment=wc.experiment, student=wc.student, dataset=wc.dataset, round=wc.round)
            for t in SETTINGS[wc.experiment].teachers
        ],
    output:
        accepted=L.fair_accepted,
        report=L.fair_acceptance,
    wildcard_constraints:
        round=paths.ROUND,
    params:
        threshold=lambda wc: SETTINGS[wc.experiment].review_threshold,
    log:
        L.log("fair/{experiment}/{student}/{dataset}/r{round}/select.log"),
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/fair_select.py"
