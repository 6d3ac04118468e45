"""Rule `fair_select`: keep rationales whose mean valid peer score is above the threshold; log the counts."""
import json

from cotdistill.io import read_jsonl, write_json, write_jsonl
from cotdistill.logs import to_log
from cotdistill.methods.fair_protocol import select

log = to_log(snakemake.log[0])
rationales = [row for path in snakemake.input.rationales for row in read_jsonl(path)]
reviews = [row for path in snakemake.input.reviews for row in read_jsonl(path)]
accepted, report = select(rationales, reviews, float(snakemake.params.threshold))
write_jsonl(snakemake.output.accepted, accepted)
write_json(snakemake.output.report, report)
log.info("acceptance %s", json.dumps(report))
