"""Rule `build_student` (LLaMA-Factory env): PROBLEMS OUT_DIR INIT_JSON."""
from cotdistill.jobenv import reexec_clean

reexec_clean()  # first: no API keys or other secrets in a job that runs model code (cotdistill.jobenv)

import json
import sys

from cotdistill.io import read_jsonl
from cotdistill.student import build_student, tokenizer_corpus

problems_path, out_dir, init = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
summary = build_student(out_dir, tokenizer_corpus(read_jsonl(problems_path)), init)
print(f"built {out_dir}: {summary}")
