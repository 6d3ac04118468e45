"""Rule `router_view`: a checkpoint folder naming a trained router mode and the member(s) to evaluate."""
import os

from cotdistill.io import write_json
from cotdistill.logs import to_log
from cotdistill.methods.router import VIEW_FILE

log = to_log(snakemake.log[0])
view = {"run": os.path.relpath(snakemake.input[0]), "members": list(snakemake.params.members),
        "templates": {m: t for m, t in dict(snakemake.params.templates).items() if m in snakemake.params.members}}
write_json(os.path.join(snakemake.output[0], VIEW_FILE), view)
log.info("%s", view)
