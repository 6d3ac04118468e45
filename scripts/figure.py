"""Rule `figure`: draw one figure of cotdistill.figures.FIGURES from the runs it needs."""
from cotdistill import figures
from cotdistill.logs import to_log

log = to_log(snakemake.log[0])
named = {key: list(snakemake.input[key]) for key in snakemake.input.keys()}
figures.draw(snakemake.wildcards.name, snakemake.params.runs, named, snakemake.params.results_dir, snakemake.output[0])
log.info("wrote %s from %d runs", snakemake.output[0], len(snakemake.params.runs))
