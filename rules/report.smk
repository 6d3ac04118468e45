# The study's outputs for readers: the results table, every figure (one rule, dispatched through the
# registry cotdistill.figures.FIGURES) and the provenance page; all marked for `snakemake --report`.
from cotdistill import figures


rule table:
    """results/tables/all.csv: one row per run × evaluation dataset × experiment, with n, k, the accuracy
    and its 95% Wilson interval, and for seed replicates the mean over seeds and its interval."""
    input:
        lambda wc: metrics_of(),
    output:
        report(L.path("table", name="all"), caption="../report/table.rst", category="Tables"),
    params:
        runs=lambda wc: runs_of(),
        results_dir=results_root,
        code=deps.code("table"),
    log:
        L.log("report/table.log"),
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/table.py"


rule figure:
    """results/figures/{name}.png: one figure of cotdistill.figures.FIGURES, from the runs and files it names."""
    input:
        unpack(lambda wc: figures.inputs(wc.name, runs_of(), R)),
    output:
        report(L.figure, caption="../report/figure.rst", category="Figures"),
    params:
        runs=lambda wc: figures.runs_for(wc.name, runs_of()),
        results_dir=results_root,
        caption=lambda wc: figures.FIGURES[wc.name].caption,
    wildcard_constraints:
        name="|".join(figures.FIGURES),
    log:
        L.log("report/figure_{name}.log"),
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/figure.py"


rule provenance:
    """results/report/provenance.html: git commit, config (secrets redacted), package versions of each
    environment, wall time per run and per job. Runs after the table and figures, whose jobs it records."""
    input:
        lambda wc: study_outputs(),
        # the runs' metrics, as the table's: its params ask the early-stop checkpoints, so must its input
        lambda wc: metrics_of(),
    output:
        report(L.path("provenance"), caption="../report/provenance.rst", category="Provenance"),
    params:
        runs=lambda wc: runs_of(),
        results_dir=results_root,
        lf_python=LF_PY,
        repo=workflow.basedir,
    log:
        L.log("report/provenance.log"),
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/provenance.py"
