"""Rule `build_student` (LLaMA-Factory env): PROBLEMS OUT_DIR INIT_JSON."""
import json
import sys

from cotdistill.io import read_jsonl
from cotdistill.student import build_student, tokenizer_corpus

problems_path, out_dir, init = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
summary = build_student(out_dir, tokenizer_corpus(read_jsonl(problems_path)), init)
print(f"built {out_dir}: {summary}")
