"""Rule `import_gguf` (LLaMA-Factory env): GGUF_FILE OUT_DIR — a GGUF model as a transformers folder."""
import json
import os
import sys
import time

import torch

from cotdistill.model_import import convert

torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
gguf_file, out_dir = sys.argv[1], sys.argv[2]
start = time.perf_counter()
summary = convert(gguf_file, out_dir)
print(f"imported {gguf_file} -> {out_dir} in {time.perf_counter() - start:.1f} s: {json.dumps(summary)}")
