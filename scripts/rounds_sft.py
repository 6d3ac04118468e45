"""Rule `rounds_sft`: a round's SFT set (and FAIR's feedback set) as a LLaMA-Factory dataset folder."""
import json

from cotdistill.io import read_jsonl, write_json
from cotdistill.logs import to_log
from cotdistill.methods.fair import feedback_examples
from cotdistill.methods.rounds import round_sft, write_feedback
from cotdistill.sft import write_sft_dir

log = to_log(snakemake.log[0])
base = [row for path in snakemake.input.base for row in read_jsonl(path)]
later = [read_jsonl(path) for path in snakemake.input.rounds]
rows, feedback, stats = round_sft(read_jsonl(snakemake.input.problems), base, later, mode=snakemake.params.mode,
                                  keep=snakemake.params.keep, feedback=feedback_examples if snakemake.params.feedback else None)
out_dir = snakemake.output.data.rsplit("/", 1)[0]
write_sft_dir(out_dir, rows)
write_feedback(out_dir, feedback)
write_json(snakemake.output.stats, stats)
log.info("%s: %s", snakemake.wildcards.recipe, json.dumps(stats))
