"""Rule `lf_config`: write the LLaMA-Factory YAML of one run."""
import json
from pathlib import Path

import yaml

from cotdistill.io import write_text
from cotdistill.logs import to_log
from cotdistill.train import lf_config

log = to_log(snakemake.log[0])
cfg = lf_config(
    json.loads(snakemake.params.student),
    snakemake.params.base,
    str(Path(snakemake.input.sft).parent),
    snakemake.params.output_dir,
)
write_text(snakemake.output[0], yaml.safe_dump(cfg, sort_keys=False))
log.info("wrote %s", snakemake.output[0])
