"""Rule `summarize_metrics`: an iteration's accuracy with the oracle stop and without it, tokens spent."""
from cotdistill.io import read_jsonl, write_json
from cotdistill.logs import to_log
from cotdistill.methods import summarize as S

log = to_log(snakemake.log[0])
m = S.metrics(read_jsonl(snakemake.input[0]))
for variant in S.VARIANTS:
    write_json(snakemake.output[variant], m[variant])
log.info("%s", m)
