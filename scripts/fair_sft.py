"""Rule `fair_sft` (training: interleave): the pairs' rationale halves as `train` and feedback halves as `feedback`."""
import json

from cotdistill.io import read_json, write_json
from cotdistill.logs import to_log
from cotdistill.methods.fair_protocol import pair_alpaca
from cotdistill.methods.rounds import write_feedback
from cotdistill.sft import write_sft_dir

log = to_log(snakemake.log[0])
pairs = [row for path in snakemake.input.pairs for row in read_json(path)]
rationale, feedback = pair_alpaca(pairs)
out_dir = snakemake.output.data.rsplit("/", 1)[0]
write_sft_dir(out_dir, rationale)
write_feedback(out_dir, feedback)
stats = {"pairs": len(pairs), "kept": len(rationale), "feedback": len(feedback)}
write_json(snakemake.output.stats, stats)
log.info("%s", json.dumps(stats))
