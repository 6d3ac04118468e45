"""Rule `fair_review`: one teacher scores every other teacher's rationales of a FAIR round."""
import json

from cotdistill.io import read_jsonl, write_json, write_jsonl
from cotdistill.logs import to_log
from cotdistill.methods.fair import review

log = to_log(snakemake.log[0])
rationales = [row for path in snakemake.input.rationales for row in read_jsonl(path)]
rows, summary = review(snakemake.wildcards.teacher, json.loads(snakemake.params.teacher), rationales,
                       read_jsonl(snakemake.input.problems), snakemake.params.cache_dir)
write_jsonl(snakemake.output.rows, rows)
write_json(snakemake.output.summary, summary)
log.info("summary %s", json.dumps(summary))
