"""The tiny from-scratch student: digits are single tokens, turns end with EOS, and its chat template
renders prompts as LLaMA-Factory's `default` template; generation encodes prompts with the very ids the
SFT stage gives the prompt part of a training example."""

from __future__ import annotations

import json
import subprocess

from conftest import ROOT

CHECK = r"""
import json, sys, tempfile
from cotdistill.data.schema import make_problem
from cotdistill.generate import encode_prompts, lf_template
from cotdistill.prompts import core_prompt
from cotdistill.student import build_student, tokenizer_corpus
from transformers import AutoTokenizer

problems = [make_problem(id=str(i), dataset="cs", split="train", question=f"What is {i} + {i % 7} - 3?", answer=str(2 * i - 3), answer_type="number", meta={"expression": f"{i} + {i % 7} - 3"}) for i in range(30)]
out = tempfile.mkdtemp()
summary = build_student(out, tokenizer_corpus(problems), {"hidden_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2, "vocab_size": 300})
tok = AutoTokenizer.from_pretrained(out)
prompts = [core_prompt(p) for p in problems[:5]]
lf_ids = encode_prompts(tok, "default", prompts)
hf_text = [tok.apply_chat_template([{"role": "user", "content": p}], tokenize=False, add_generation_prompt=True) for p in prompts]
template = lf_template(tok, "default")
train_ids = [template.encode_oneturn(tok, [{"role": "user", "content": p}, {"role": "assistant", "content": "The answer is 3."}])[0] for p in prompts]
prompt, answer = template.encode_oneturn(tok, [{"role": "user", "content": "1 + 2"}, {"role": "assistant", "content": "3"}])
print(json.dumps({
    "summary": summary,
    "digits": tok.tokenize("12345 + 678"),
    "spaced_number": tok.tokenize("= 17"),
    "round_trip": tok.decode(tok("What is 10 + 3 - 3? -2")["input_ids"]) == "What is 10 + 3 - 3? -2",
    "chat_template_text_matches": [tok.decode(x) for x in lf_ids] == hf_text,
    "generation_ids_are_training_ids": lf_ids == train_ids,
    "answer_ends_with_eos": tok.eos_token_id in answer[-2:],
    "eos": tok.eos_token_id,
}))
"""


def test_student_tokenizer_and_template(lf_python):
    proc = subprocess.run([str(lf_python), "-c", CHECK], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["summary"]["parameters"] > 1000
    digits = [t.lstrip("Ġ") for t in result["digits"] if t.lstrip("Ġ")]
    assert digits[:5] == ["1", "2", "3", "4", "5"] and digits[-3:] == ["6", "7", "8"]
    assert result["spaced_number"][-2:] == ["Ġ1", "7"], "a number's leading space should ride on its first digit"
    assert result["round_trip"]
    assert result["generation_ids_are_training_ids"], "generation encodes prompts unlike the SFT stage"
    assert result["chat_template_text_matches"], "the student's chat template disagrees with LLaMA-Factory's default template"
    assert result["answer_ends_with_eos"]
