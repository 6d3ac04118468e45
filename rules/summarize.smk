# Iterated summarization (src/cotdistill/methods/summarize.py): one file per iteration, so a new
# summarization prompt or summarizer reruns iterations >= 1 and reuses iteration 0.
from cotdistill.methods import summarize

SUM_METRICS = summarize.metrics_files(RUNS, L)


rule summarize_first:
    """Iteration 0: the model's first attempt at every problem (reasoning prompt + model only)."""
    input:
        problems=lambda wc: L.path("data", dataset=wc.dataset, split=SETTINGS[wc.experiment].split),
        reasoning=lambda wc: str(summarize.template_path("reasoning", SETTINGS[wc.experiment].reasoning)),
        checkpoint=lambda wc: summarize.checkpoint_inputs(L, wc.model, wc.dataset),
    output:
        L.path("loop_iteration", i=0),
    params:
        solver=lambda wc: summarize.solver_key(config, wc.model, wc.dataset, L),
        reasoning=lambda wc: SETTINGS[wc.experiment].reasoning,
        options=lambda wc: canonical(summarize.attempt_options(SETTINGS[wc.experiment])),
        cache_dir=L.cache,
    log:
        L.log("summarize/{experiment}/{model}/{dataset}/iter0.log"),
    wildcard_constraints:
        model=paths.LOOP_MODEL,
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/summarize_iteration.py"


rule summarize_next:
    """Iteration i: summarize attempt i-1, then attempt again with every summary so far."""
    input:
        previous=lambda wc: L.path("loop_iteration", experiment=wc.experiment, model=wc.model, dataset=wc.dataset, i=int(wc.i) - 1),
        problems=lambda wc: L.path("data", dataset=wc.dataset, split=SETTINGS[wc.experiment].split),
        reasoning=lambda wc: str(summarize.template_path("reasoning", SETTINGS[wc.experiment].reasoning)),
        summarize=lambda wc: str(summarize.template_path("summarize", SETTINGS[wc.experiment].summarize)),
        checkpoint=lambda wc: summarize.checkpoint_inputs(L, wc.model, wc.dataset),
    output:
        L.loop_iteration,
    params:
        solver=lambda wc: summarize.solver_key(config, wc.model, wc.dataset, L),
        summarizer=lambda wc: summarize.summarizer_key(config, SETTINGS[wc.experiment], wc.model, wc.dataset, L),
        reasoning=lambda wc: SETTINGS[wc.experiment].reasoning,
        summarize=lambda wc: SETTINGS[wc.experiment].summarize,
        continue_after_correct=lambda wc: SETTINGS[wc.experiment].continue_after_correct,
        options=lambda wc: canonical(summarize.loop_options(SETTINGS[wc.experiment])),
        cache_dir=L.cache,
    log:
        L.log("summarize/{experiment}/{model}/{dataset}/iter{i}.log"),
    wildcard_constraints:
        model=paths.LOOP_MODEL,
        i=paths.ROUND,
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/summarize_iteration.py"


rule summarize_metrics:
    """Accuracy of an iteration with the oracle stop and without it, tokens spent."""
    input:
        L.loop_iteration,
    output:
        oracle=L.path("loop_metrics", variant="oracle"),
        no_oracle=L.path("loop_metrics", variant="no_oracle"),
    log:
        L.log("summarize/{experiment}/{model}/{dataset}/iter{i}.metrics.log"),
    wildcard_constraints:
        model=paths.LOOP_MODEL,
        i=r"[0-9]+",
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/summarize_metrics.py"


rule summarize_final:
    """`sft: {from: summary}`: a summary of each problem's final attempt, the compact rationale students train on."""
    input:
        last=lambda wc: L.path("loop_iteration", experiment=wc.experiment, model=wc.model, dataset=wc.dataset,
                                         i=SETTINGS[wc.experiment].max_iterations),
        problems=lambda wc: L.path("data", dataset=wc.dataset, split=SETTINGS[wc.experiment].split),
        summarize=lambda wc: str(summarize.template_path("summarize", SETTINGS[wc.experiment].summarize)),
    output:
        L.loop_final_summary,
    params:
        summarizer=lambda wc: summarize.summarizer_key(config, SETTINGS[wc.experiment], wc.model, wc.dataset, L),
        summarize=lambda wc: SETTINGS[wc.experiment].summarize,
        options=lambda wc: canonical(summarize.loop_options(SETTINGS[wc.experiment])),
        cache_dir=L.cache,
    log:
        L.log("summarize/{experiment}/{model}/{dataset}/final_summary.log"),
    wildcard_constraints:
        model=NAME,
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/summarize_final.py"


rule summarization_table:
    """results/tables/summarization.csv: per iteration, both accuracies and the tokens spent."""
    input:
        [path for path, _ in SUM_METRICS],
    output:
        L.path("table", name="summarization"),
    params:
        meta=[key for _, key in SUM_METRICS],
    log:
        L.log("report/summarization_table.log"),
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/summarize_table.py"
