# FAIR as its reference code runs it (src/cotdistill/methods/fair.py, fair_protocol.py, fair_train.py):
# round 0 is the untrained student; round r: every teacher's feedback on, and bare-question rationale for,
# each mistake of round r-1's student on the training problems; peer review by every other teacher; the
# (accepted rationale, feedback) pairs per mistake; training with the paired loss (our trainer, pipeline
# env) or LLaMA-Factory's interleaving (training: interleave, an approximation).
from cotdistill.methods import fair

FAIR_EXPERIMENTS = {name: s for name, s in SETTINGS.items() if s.method == "fair"}
# Which FAIR recipes the paired trainer builds (the others go through LLaMA-Factory), fixed per experiment.
FAIR_PAIRED = "|".join(sorted(n for n, s in FAIR_EXPERIMENTS.items() if s.training == "paired")) or "(?!)"
FAIR_MIXED = "|".join(sorted(n for n, s in FAIR_EXPERIMENTS.items() if s.training == "interleave")) or "(?!)"


ruleorder: fair_untrained > train
ruleorder: fair_train > train
ruleorder: fair_sft > sft


rule fair_untrained:
    """FAIR's round 0: the untrained student, as a checkpoint folder naming its base model (base_view.json)."""
    input:
        base=student_base,
    output:
        directory(L.path("checkpoint", recipe=paths.UNTRAINED_RECIPE)),
    params:
        base=student_base_path,
    log:
        L.log(f"train/{{student}}/{{dataset}}/{paths.UNTRAINED_RECIPE}.log"),
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/fair_untrained.py"


rule fair_teacher:
    """One committee member on round r's mistakes: feedback (with the gold as a hint) and a bare-question rationale each."""
    input:
        problems=L.path("data", split="train"),
        mistakes=lambda wc: L.path("split_eval", student=wc.student, dataset=wc.dataset, evalset=wc.dataset, split="train",
                                   recipe=fair.mistakes_recipe(wc.experiment, wc.student, int(wc.round))),
    output:
        feedback=L.fair_feedback,
        rationales=L.fair_rationales,
        summary=L.fair_teacher_summary,
    wildcard_constraints:
        round=paths.ROUND,
    params:
        teacher=lambda wc: deps.teacher_output_params(config["teachers"][wc.teacher], deps.ROUND_SOLVES),
        name=lambda wc: f"fair-{wc.experiment}-{wc.student}-r{wc.round}",
        cache_dir=L.cache,
    log:
        L.log("fair/{experiment}/{student}/{dataset}/r{round}/teacher_{teacher}.log"),
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/fair_teacher.py"


rule fair_review:
    """One committee member's 1-5 scores of every other member's round-r rationales (hinted unless review_hint: false)."""
    input:
        problems=L.path("data", split="train"),
        rationales=lambda wc: [fair.round_path(L, "fair_rationales", wc, t) for t in FAIR_EXPERIMENTS[wc.experiment].teachers if t != wc.teacher],
    output:
        rows=L.fair_reviews,
        summary=L.fair_reviews_summary,
    wildcard_constraints:
        round=paths.ROUND,
    params:
        teacher=lambda wc: deps.teacher_output_params(config["teachers"][wc.teacher], deps.ROUND_SOLVES, review=True),
        hint=lambda wc: FAIR_EXPERIMENTS[wc.experiment].review_hint,
        cache_dir=L.cache,
    log:
        L.log("fair/{experiment}/{student}/{dataset}/r{round}/review_{teacher}.log"),
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/fair_review.py"


rule fair_select:
    """Peer review's verdict: rationales whose mean valid score is above the threshold; precision per reviewer."""
    input:
        rationales=lambda wc: [fair.round_path(L, "fair_rationales", wc, t) for t in FAIR_EXPERIMENTS[wc.experiment].teachers],
        reviews=lambda wc: [fair.round_path(L, "fair_reviews", wc, t) for t in FAIR_EXPERIMENTS[wc.experiment].teachers],
    output:
        accepted=L.fair_accepted,
        report=L.fair_acceptance,
    wildcard_constraints:
        round=paths.ROUND,
    params:
        threshold=lambda wc: FAIR_EXPERIMENTS[wc.experiment].review_threshold,
    log:
        L.log("fair/{experiment}/{student}/{dataset}/r{round}/select.log"),
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/fair_select.py"


rule fair_pairs:
    """The (feedback, rationale) pairs of one training variant: fair, unfiltered, nofeedback, only-<teacher>."""
    input:
        problems=L.path("data", split="train"),
        mistakes=lambda wc: L.path("split_eval", student=wc.student, dataset=wc.dataset, evalset=wc.dataset, split="train",
                                   recipe=fair.mistakes_recipe(wc.experiment, wc.student, int(wc.round))),
        feedback=lambda wc: [fair.round_path(L, "fair_feedback", wc, t) for t in FAIR_EXPERIMENTS[wc.experiment].teachers],
        rationales=lambda wc: [fair.round_path(L, "fair_rationales", wc, t) for t in FAIR_EXPERIMENTS[wc.experiment].teachers],
        accepted=L.fair_accepted,
    output:
        pairs=L.fair_pairs,
        stats=L.fair_pairs_stats,
    wildcard_constraints:
        round=paths.ROUND,
        variant=f"fair|{paths.FAIR_VARIANT}",
    params:
        pairing=lambda wc: FAIR_EXPERIMENTS[wc.experiment].pairing,
        seed=lambda wc: FAIR_EXPERIMENTS[wc.experiment].pair_seed,
    log:
        L.log("fair/{experiment}/{student}/{dataset}/r{round}/pairs_{variant}.log"),
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/fair_pairs.py"


rule fair_train:
    """FAIR's paired loss, alpha * L_feedback + (1 - alpha) * L_rationale per batch, by our trainer (pipeline env)."""
    input:
        pairs=lambda wc: fair.round_inputs(SETTINGS, L, wc.recipe, wc.dataset)["pairs"],
        base=student_base,
        previous=lambda wc: fair.round_inputs(SETTINGS, L, wc.recipe, wc.dataset)["previous"],
    output:
        directory(L.checkpoint),
    wildcard_constraints:
        recipe=rf"committee\.fair-(?:{FAIR_PAIRED})-[A-Za-z0-9_-]+\.all",
    params:
        student=lambda wc: deps.train_params(student_cfg(wc)),
        base=lambda wc: fair.round_inputs(SETTINGS, L, wc.recipe, wc.dataset)["previous"] or [student_base_path(wc)],
        alpha=lambda wc: fair.round_inputs(SETTINGS, L, wc.recipe, wc.dataset)["alpha"],
    log:
        L.log("train/{student}/{dataset}/{recipe}.log"),
    threads: HEAVY_THREADS
    resources:
        heavy_jobs=1,
        **train_resources(),
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/fair_train.py"


rule fair_sft:
    """training: interleave — the pairs' rationale halves as `train`, their feedback halves as `feedback` (LLaMA-Factory)."""
    input:
        pairs=lambda wc: fair.round_inputs(SETTINGS, L, f"committee.{wc.source}.all", wc.dataset)["pairs"],
    output:
        data=L.path("sft", recipe="committee.{source}.all"),
        info=L.path("sft_info", recipe="committee.{source}.all"),
        stats=L.path("sft_stats", recipe="committee.{source}.all"),
    wildcard_constraints:
        source=rf"fair-(?:{FAIR_MIXED})-[A-Za-z0-9_-]+",
    log:
        L.log("sft/committee.{source}.all/{dataset}.log"),
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/fair_sft.py"
