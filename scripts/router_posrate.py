"""Rule `router_posrate`: the positive routing rate per style and epoch of every router run (keys as params)."""
import pandas as pd

from cotdistill.io import atomic_open
from cotdistill.logs import to_log
from cotdistill.methods.router.logs import positive_rates

log = to_log(snakemake.log[0])
parts = [positive_rates(path).assign(**key) for path, key in zip(snakemake.input, snakemake.params.meta)]
df = pd.concat(parts)[["experiment", "teacher", "dataset", "epoch", "style", "n", "pos_rate", "mean_prob_a"]]
with atomic_open(snakemake.output[0]) as fh:
    df.to_csv(fh, index=False)
log.info("\n%s", df.to_string(index=False))
