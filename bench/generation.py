"""Batched greedy generation against one-problem-at-a-time, same model, same prompts, one run.

    .venv-lf/bin/python bench/generation.py   (or: make bench)

Builds a tiny from-scratch student (the default's size), then times `generate_ids` at batch 1 and at
batch 64 on the same prompts. Last line: a JSON object with both rates and the speed-up.
"""

from __future__ import annotations

import json
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from cotdistill.data.schema import make_problem  # noqa: E402
from cotdistill.generate import encode_prompts, generate_ids, load_checkpoint  # noqa: E402
from cotdistill.prompts import core_prompt  # noqa: E402
from cotdistill.student import build_student, tokenizer_corpus  # noqa: E402

N, NEW_TOKENS = 128, 64


def main() -> None:
    import torch

    torch.set_num_threads(1)
    rng = random.Random(0)
    expressions = [" + ".join(str(rng.randrange(10)) for _ in range(5)) for _ in range(N)]
    problems = [make_problem(id=str(i), dataset="chain_sum", split="test", question=f"State the final answer to the following arithmetic problem: {e} =",
                             answer=str(eval(e)), answer_type="number", meta={"expression": e}) for i, e in enumerate(expressions)]
    with tempfile.TemporaryDirectory() as tmp:
        build_student(tmp, tokenizer_corpus(problems), {"hidden_size": 128, "num_hidden_layers": 4, "num_attention_heads": 4, "vocab_size": 512})
        model, tokenizer = load_checkpoint(tmp)
        # an untrained model rarely emits EOS: every sequence runs the full NEW_TOKENS, as a worst case
        ids = encode_prompts(tokenizer, "default", [core_prompt(p) for p in problems])
        rates = {}
        for batch in (1, 64):
            start = time.perf_counter()
            generate_ids(model, tokenizer, ids, max_new_tokens=NEW_TOKENS, batch_size=batch, desc=f"batch {batch}")
            rates[batch] = N / (time.perf_counter() - start)
            print(f"batch {batch:>3}: {rates[batch]:7.1f} problems/s")
    result = {"problems": N, "max_new_tokens": NEW_TOKENS, "sequential_per_s": round(rates[1], 2),
              "batched_per_s": round(rates[64], 2), "speedup": round(rates[64] / rates[1], 2)}
    print(f"batched / sequential: {result['speedup']}x")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
