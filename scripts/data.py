"""Rule `data`: load one split of a dataset and write it as problems."""
import json

from cotdistill.data import load_split
from cotdistill.io import write_jsonl
from cotdistill.logs import to_log

log = to_log(snakemake.log[0])
problems = load_split(snakemake.wildcards.dataset, json.loads(snakemake.params.dataset), snakemake.wildcards.split)
n = write_jsonl(snakemake.output[0], problems)
log.info("%s/%s: %d problems", snakemake.wildcards.dataset, snakemake.wildcards.split, n)
