"""Rule `generate_vllm` (vLLM env): CHECKPOINT PROMPT_IDS OUT --max-new-tokens N --llm-kwargs JSON --trust-remote-code true|false."""
from cotdistill.jobenv import reexec_clean

reexec_clean()  # first: no API keys or other secrets in a job that runs model code (cotdistill.jobenv)

import argparse
import json

from cotdistill.generate_vllm import vllm_answers
from cotdistill.io import read_jsonl, write_jsonl

ap = argparse.ArgumentParser()
ap.add_argument("checkpoint")
ap.add_argument("prompts")
ap.add_argument("out")
ap.add_argument("--max-new-tokens", type=int, default=256)
ap.add_argument("--llm-kwargs", default="{}")
ap.add_argument("--trust-remote-code", choices=("true", "false"), default="false")
args = ap.parse_args()

rows = read_jsonl(args.prompts)
stop = rows[0]["stop_token_ids"] if rows else []
responses = vllm_answers(args.checkpoint, [r["prompt_ids"] for r in rows], stop, max_new_tokens=args.max_new_tokens,
                     llm_kwargs=json.loads(args.llm_kwargs), trust_remote_code=args.trust_remote_code == "true")
write_jsonl(args.out, ({"id": r["id"], "prompt": r["prompt"], "response": x} for r, x in zip(rows, responses)))
print(f"{len(responses)} generations written to {args.out}")
