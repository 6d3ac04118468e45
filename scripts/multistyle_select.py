"""Rule `multistyle_select`: rank the styles for best-of-styles on the split `select_on` names."""
import json

from cotdistill.io import read_jsonl, write_json
from cotdistill.logs import to_log
from cotdistill.methods.multistyle import enrich, select_styles, style_accuracy

log = to_log(snakemake.log[0])
styles, select_on = snakemake.params.styles, snakemake.params.select_on
train_rows = read_jsonl(snakemake.input.enriched)
if select_on == "train":
    rows = train_rows
else:
    rationales = {s: read_jsonl(path) for s, path in zip(styles, snakemake.input.rationales)}
    rows = enrich(read_jsonl(snakemake.input.problems[0]), styles, rationales)
if not rows:
    raise SystemExit(f"multistyle_select: no {select_on} problem has a rationale in every style")
record = {**select_styles(rows, select_on), "train_accuracy": style_accuracy(train_rows)}
write_json(snakemake.output[0], record)
log.info("%s", json.dumps(record))
