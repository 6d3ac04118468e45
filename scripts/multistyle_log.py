"""Rule `multistyle_log`: join per-style rationales into the enriched log and the correct-only set."""
from cotdistill.io import read_jsonl, write_jsonl
from cotdistill.logs import to_log
from cotdistill.methods.multistyle import correct_only, enrich, style_accuracy

log = to_log(snakemake.log[0])
styles = snakemake.params.styles
rationales = {s: read_jsonl(path) for s, path in zip(styles, snakemake.input.rationales)}
rows = enrich(read_jsonl(snakemake.input.problems), styles, rationales)
write_jsonl(snakemake.output.enriched, rows)
n = write_jsonl(snakemake.output.correct, correct_only(rows))
log.info("%d problems, %d with a correct style; teacher accuracy per style: %s", len(rows), n, style_accuracy(rows))
