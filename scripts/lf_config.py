"""Rule `lf_config`: write the LLaMA-Factory YAML of one run and, next to it, its DeepSpeed/FSDP config."""
import json
from pathlib import Path

import yaml

from cotdistill import distributed
from cotdistill.io import write_text
from cotdistill.logs import to_log
from cotdistill.train import lf_config

log = to_log(snakemake.log[0])
student = snakemake.config["students"][snakemake.wildcards.student]  # params.student: its output-relevant keys
dist = distributed.settings(student, snakemake.wildcards.student)
cfg = lf_config(
    student,
    snakemake.params.base,
    str(Path(snakemake.input.sft).parent),
    snakemake.params.work_dir,
    engine_path=snakemake.output.engine,
    name=snakemake.wildcards.student,
)
write_text(snakemake.output.engine, json.dumps(distributed.engine_config(dist), indent=2) + "\n")
write_text(snakemake.output.config, yaml.safe_dump(cfg, sort_keys=False))
log.info("wrote %s (distributed: %s)", snakemake.output.config, dist["strategy"])
