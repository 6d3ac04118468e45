"""Rule `summarization_table`: per iteration, both accuracies and the tokens spent (keys come as params)."""
import pandas as pd

from cotdistill.io import atomic_open, read_json
from cotdistill.logs import to_log
from cotdistill.methods import summarize as S

log = to_log(snakemake.log[0])
rows = [{**key, **read_json(path)} for path, key in zip(snakemake.input, snakemake.params.meta)]
df = pd.DataFrame(rows).sort_values(["experiment", "model", "dataset", "variant", "iteration"])
parts = [S.cumulate_tokens(g.to_dict("records")) for _, g in df.groupby(["experiment", "model", "dataset", "variant"])]
df = pd.DataFrame([r for part in parts for r in part])
with atomic_open(snakemake.output[0]) as fh:
    df.to_csv(fh, index=False)
log.info("\n%s", df.to_string(index=False))
