"""Rule `train` (LLaMA-Factory env): CONFIG OUT_DIR WORK_DIR DISTRIBUTED_JSON. Trains in WORK_DIR
(resuming from its last checkpoint after preemption), then publishes the model into OUT_DIR."""
from cotdistill.jobenv import reexec_clean

reexec_clean()  # first: no API keys or other secrets in a job that runs model code (cotdistill.jobenv)

import json
import sys

from cotdistill.train import run_training

config, out_dir, work_dir, dist = sys.argv[1:5]
run_training(config, out_dir, work_dir, json.loads(dist), log=sys.stdout)
