"""Rules `router_data`, `router_train`, `router_view`, `router_posrate`, `figure_router`."""
import json
import os

import pandas as pd

from cotdistill.io import atomic_open, read_jsonl, write_json, write_jsonl
from cotdistill.logs import to_log
from cotdistill.methods import router, router_runs

log = to_log(snakemake.log[0])
rule, wc = snakemake.rule, snakemake.wildcards
if rule == "router_data":
    rows = router_runs.training_rows(read_jsonl(snakemake.input.problems), read_jsonl(snakemake.input.enriched),
                                     snakemake.params.keep)
    write_jsonl(snakemake.output[0], rows)
    log.info("%d rows, styles %s", len(rows), sorted({r["style"] for r in rows}))
elif rule == "router_train":
    import torch

    torch.set_num_threads(snakemake.threads)
    cfg = {**json.loads(snakemake.params.router), "mode": wc.mode}
    summary = router.train_router(snakemake.params.student_a, snakemake.params.student_b, snakemake.input.rows,
                                  snakemake.output[0], cfg)
    log.info("%s", json.dumps({k: v for k, v in summary.items() if k != "config"}))
elif rule == "router_view":
    view = {"run": os.path.relpath(snakemake.input[0]), "members": router_runs.members(wc.mode, wc.member)}
    write_json(os.path.join(snakemake.output[0], router_runs.VIEW_FILE), view)
    log.info("%s", view)
elif rule == "router_posrate":
    parts = []
    for path in snakemake.input:
        exp, teacher, dataset = path.split("/router/", 1)[1].split("/")[:3]
        parts.append(router.positive_rates(path).assign(experiment=exp, teacher=teacher, dataset=dataset))
    df = pd.concat(parts)[["experiment", "teacher", "dataset", "epoch", "style", "n", "pos_rate", "mean_prob_a"]]
    with atomic_open(snakemake.output[0]) as fh:
        df.to_csv(fh, index=False)
    log.info("\n%s", df.to_string(index=False))
else:
    df = pd.read_csv(snakemake.input[0])
    if df[["experiment", "teacher", "dataset"]].drop_duplicates().shape[0] > 1:
        df["style"] = df["experiment"] + "/" + df["dataset"] + ": " + df["style"]
    router.plot_router(df, snakemake.output[0])
    log.info("wrote %s", snakemake.output[0])
