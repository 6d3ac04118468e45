"""Checkpoint `round_gate`: whether the next round runs (held-out accuracy improved over the previous round)."""
from cotdistill.io import read_json, write_json
from cotdistill.logs import to_log

log = to_log(snakemake.log[0])
current, previous = read_json(snakemake.input.current)["accuracy"], read_json(snakemake.input.previous)["accuracy"]
verdict = {"round": snakemake.params.round, "accuracy": current, "previous_accuracy": previous, "continue": current > previous}
write_json(snakemake.output[0], verdict)
log.info("%s", verdict)
