"""Rule `table`: gather every run's metrics into results/tables/all.csv."""
from cotdistill.io import atomic_open
from cotdistill.logs import to_log
from cotdistill.report import build_table

log = to_log(snakemake.log[0])
df = build_table(snakemake.params.runs, snakemake.params.results_dir)
with atomic_open(snakemake.output[0]) as fh:
    df.to_csv(fh, index=False)
log.info("\n%s", df.drop(columns=["method", "train_set"]).to_string(index=False))
