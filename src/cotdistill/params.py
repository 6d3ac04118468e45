"""What each rule's output depends on, in one place: the config keys (and package code) that go into a
rule's ``params:`` — Snakemake reruns a job when they change — and the operational keys left out of them,
so that changing those reruns nothing (docs/rebuild.md, tests/test_rebuild.py).

A script that needs an operational value reads it through a channel Snakemake does not record:
``snakemake.config`` in ``script:`` rules (the full config block), or an :class:`Operational` param in
``shell:`` rules (formatted into the command like any param, but not stored with the job's metadata).
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path

from .teacher_prompts import parse_prompting

# Keys that cannot change a job's output: how fast, where, how often it reports or saves, how it is billed.
TEACHER_OPERATIONAL = (
    "api_key_env", "concurrency", "rpm", "tpm", "timeout_s", "max_retries", "retry_initial_s", "retry_max_s",
    "price", "batch", "batch_wait", "batch_max_requests", "batch_max_bytes", "batch_poll_s", "batch_poll_max_s",
    "batch_rounds", "device",
)
# hf teacher: prompts per generate() call; operational under greedy decoding (temperature 0), output-relevant
# when sampling (the batch decides how the random stream is split among prompts).
TEACHER_GREEDY_OPERATIONAL = ("batch_size",)
# The offline teacher's rates: a solve of one prompting uses one effective rate (OfflineTeacher._error_rate).
OFFLINE_RATES = ("error_rate", "style_error_rates", "review_error_rate")
STUDENT_OPERATIONAL = ("resources",)
TRAIN_OPERATIONAL = ("logging_steps", "save_steps", "save_total_limit")  # logs, and checkpoints for resuming
DISTRIBUTED_OPERATIONAL = ("master_port",)
# students.<s>.generation: batch_size is operational under greedy and beam decoding, output-relevant for
# best_of (sampling: the batch decides how the seeded random stream is split among prompts).
GENERATION_GREEDY_OPERATIONAL = ("batch_size",)
VLLM_OPERATIONAL = ("gpu_memory_utilization", "max_num_seqs", "swap_space", "enforce_eager")
DATASET_OPERATIONAL = ("cache_dir",)
# UNDO's and FAIR's teacher jobs (feedback, fresh rationales, reviews without the hint) solve in the
# step_by_step style (cotdistill.teachers.offline: feedback, review), as prompting `cot` does.
ROUND_SOLVES = "cot"
TOP_OPERATIONAL = ("llamafactory_python", "vllm_python", "prices")

# Package code (relative to the checkout) whose content each rule's output depends on; its hash is a
# param, so that editing it reruns that rule (and what uses its output). `script:` rules' own scripts are
# inputs already (Snakemake reruns on their mtime); `shell:` rules list theirs here. Rules not listed have
# no code hash (docs/rebuild.md says why).
CODE = {
    "data": ("src/cotdistill/data",),
    "rationales": ("src/cotdistill/rationales.py", "src/cotdistill/teacher_prompts.py", "src/cotdistill/prompts.py",
                   "prompts/solve.yaml"),
    "sft": ("src/cotdistill/sft.py",),
    "build_student": ("scripts/build_student.py", "src/cotdistill/student.py"),
    "lf_config": ("src/cotdistill/train.py", "src/cotdistill/distributed.py"),
    "generate": ("scripts/generate.py", "src/cotdistill/generate.py", "src/cotdistill/decoding.py", "src/cotdistill/prompts.py"),
    "prompt_ids": ("scripts/prompt_ids.py", "src/cotdistill/generate.py", "src/cotdistill/prompts.py"),
    "generate_vllm": ("scripts/generate_vllm.py", "src/cotdistill/generate_vllm.py", "src/cotdistill/decoding.py"),
    "score": ("src/cotdistill/scoring.py", "src/cotdistill/answers"),
    "table": ("src/cotdistill/report.py", "src/cotdistill/stats.py"),
}
# Teachers whose text is written by this package's code (the API teachers' text comes from the provider,
# keyed by the request, which teacher_prompts.py builds).
TEACHER_CODE = {"offline": ("src/cotdistill/teachers/offline.py",), "hf": ("src/cotdistill/teachers/hf.py",)}
ROOT = Path(__file__).resolve().parents[2]


class Operational:
    """A param value that reaches the job (``{params.x}`` in a shell command formats it as its string) but
    is not recorded by Snakemake (only builtin values are), so changing it never triggers a rerun."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def __str__(self) -> str:
        return self.value if isinstance(self.value, str) else canonical(self.value)

    def __repr__(self) -> str:
        return f"Operational({self.value!r})"


