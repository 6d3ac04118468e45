"""Checkpoint `round_gate`: whether the next round runs (a new best held-out accuracy within `patience` rounds)."""
from cotdistill.io import read_json, write_json
from cotdistill.logs import to_log
from cotdistill.methods.rounds import gate_verdict

log = to_log(snakemake.log[0])
verdict = gate_verdict([read_json(path)["accuracy"] for path in snakemake.input.rounds], int(snakemake.params.patience))
write_json(snakemake.output[0], verdict)
log.info("%s", verdict)
