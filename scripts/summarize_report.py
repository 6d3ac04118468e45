"""Rules `summarize_metrics`, `summarization_table`, `figure_summarization`."""
import pandas as pd

from cotdistill.io import atomic_open, read_json, read_jsonl, write_json
from cotdistill.logs import to_log
from cotdistill.methods import summarize as S

log = to_log(snakemake.log[0])
if snakemake.rule == "summarize_metrics":
    m = S.metrics(read_jsonl(snakemake.input[0]))
    for variant in S.VARIANTS:
        write_json(snakemake.output[variant], m[variant])
    log.info("%s", m)
elif snakemake.rule == "summarization_table":
    rows = []
    for path in snakemake.input:
        exp, model, dataset = path.split("/summarize/", 1)[1].rsplit("/", 1)[0].split("/", 2)
        rows.append({"experiment": exp, "model": model, "dataset": dataset, **read_json(path)})
    df = pd.DataFrame(rows).sort_values(["experiment", "model", "dataset", "variant", "iteration"])
    parts = [S.cumulate_tokens(g.to_dict("records")) for _, g in df.groupby(["experiment", "model", "dataset", "variant"])]
    df = pd.DataFrame([r for part in parts for r in part])
    with atomic_open(snakemake.output[0]) as fh:
        df.to_csv(fh, index=False)
    log.info("\n%s", df.to_string(index=False))
else:
    S.plot(pd.read_csv(snakemake.input[0]), snakemake.output[0])
    log.info("wrote %s", snakemake.output[0])