def canonical(obj) -> str:
    """A config block as key-sorted JSON: params that do not change when keys are reordered."""
    return json.dumps(obj, sort_keys=True)


def without(block: dict | None, keys) -> dict:
    return {k: v for k, v in (block or {}).items() if k not in keys}


def teacher_output_params(cfg: dict, prompting: str | None = None, *, review: bool = False) -> str:
    """The keys of a teacher block that can change its answers. With ``prompting`` (the prompting whose
    solves a job asks for), the offline teacher's rates reduce to the one rate those solves use, plus
    ``review_error_rate`` for a job that asks for reviews (FAIR's peer review)."""
    out = without(cfg, TEACHER_OPERATIONAL)
    greedy = not out.get("temperature")
    if greedy:
        out = without(out, TEACHER_GREEDY_OPERATIONAL)
    if cfg.get("kind") == "offline" and prompting is not None:
        out = offline_rates(cfg, prompting, review) or out
    return canonical(out)


def offline_rates(cfg: dict, prompting: str, review: bool) -> dict | None:
    """The offline teacher's block with its rates reduced to those a prompting's solves (and reviews) use
    (cotdistill.teachers.offline); None for a name that is not a solve prompting."""
    from .teachers.offline import OfflineTeacher

    try:
        spec = parse_prompting(prompting)
    except ValueError:
        return None
    teacher = OfflineTeacher("", cfg)
    out = {**without(without(cfg, TEACHER_OPERATIONAL), OFFLINE_RATES), "error_rate": teacher._error_rate(spec)}
    if review:
        out["review_error_rate"] = teacher.review_error_rate
    return out


def dataset_params(cfg: dict) -> str:
    return canonical(without(cfg, DATASET_OPERATIONAL))


def train_params(student: dict) -> str:
    """What a student's training config (and so its checkpoint) depends on: not its generation settings,
    resources, logging or checkpointing intervals."""
    out = without(student, STUDENT_OPERATIONAL + ("generation",))
    if "train" in out:
        out["train"] = without(out["train"], TRAIN_OPERATIONAL)
    if "distributed" in out:
        out["distributed"] = without(out["distributed"], DISTRIBUTED_OPERATIONAL)
    return canonical(out)


def sampling(decoding: dict | None) -> bool:
    return (decoding or {}).get("strategy", "greedy") == "best_of"


def generation_params(student: dict) -> dict:
    """What a student's generations depend on besides its checkpoint: template, system prompt, the
    generation block without its operational keys (batch_size unless decoding samples)."""
    gen = dict(student.get("generation", {}))
    if not sampling(gen.get("decoding")):
        gen = without(gen, GENERATION_GREEDY_OPERATIONAL)
    if "vllm" in gen:
        gen["vllm"] = without(gen["vllm"], VLLM_OPERATIONAL)
    return {"template": student["template"], "system": student.get("system", ""), "generation": gen}


def trust_remote_code(student: dict) -> str:
    """``students.<s>.trust_remote_code`` as the student jobs' ``--trust-remote-code true|false``. Output-relevant
    (a recorded param of generate, prompt_ids, generate_vllm): a model folder's own code may replace the class
    transformers has for its architecture. Training has it in train_params (its LLaMA-Factory config)."""
    return "true" if student.get("trust_remote_code", False) else "false"


def generation_batch_size(student: dict) -> int | Operational:
    """The generate rule's --batch-size: a recorded param when decoding samples, otherwise operational."""
    size = int(student.get("generation", {}).get("batch_size", 32))
    return size if sampling(student.get("generation", {}).get("decoding")) else Operational(size)


def code(rule: str, teacher_kind: str | None = None, root: Path = ROOT) -> str:
    """A content hash of the package code a rule's output depends on (CODE, TEACHER_CODE)."""
    paths = CODE.get(rule, ()) + (TEACHER_CODE.get(teacher_kind, ()) if teacher_kind else ())
    return _checkout_hash(paths) if root == ROOT else _hash(paths, str(root))


@lru_cache(maxsize=None)
def _checkout_hash(paths: tuple[str, ...]) -> str:
    return _hash(paths, str(ROOT))  # once per Snakemake process: the checkout does not change while it plans


def _hash(paths: tuple[str, ...], root: str) -> str:
    h = hashlib.sha256()
    for rel in paths:
        base = Path(root) / rel
        files = sorted(p for p in base.rglob("*") if p.is_file() and p.suffix in (".py", ".yaml", ".json", ".txt")) if base.is_dir() else [base]
        for f in files:
            if "__pycache__" in f.parts:
                continue
            h.update(str(f.relative_to(root)).encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()[:16]
