"""Rule `prompt_ids` (LLaMA-Factory env): CHECKPOINT PROBLEMS OUT --template T. The token ids of each
test prompt under the student's training template, for the vLLM backend (rule `generate_vllm`)."""
from cotdistill.jobenv import reexec_clean

reexec_clean()  # first: no API keys or other secrets in a job that runs model code (cotdistill.jobenv)

from cotdistill.generate import TRUST_REMOTE_CODE, job_arguments
from cotdistill.generate_vllm import encode
from cotdistill.io import write_jsonl

args, problems, prompts = job_arguments(__doc__, TRUST_REMOTE_CODE)
ids, stop = encode(args.checkpoint, args.template, prompts, trust_remote_code=args.trust_remote_code == "true")
write_jsonl(args.out, ({"id": p["id"], "prompt": q, "prompt_ids": i, "stop_token_ids": stop} for p, q, i in zip(problems, prompts, ids)))
print(f"{len(ids)} prompts encoded with template {args.template} into {args.out}")
