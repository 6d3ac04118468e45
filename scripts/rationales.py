"""Rule `rationales`: ask a teacher, grade the answers, write rows and the stage summary."""
import json

from cotdistill.io import read_jsonl, write_json, write_jsonl
from cotdistill.logs import to_log
from cotdistill.rationales import solve

log = to_log(snakemake.log[0])
wc = snakemake.wildcards
rows, summary = solve(wc.teacher, snakemake.config["teachers"][wc.teacher], read_jsonl(snakemake.input.problems), wc.prompting, snakemake.params.cache_dir)
write_jsonl(snakemake.output.rows, rows)
write_json(snakemake.output.summary, summary)
log.info("summary %s", json.dumps(summary))
