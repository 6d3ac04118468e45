"""Rule `fair_pairs`: the (feedback, rationale) pairs one FAIR training variant learns from."""
import json

from cotdistill.io import read_jsonl, write_json
from cotdistill.logs import to_log
from cotdistill.methods.fair_protocol import mistakes_of, pair_rows, variant_pairs

log = to_log(snakemake.log[0])
problems = read_jsonl(snakemake.input.problems)
mistakes = mistakes_of(read_jsonl(snakemake.input.mistakes))
feedback = [r for path in snakemake.input.feedback for r in read_jsonl(path)]
rationales = [r for path in snakemake.input.rationales for r in read_jsonl(path)]
pairs = variant_pairs(snakemake.wildcards.variant, mistakes, feedback, rationales, read_jsonl(snakemake.input.accepted),
                      pairing=snakemake.params.pairing, seed=snakemake.params.seed)
rows = pair_rows(problems, pairs)
write_json(snakemake.output.pairs, rows)
stats = {"variant": snakemake.wildcards.variant, "mistakes": len(mistakes), "pairs": len(rows),
         "mistakes_paired": len({p["id"] for p in pairs}), "pairing": snakemake.params.pairing}
write_json(snakemake.output.stats, stats)
log.info("%s", json.dumps(stats))
