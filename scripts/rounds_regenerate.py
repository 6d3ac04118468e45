"""Rule `regenerate`: the teacher revisits each training problem round r-1's student got wrong."""
import json

from cotdistill.io import read_jsonl, write_json, write_jsonl
from cotdistill.logs import to_log
from cotdistill.methods.rounds import regenerate

log = to_log(snakemake.log[0])
wc = snakemake.wildcards
name = snakemake.params.name
rows, summary = regenerate(wc.teacher, snakemake.config["teachers"][wc.teacher], read_jsonl(snakemake.input.problems),
                           read_jsonl(snakemake.input.previous), name, hint=snakemake.params.hint, cache_dir=snakemake.params.cache_dir)
write_jsonl(snakemake.output.rows, rows)
write_json(snakemake.output.summary, summary)
log.info("summary %s", json.dumps(summary))
