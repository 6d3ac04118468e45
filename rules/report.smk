def runs_of(*methods):
    """Run descriptions (plain dicts, so a change reruns the report) of the given methods, or all."""
    runs = [
        {**vars(run), "eval_sets": list(run.eval_sets)}
        for run in RUNS
        if not methods or run.method in methods
    ]
    return [run for run in runs if run_active(run)]  # rules/rounds.smk: rounds after an early stop drop out


def metrics_of(*methods):
    from cotdistill.report import metrics_path, run_rows

    return sorted({metrics_path(R, row) for row in run_rows(runs_of(*methods))})


rule table:
    """results/tables/all.csv: one row per run × evaluation dataset × experiment."""
    input:
        lambda wc: metrics_of(),
    output:
        f"{R}/tables/all.csv",
    params:
        runs=lambda wc: runs_of(),
        results_dir=R,
    log:
        f"{R}/logs/report/table.log",
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/table.py"


rule figure_accuracy:
    input:
        lambda wc: metrics_of(),
    output:
        f"{R}/figures/accuracy.png",
    params:
        runs=lambda wc: runs_of(),
        results_dir=R,
        plot="accuracy",
    log:
        f"{R}/logs/report/figure_accuracy.log",
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/figure.py"


rule figure_granularity:
    input:
        metrics_of("factors"),
    output:
        f"{R}/figures/granularity.png",
    params:
        runs=runs_of("factors"),
        results_dir=R,
        plot="granularity",
    log:
        f"{R}/logs/report/figure_granularity.log",
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/figure.py"


rule figure_format:
    input:
        metrics_of("factors"),
    output:
        f"{R}/figures/format.png",
    params:
        runs=runs_of("factors"),
        results_dir=R,
        plot="format",
    log:
        f"{R}/logs/report/figure_format.log",
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/figure.py"


rule figure_teacher:
    input:
        metrics_of("factors"),
    output:
        f"{R}/figures/teacher.png",
    params:
        runs=runs_of("factors"),
        results_dir=R,
        plot="teacher",
    log:
        f"{R}/logs/report/figure_teacher.log",
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/figure.py"


def multistyle_logs():
    return sorted(
        {
            f"{R}/multistyle/{run.experiment}/{run.labels['teacher']}/{run.train_set}.enriched.jsonl"
            for run in RUNS
            if run.method == "multistyle"
        }
    )


rule figure_styles:
    input:
        metrics=metrics_of("multistyle"),
        logs=multistyle_logs(),
    output:
        f"{R}/figures/styles.png",
    params:
        runs=runs_of("multistyle"),
        results_dir=R,
        plot="styles",
    log:
        f"{R}/logs/report/figure_styles.log",
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/figure.py"
