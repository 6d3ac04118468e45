"""Rule `prompt_ids` (LLaMA-Factory env): CHECKPOINT PROBLEMS OUT --template T. The token ids of each
test prompt under the student's training template, for the vLLM backend (rule `generate_vllm`)."""
from cotdistill.jobenv import reexec_clean

reexec_clean()  # first: no API keys or other secrets in a job that runs model code (cotdistill.jobenv)

import argparse

from cotdistill.generate_vllm import encode
from cotdistill.io import read_jsonl, write_jsonl
from cotdistill.prompts import core_prompt

ap = argparse.ArgumentParser()
ap.add_argument("checkpoint")
ap.add_argument("problems")
ap.add_argument("out")
ap.add_argument("--template", required=True)
args = ap.parse_args()

problems = read_jsonl(args.problems)
prompts = [core_prompt(p) for p in problems]
ids, stop = encode(args.checkpoint, args.template, prompts)
write_jsonl(args.out, ({"id": p["id"], "prompt": q, "prompt_ids": i, "stop_token_ids": stop} for p, q, i in zip(problems, prompts, ids)))
print(f"{len(ids)} prompts encoded with template {args.template} into {args.out}")
