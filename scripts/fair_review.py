"""Rule `fair_review`: one teacher scores every other teacher's rationales of a FAIR round (reference prompt and parser)."""
import json

from cotdistill.io import read_jsonl, write_json, write_jsonl
from cotdistill.logs import to_log
from cotdistill.methods.fair_protocol import review_pass

log = to_log(snakemake.log[0])
rationales = [row for path in snakemake.input.rationales for row in read_jsonl(path)]
rows, summary = review_pass(snakemake.wildcards.teacher, snakemake.config["teachers"][snakemake.wildcards.teacher], read_jsonl(snakemake.input.problems),
                            rationales, hint=bool(snakemake.params.hint), cache_dir=snakemake.params.cache_dir)
write_jsonl(snakemake.output.rows, rows)
write_json(snakemake.output.summary, summary)
log.info("summary %s", json.dumps(summary))
