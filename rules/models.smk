# Models from GGUF files, and zero-shot runs (cotdistill.model_import).
#
# A student's or an hf teacher's `model:` may be {gguf: PATH} or {gguf_package: PKG, file: NAME}: the
# spec is checked now (a missing file or a package that does not ship it is one line naming the key,
# before any job), and the block's `model` then reads as the converted folder results/models/{name},
# which rule import_gguf builds once; training, generation and the hf teacher read that folder.
#
# A distill experiment's prompting `zero-shot` is the student's untrained base model: rule zero_shot
# makes its checkpoint folder (symlinks to the base model's files), and the ordinary generate/score
# rules evaluate it, so its row in all.csv sits beside the trained ones (recipe {teacher}.zero-shot.{filter}).
import re

from cotdistill.model_import import plan as gguf_plan

try:
    GGUF_IMPORTS = gguf_plan(config, R)
except ValueError as exc:
    sys.exit(f"config error: {exc}")

ZERO_SHOT = "zero-shot"
for _run in RUNS:
    if _run.recipe.split(".")[1:2] == [ZERO_SHOT] and _run.student in config["students"]:
        _cfg = config["students"][_run.student]
        if "init" not in _cfg and _cfg["model"] not in GGUF_IMPORTS and not Path(_cfg["model"]).is_dir():
            sys.exit(f"config error: experiments.{_run.experiment}.promptings: {ZERO_SHOT} needs a local base model,"
                     f" but students.{_run.student}.model is {_cfg['model']!r} (not a folder or a GGUF spec)")


rule import_gguf:
    """A GGUF file dequantized into a transformers folder (safetensors, tokenizer, chat template)."""
    input:
        gguf=lambda wc: str(GGUF_IMPORTS[f"{R}/models/{wc.model_name}"]),
    output:
        directory(f"{R}/models/{{model_name}}"),
    params:
        python=deps.Operational(LF_PY),
        script=deps.Operational(f"{SCRIPTS}/import_gguf.py"),
    log:
        f"{R}/logs/models/{{model_name}}.log",
    wildcard_constraints:
        model_name="|".join(re.escape(Path(p).name) for p in GGUF_IMPORTS) or "(?!)",
    threads: HEAVY_THREADS
    resources:
        heavy_jobs=1,
    conda:
        "../envs/llamafactory.yaml"
    shell:
        "OMP_NUM_THREADS={threads} {params.python:q} {params.script:q} {input.gguf:q} {output:q} > {log:q} 2>&1"


rule zero_shot:
    """The untrained base model as a run's checkpoint (no SFT set, no training)."""
    input:
        base=student_base,
    output:
        directory(f"{R}/checkpoints/{{student}}/{{dataset}}/{{recipe}}"),
    params:
        base=student_base_path,
    log:
        f"{R}/logs/train/{{student}}/{{dataset}}/{{recipe}}.log",
    wildcard_constraints:
        recipe=NAME + r"\.zero-shot\.(correct|all)",
    conda:
        "../envs/pipeline.yaml"
    script:
        "../scripts/zero_shot.py"


ruleorder: zero_shot > train
