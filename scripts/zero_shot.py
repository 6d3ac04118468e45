"""Rule `zero_shot`: the untrained base model as a run's checkpoint folder (symlinks to its files)."""
from cotdistill.logs import to_log
from cotdistill.model_import import link_base

log = to_log(snakemake.log[0])
names = link_base(snakemake.params.base, snakemake.output[0])
log.info("zero-shot checkpoint %s -> %s (%d files)", snakemake.output[0], snakemake.params.base, len(names))
