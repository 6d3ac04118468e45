"""Rule `gold_rationales`: the key-factors baselines as rationale rows (human solutions or gold answers)."""
import json

from cotdistill.gold_rationales import human_rows
from cotdistill.io import read_jsonl, write_json, write_jsonl
from cotdistill.logs import to_log

log = to_log(snakemake.log[0])
gold = snakemake.wildcards.gold
rows, stats = human_rows(read_jsonl(snakemake.input.problems), gold.split("_")[0], "boxed" if gold.endswith("_boxed") else "answer_is")
if not rows:
    raise SystemExit(f"{snakemake.input.problems}: no problem has a reference solution (the {gold!r} baseline needs one)")
write_jsonl(snakemake.output.rows, rows)
write_json(snakemake.output.summary, stats)
log.info("%s", json.dumps(stats))
