"""Rule `generate` (LLaMA-Factory env): CHECKPOINT PROBLEMS OUT [--template T] ..."""
from cotdistill.jobenv import reexec_clean

reexec_clean()  # first: no API keys or other secrets in a job that runs model code (cotdistill.jobenv)

import json
import os

import torch

from cotdistill import decoding
from cotdistill.generate import TRUST_REMOTE_CODE, checkpoint_answers, job_arguments
from cotdistill.io import write_jsonl
from cotdistill.methods.router import is_view
from cotdistill.methods.router.ensemble import generate_view

args, problems, prompts = job_arguments(
    __doc__,
    ("--max-new-tokens", {"type": int, "default": 256}),
    ("--batch-size", {"type": int, "default": 32}),
    ("--decoding", {"default": "{}", "help": "students.<name>.generation.decoding as JSON (cotdistill.decoding)"}),
    ("--system", {"default": "", "help": "the student's system prompt (students.<name>.system)"}),
    TRUST_REMOTE_CODE,
)
torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
if is_view(args.checkpoint):  # a router mixture or one of its students
    responses = generate_view(args.checkpoint, args.template, prompts, max_new_tokens=args.max_new_tokens,
                              batch_size=args.batch_size)
else:
    responses = checkpoint_answers(args.checkpoint, args.template, prompts, max_new_tokens=args.max_new_tokens, batch_size=args.batch_size,
                                   decoding=json.loads(args.decoding), system=args.system or None,
                                   trust_remote_code=args.trust_remote_code == "true")
label = decoding.label(json.loads(args.decoding))
write_jsonl(args.out, ({"id": p["id"], "prompt": q, "response": r, "decoding": label} for p, q, r in zip(problems, prompts, responses)))
print(f"{len(responses)} generations written to {args.out}")
