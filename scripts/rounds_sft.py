"""Rule `rounds_sft`: an UNDO round's SFT set as a LLaMA-Factory dataset folder."""
import json

from cotdistill.io import read_jsonl, write_json
from cotdistill.logs import to_log
from cotdistill.methods.rounds import round_sft
from cotdistill.sft import write_sft_dir

log = to_log(snakemake.log[0])
base = [row for path in snakemake.input.base for row in read_jsonl(path)]
later = [read_jsonl(path) for path in snakemake.input.rounds]
problems = [p for path in snakemake.input.problems for p in read_jsonl(path)]  # train (+ dev: diagnose_on dev)
rows, stats = round_sft(problems, base, later, mode=snakemake.params.mode, keep=snakemake.params.keep)
write_sft_dir(snakemake.output.data.rsplit("/", 1)[0], rows)
write_json(snakemake.output.stats, stats)
log.info("%s: %s", snakemake.wildcards.recipe, json.dumps(stats))
