"""Rule `generate` (LLaMA-Factory env): CHECKPOINT PROBLEMS OUT [--template T] ..."""
from cotdistill.jobenv import reexec_clean

reexec_clean()  # first: no API keys or other secrets in a job that runs model code (cotdistill.jobenv)

import argparse
import json
import os

import torch

from cotdistill import decoding
from cotdistill.generate import checkpoint_answers
from cotdistill.io import read_jsonl, write_jsonl
from cotdistill.methods.router import is_view
from cotdistill.methods.router.ensemble import generate_view
from cotdistill.prompts import core_prompt

ap = argparse.ArgumentParser()
ap.add_argument("checkpoint")
ap.add_argument("problems")
ap.add_argument("out")
ap.add_argument("--template", required=True)
ap.add_argument("--max-new-tokens", type=int, default=256)
ap.add_argument("--batch-size", type=int, default=32)
ap.add_argument("--decoding", default="{}", help="students.<name>.generation.decoding as JSON (cotdistill.decoding)")
args = ap.parse_args()

torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
problems = read_jsonl(args.problems)
prompts = [core_prompt(p) for p in problems]
if is_view(args.checkpoint):  # a router mixture or one of its students
    responses = generate_view(args.checkpoint, args.template, prompts, max_new_tokens=args.max_new_tokens,
                              batch_size=args.batch_size)
else:
    responses = checkpoint_answers(args.checkpoint, args.template, prompts, max_new_tokens=args.max_new_tokens, batch_size=args.batch_size,
                                   decoding=json.loads(args.decoding))
label = decoding.label(json.loads(args.decoding))
write_jsonl(args.out, ({"id": p["id"], "prompt": q, "response": r, "decoding": label} for p, q, r in zip(problems, prompts, responses)))
print(f"{len(responses)} generations written to {args.out}")
