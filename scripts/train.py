"""Rule `train` (LLaMA-Factory env): CONFIG. Runs llamafactory-cli train; its log is this job's log."""
import sys

from cotdistill.train import run_training

run_training(sys.argv[1], log=sys.stdout)
