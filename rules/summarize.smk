# Iterated summarization: one file per iteration, so a new summarization prompt or summarizer reruns
# iterations >= 1 and reuses iteration 0.
from cotdistill.methods import summarize as SUM


def sum_settings(wc):
    return SUM.settings(config["experiments"][wc.experiment])


def sum_problems(wc):
    return f"{R}/data/{wc.dataset}/{sum_settings(wc)['split']}.jsonl"


def sum_template(kind):
    return lambda wc: str(SUM.template_path(kind, sum_settings(wc)[kind]))


def sum_solver(wc):
    """The solver's config (a teacher block, or a student checkpoint run as an hf teacher)."""
    return canonical(SUM.solver(config, wc.model, wc.dataset, R))


def sum_summarizer(wc):
    who = sum_settings(wc)["summarizer"]
    return canonical(SUM.solver(config, wc.model if who == "self" else who, wc.dataset, R))


def sum_checkpoint(wc):
    return [SUM.checkpoint(R, wc.model, wc.dataset)] if "@" in wc.model else []


SUM_DIR = f"{R}/summarize/{{experiment}}/{{model}}/{{dataset}}"


rule summarize_first:
    """Iteration 0: the model's first attempt at every problem (reasoning prompt + model only)."""
    input:
        problems=sum_problems,
        reasoning=sum_template("reasoning"),
        checkpoint=sum_checkpoint,
    output:
        f"{SUM_DIR}/iter0.jsonl",
    params:
        solver=sum_solver,
        cache_dir=f"{R}/.cache/llm",
    log:
        f"{R}/logs/summarize/{{experiment}}/{{model}}/{{dataset}}/iter0.log",
    wildcard_constraints:
        model=r"[A-Za-z][A-Za-z0-9_]*(@[A-Za-z0-9_.-]+)?",
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/summarize.py"


rule summarize_next:
    """Iteration i: summarize attempt i-1, then attempt again with every summary so far."""
    input:
        previous=lambda wc: f"{R}/summarize/{wc.experiment}/{wc.model}/{wc.dataset}/iter{int(wc.i) - 1}.jsonl",
        problems=sum_problems,
        reasoning=sum_template("reasoning"),
        summarize=sum_template("summarize"),
        checkpoint=sum_checkpoint,
    output:
        f"{SUM_DIR}/iter{{i}}.jsonl",
    params:
        solver=sum_solver,
        summarizer=sum_summarizer,
        continue_after_correct=lambda wc: sum_settings(wc)["continue_after_correct"],
        cache_dir=f"{R}/.cache/llm",
    log:
        f"{R}/logs/summarize/{{experiment}}/{{model}}/{{dataset}}/iter{{i}}.log",
    wildcard_constraints:
        model=r"[A-Za-z][A-Za-z0-9_]*(@[A-Za-z0-9_.-]+)?",
        i=r"[1-9][0-9]*",
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/summarize.py"


rule summarize_metrics:
    """Accuracy of an iteration with the oracle stop and without it, tokens spent."""
    input:
        f"{SUM_DIR}/iter{{i}}.jsonl",
    output:
        oracle=f"{SUM_DIR}/iter{{i}}.oracle.metrics.json",
        no_oracle=f"{SUM_DIR}/iter{{i}}.no_oracle.metrics.json",
    log:
        f"{R}/logs/summarize/{{experiment}}/{{model}}/{{dataset}}/iter{{i}}.metrics.log",
    wildcard_constraints:
        model=r"[A-Za-z][A-Za-z0-9_]*(@[A-Za-z0-9_.-]+)?",
        i=r"[0-9]+",
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/summarize_report.py"


rule summarize_final:
    """`sft: {from: summary}`: a summary of each problem's final attempt, the compact rationale students train on."""
    input:
        last=lambda wc: SUM.iteration_file(R, wc.experiment, wc.model, wc.dataset, sum_settings(wc)["max_iterations"] - 1),
        problems=sum_problems,
        summarize=sum_template("summarize"),
    output:
        f"{SUM_DIR}/final_summary.jsonl",
    params:
        summarizer=sum_summarizer,
        cache_dir=f"{R}/.cache/llm",
    log:
        f"{R}/logs/summarize/{{experiment}}/{{model}}/{{dataset}}/final_summary.log",
    wildcard_constraints:
        model=NAME,
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/summarize.py"


def sum_metrics():
    return sorted({f"{R}/{run.metrics}" for run in RUNS if run.method == "summarize" and run.metrics})


rule summarization_table:
    """results/tables/summarization.csv: per iteration, both accuracies and the tokens spent."""
    input:
        sum_metrics(),
    output:
        f"{R}/tables/summarization.csv",
    log:
        f"{R}/logs/report/summarization_table.log",
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/summarize_report.py"


rule figure_summarization:
    input:
        f"{R}/tables/summarization.csv",
    output:
        f"{R}/figures/summarization.png",
    log:
        f"{R}/logs/report/figure_summarization.log",
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/summarize_report.py"
