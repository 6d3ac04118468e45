"""Rule `score`: extract and check answers, write per-problem rows and metrics."""
import json

from cotdistill.scoring import score
from cotdistill.io import read_jsonl, write_json, write_jsonl
from cotdistill.logs import to_log

log = to_log(snakemake.log[0])
rows, metrics = score(snakemake.params.run, read_jsonl(snakemake.input.problems), read_jsonl(snakemake.input.generations))
write_jsonl(snakemake.output.rows, rows)
write_json(snakemake.output.metrics, metrics)
log.info("%s", json.dumps(metrics))
