"""The generation backend per student: transformers (rule generate) or vLLM (rules prompt_ids +
generate_vllm in the vLLM environment), and the errors when vLLM is asked for but not installed."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from cotdistill.generate_vllm import backend, check_importable, import_vllm, model_source
from conftest import LF_PY, dry_run_jobs, snakemake

REPO = Path(__file__).resolve().parents[1]
TINY = yaml.safe_load((REPO / "tests/configs/tiny.yaml").read_text())


def python_with_vllm_package(tmp_path: Path) -> Path:
    """A python whose path has a package named vllm (only its importability is checked before a run)."""
    (tmp_path / "site" / "vllm").mkdir(parents=True)
    (tmp_path / "site" / "vllm" / "__init__.py").write_text("")
    exe = tmp_path / "python"
    exe.write_text(f'#!/bin/sh\nPYTHONPATH={tmp_path / "site"} exec {sys.executable} "$@"\n')
    exe.chmod(0o755)
    return exe


def config_with_vllm_student(tmp_path: Path, vllm_python: str) -> Path:
    cfg = json.loads(json.dumps(TINY))
    cfg["vllm_python"] = vllm_python
    cfg["students"]["tinyv"] = {**cfg["students"]["tiny"], "generation": {"backend": "vllm", "max_new_tokens": 40, "vllm": {"gpu_memory_utilization": 0.5}}}
    cfg["experiments"] = {"baseline": {**cfg["experiments"]["baseline"], "teachers": ["offline"], "students": ["tiny", "tinyv"]}}
    wd = tmp_path / "wf"
    wd.mkdir()
    (wd / "config.yaml").write_text(yaml.safe_dump(cfg))
    return wd


def test_backend_defaults_to_transformers():
    assert backend(TINY["students"]["tiny"]) == "transformers"
    assert backend({"generation": {"backend": "vllm"}}) == "vllm"


def test_check_importable(tmp_path):
    assert check_importable(str(python_with_vllm_package(tmp_path))) is None
    assert check_importable(str(tmp_path / "nope" / "python")) == f"{tmp_path / 'nope' / 'python'} does not exist"
    if importlib.util.find_spec("vllm") is None:
        assert check_importable(sys.executable) == f"vllm is not importable by {sys.executable}"


def test_vllm_students_generate_through_the_vllm_rules(tmp_path):
    wd = config_with_vllm_student(tmp_path, str(python_with_vllm_package(tmp_path)))
    jobs = dry_run_jobs(wd, "results/tables/all.csv")
    assert jobs["generate"] == 2 and jobs["prompt_ids"] == 2 and jobs["generate_vllm"] == 2, jobs
    out = snakemake(wd, "results/generations/tinyv/chain_sum/offline.cot.correct/chain_sum.jsonl", "-n", "-p").stdout
    assert "rule generate_vllm:" in out and "rule prompt_ids:" in out and "rule generate:" not in out
    assert "'{\"gpu_memory_utilization\": 0.5}'" in out  # the student's vllm.LLM arguments reach the command


def test_setup_error_names_the_key_when_vllm_is_missing(tmp_path):
    wd = config_with_vllm_student(tmp_path, str(tmp_path / "no-venv" / "bin" / "python"))
    proc = snakemake(wd, "-n", check=False)
    assert proc.returncode != 0
    assert "config error: students.tinyv.generation.backend: vllm, but" in proc.stderr
    assert "no-venv/bin/python does not exist" in proc.stderr and "make setup-vllm" in proc.stderr


@pytest.mark.skipif(importlib.util.find_spec("vllm") is not None, reason="vllm is installed here")
def test_generation_without_vllm_says_what_to_do():
    with pytest.raises(RuntimeError, match=r"generation\.backend vllm: cannot import vllm .*make setup-vllm"):
        import_vllm()


def test_lora_checkpoints_load_their_base_with_the_adapter(tmp_path):
    (tmp_path / "adapter_config.json").write_text(json.dumps({"base_model_name_or_path": "Qwen/Qwen2.5-0.5B", "r": 32}))
    assert model_source(tmp_path) == ("Qwen/Qwen2.5-0.5B", str(tmp_path), 32)
    assert model_source(tmp_path / "full") == (str(tmp_path / "full"), None, 0)


def test_prompt_ids_are_the_training_templates_tokens(tmp_path, lf_python):
    """In the LLaMA-Factory env: the ids handed to vLLM are LLaMA-Factory's encoding of the prompt, and
    generation stops at the template's EOS."""
    probe = """
import json, sys
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import AutoTokenizer, PreTrainedTokenizerFast
tok = Tokenizer(models.BPE(unk_token="<unk>"))
tok.pre_tokenizer, tok.decoder = pre_tokenizers.ByteLevel(add_prefix_space=False), decoders.ByteLevel()
trainer = trainers.BpeTrainer(vocab_size=400, special_tokens=["<unk>", "</s>"], initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
tok.train_from_iterator(["Human: What is 2 + 3?\\nAssistant: The answer is 5."], trainer)
PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="</s>", unk_token="<unk>").save_pretrained(sys.argv[1])
from cotdistill.generate import encode_prompts
from cotdistill.generate_vllm import encode
ids, stop = encode(sys.argv[1], "default", ["What is 2 + 3?"])
fast = AutoTokenizer.from_pretrained(sys.argv[1])
same = ids == encode_prompts(fast, "default", ["What is 2 + 3?"])
print(json.dumps({"text": fast.decode(ids[0]), "stop": stop, "eos": fast.eos_token_id, "same": same}))
"""
    out = subprocess.run([str(lf_python), "-c", probe, str(tmp_path / "tok")], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["same"], "vLLM prompts differ from the transformers path's"
    assert "Human: What is 2 + 3?" in got["text"] and got["text"].rstrip().endswith("Assistant:"), got["text"]
    assert got["stop"] == [got["eos"]]
