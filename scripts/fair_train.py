"""Rule `fair_train` (pipeline env): FAIR's paired loss, alpha * L_feedback + (1 - alpha) * L_rationale per batch."""
from cotdistill.jobenv import reexec_clean

reexec_clean()  # first: no API keys or other secrets in a job that runs model code (cotdistill.jobenv)

import json

from cotdistill.io import read_json
from cotdistill.logs import to_log
from cotdistill.methods.fair_train import paired_config, train_paired

log = to_log(snakemake.log[0])
rows = [row for path in snakemake.input.pairs for row in read_json(path)]  # round r (rounds 1..r with sft: add)
base = snakemake.params.base[0]  # the previous round's checkpoint (init: previous) or the base model
cfg = paired_config(snakemake.config["students"][snakemake.wildcards.student], snakemake.params.alpha)
summary = train_paired(base, rows, snakemake.output[0], cfg)
log.info("%s", json.dumps(summary))
