"""Rule `data`: load one split of a dataset, de-duplicate it (within itself and against the splits that
take precedence: test > train > dev) and write it as problems, with the counts in a summary."""
import json

from cotdistill.data import load_split
from cotdistill.data.dedup import dedup, earlier_splits
from cotdistill.io import write_json, write_jsonl
from cotdistill.logs import to_log

log = to_log(snakemake.log[0])
name, split = snakemake.wildcards.dataset, snakemake.wildcards.split
cfg = json.loads(snakemake.params.dataset)
problems = load_split(name, cfg, split)
earlier = {}
for other in earlier_splits(split):
    try:
        earlier[other] = load_split(name, cfg, other)
    except (ValueError, FileNotFoundError) as exc:  # a source without that split: nothing to overlap with
        log.info("%s/%s: no %s split to compare with (%s)", name, split, other, exc)
        earlier[other] = None
kept, summary = dedup(problems, earlier, disjoint=cfg.get("disjoint", "question"))
n = write_jsonl(snakemake.output.problems, kept)
write_json(snakemake.output.summary, {"dataset": name, "split": split, **summary})
log.info("%s/%s: %d problems (%d loaded, %d duplicates within, removed as in earlier splits: %s)",
         name, split, n, summary["loaded"], summary["within_split_duplicates"], summary["removed_as_in"])
