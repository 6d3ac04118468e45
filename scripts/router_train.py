"""Rule `router_train`: both students, the router and the ensemble weights, trained in one mode."""
from cotdistill.jobenv import reexec_clean

reexec_clean()  # first: no API keys or other secrets in a job that runs model code (cotdistill.jobenv)

import json

import torch

from cotdistill.logs import to_log
from cotdistill.methods.router.trainer import train_router

log = to_log(snakemake.log[0])
torch.set_num_threads(snakemake.threads)
summary = train_router(snakemake.params.student_a, snakemake.params.student_b, snakemake.input.rows,
                       snakemake.output[0], json.loads(snakemake.params.router))
log.info("%s", json.dumps({k: v for k, v in summary.items() if k != "config"}))
