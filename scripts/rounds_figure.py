"""Rules `figure_undo_rounds`, `figure_fair`: draw one figure from the rounds' metrics."""
from cotdistill.io import read_json
from cotdistill.logs import to_log
from cotdistill.methods import rounds_report
from cotdistill.report import build_table

log = to_log(snakemake.log[0])
df = build_table(snakemake.params.runs, snakemake.params.results_dir)
if snakemake.params.plot == "fair":
    rounds_report.plot_fair(df, {path: read_json(path) for path in snakemake.input.acceptance}, snakemake.output[0])
else:
    rounds_report.plot_undo_rounds(df, snakemake.output[0])
log.info("wrote %s from %d rows", snakemake.output[0], len(df))
