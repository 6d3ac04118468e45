"""Rule `fair_teacher`: one committee member's feedback on, and bare-question rationale for, each mistake of a round."""
import json

from cotdistill.io import read_jsonl, write_json, write_jsonl
from cotdistill.logs import to_log
from cotdistill.methods.fair_protocol import teacher_pass

log = to_log(snakemake.log[0])
feedback, rationales, summary = teacher_pass(snakemake.wildcards.teacher, snakemake.config["teachers"][snakemake.wildcards.teacher],
                                             read_jsonl(snakemake.input.problems), read_jsonl(snakemake.input.mistakes),
                                             snakemake.params.name, snakemake.params.cache_dir)
write_jsonl(snakemake.output.feedback, feedback)
write_jsonl(snakemake.output.rationales, rationales)
write_json(snakemake.output.summary, summary)
log.info("summary %s", json.dumps(summary))
