"""Rule `fair_untrained`: FAIR's round 0 — the untrained student as a checkpoint folder that names its base model."""
from pathlib import Path

from cotdistill.generate import BASE_VIEW
from cotdistill.io import write_json
from cotdistill.logs import to_log

log = to_log(snakemake.log[0])
out = Path(snakemake.output[0])
out.mkdir(parents=True, exist_ok=True)
base = snakemake.params.base
write_json(out / BASE_VIEW, {"model": str(Path(base).resolve()) if Path(base).exists() else base})
log.info("untrained student: %s", base)
