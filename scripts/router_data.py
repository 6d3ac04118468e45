"""Rule `router_data`: router training rows (question + one style's rationale) from the multi-style log."""
from cotdistill.io import read_jsonl, write_jsonl
from cotdistill.logs import to_log
from cotdistill.methods.router import training_rows

log = to_log(snakemake.log[0])
rows = training_rows(read_jsonl(snakemake.input.problems), read_jsonl(snakemake.input.enriched), snakemake.params.keep,
                     prompt=snakemake.params.prompt, gold=snakemake.params.gold)
write_jsonl(snakemake.output[0], rows)
log.info("%d rows, styles %s", len(rows), sorted({r["style"] for r in rows}))
