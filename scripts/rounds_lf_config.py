"""Rule `rounds_lf_config`: the LLaMA-Factory YAML of an UNDO/FAIR recipe."""
import json
from pathlib import Path

import yaml

from cotdistill.io import read_json, write_text
from cotdistill.logs import to_log
from cotdistill.methods.rounds import config_overrides
from cotdistill.train import lf_config

log = to_log(snakemake.log[0])
stats = read_json(snakemake.input.stats)
overrides = config_overrides(json.loads(snakemake.params.source), json.loads(snakemake.params.mixing), stats["feedback"], stats["kept"])
factor = overrides.pop("epochs_factor", 1)
cfg = lf_config(snakemake.config["students"][snakemake.wildcards.student], snakemake.params.base, str(Path(snakemake.input.sft).parent),
                snakemake.params.output_dir, init_from=next(iter(snakemake.input.previous), None))  # round r-1 (init: previous)
cfg["num_train_epochs"] *= factor
cfg.update(overrides)
write_text(snakemake.output[0], yaml.safe_dump(cfg, sort_keys=False))
log.info("wrote %s (%s)", snakemake.output[0], json.dumps(overrides))
