"""The dependency table: which jobs a config change reruns, key by key. One declaration serves both the
test that proves it (tests/test_rebuild.py: each change applied in turn to a finished run of
tests/configs/rebuild_tiny.yaml, then a dry-run) and docs/rebuild.md (``python -m cotdistill.rebuild``).

Names (teachers offline/offline_b/api, student tiny, dataset chain_sum, experiments baseline/other/grid/iter/
remote) are those of that config (plus ``with_api_teacher``: an OpenAI-compatible teacher on the test's stub
server). What is left out of which rule's params, and why, is in cotdistill.params.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

TEACHER_CHAIN = ("rationales", "sft", "lf_config", "train", "generate", "score", "table")
TRAIN_CHAIN = ("lf_config", "train", "generate", "score", "table")
EVAL_CHAIN = ("generate", "score", "table")
# UNDO round 1 (experiment iter, teacher offline_b): round 0's student on the training problems, the
# teacher's regenerations of its mistakes, the round's SFT set and config (its training is `train`).
ROUND_CHAIN = ("generate_split", "score_split", "regenerate", "rounds_sft", "rounds_lf_config")
NOTHING: tuple[str, ...] = ()
CONFIG = "tests/configs/rebuild_tiny.yaml"
TARGET = "results/tables/all.csv"
API_KEY_ENV = "COTDISTILL_REBUILD_KEY"
R1 = r"offline_b\.undo-iter-tiny-r1\.correct"
TINY2 = {"init": {"hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2,
                  "vocab_size": 300, "max_position_embeddings": 256},
         "template": "default", "train": {"epochs": 1, "learning_rate": 1.0e-3, "per_device_batch_size": 16, "cutoff_len": 192}}


def with_api_teacher(config: dict, base_url: str) -> dict:
    """The test config plus an OpenAI-compatible teacher `api` (the stub server at ``base_url``) and its run."""
    out = copy.deepcopy(config)
    out["teachers"]["api"] = {"kind": "openai", "model": "stub-model", "base_url": base_url, "api_key_env": API_KEY_ENV,
                              "concurrency": 4, "max_tokens": 64}
    out["experiments"]["remote"] = {"method": "distill", "datasets": ["chain_sum"], "teachers": ["api"], "students": ["tiny"],
                                    "promptings": ["cot"], "filter": "all"}  # the stub's answers are not graded right
    return out


@dataclass(frozen=True)
class Change:
    """Setting ``sets`` (dotted key → value) on the finished run plans jobs of exactly the rules ``reruns``,
    each matching ``cells``: wildcard → regex where a job has that wildcard (``rule:wildcard`` for one rule's)."""

    what: str
    sets: tuple[tuple[str, object], ...]
    reruns: tuple[str, ...]
    why: str
    cells: dict = field(default_factory=dict)


def change(what, sets, reruns, why, cells=None) -> Change:
    return Change(what, tuple(sets.items()), tuple(reruns), why, cells or {})


OPERATIONAL = [
    change("teachers.api.concurrency", {"teachers.api.concurrency": 1}, NOTHING, "requests in flight"),
    change("teachers.api.rpm, tpm", {"teachers.api.rpm": 600, "teachers.api.tpm": 100000}, NOTHING, "rate limits"),
    change("teachers.api.timeout_s, max_retries, retry_*", {"teachers.api.timeout_s": 30, "teachers.api.max_retries": 2,
           "teachers.api.retry_initial_s": 2, "teachers.api.retry_max_s": 10}, NOTHING, "how a failed request is retried"),
    change("teachers.api.price", {"teachers.api.price": {"prompt_per_mtok": 1.0, "completion_per_mtok": 2.0}}, NOTHING,
           "accounting: the cost in a rationale summary stays the one it was run at"),
    change("teachers.api.batch_wait, batch_poll_s, batch_max_requests", {"teachers.api.batch_wait": 60, "teachers.api.batch_poll_s": 5,
           "teachers.api.batch_max_requests": 100}, NOTHING, "how batch mode waits and splits (the answers are the same requests')"),
    change("teachers.offline.review_error_rate", {"teachers.offline.review_error_rate": 0.3}, NOTHING,
           "used by FAIR's peer review only (rationales use the solve rate of their prompting)"),
    change("teachers.offline_b.style_error_rates.plain", {"teachers.offline_b.style_error_rates": {"plain": 0.5}}, NOTHING,
           "no job of offline_b solves in the plain style (cot and UNDO's regenerations solve step by step)"),
    change("students.tiny.generation.batch_size", {"students.tiny.generation.batch_size": 4}, NOTHING,
           "greedy decoding: the batch changes speed, not the tokens (README: padding)"),
    change("students.tiny.train.logging_steps, save_steps, save_total_limit",
           {"students.tiny.train.logging_steps": 5, "students.tiny.train.save_steps": 100, "students.tiny.train.save_total_limit": 2},
           NOTHING, "logs, and work-dir checkpoints for resuming"),
    change("students.tiny.resources", {"students.tiny.resources": {"mem_mb": 4000, "runtime": 30}}, NOTHING, "Slurm/job resources"),
    change("llamafactory_python", {"llamafactory_python": "./.venv-lf/bin/python"}, NOTHING,
           "the interpreter's path (its packages: software-env trigger under --sdm conda)"),
    change("prices", {"prices": {"m": {"prompt": 1.0, "completion": 2.0}}}, NOTHING, "accounting only"),
    change("key order of a block", {"teachers.offline": {"style_error_rates": {"plain": 0.3}, "error_rate": 0.2, "kind": "offline"}},
           NOTHING, "params are key-sorted JSON"),
]

OUTPUT = [
    change("teachers.offline.style_error_rates.plain", {"teachers.offline.style_error_rates.plain": 0.1}, TEACHER_CHAIN,
           "the rate of the style-plain prompting's solves only",
           {"teacher": "offline", "prompting": "style-plain", "recipe": r"offline\.style-plain\..*"}),
    change("teachers.offline.error_rate", {"teachers.offline.error_rate": 0.25}, TEACHER_CHAIN,
           "the rate of every prompting without its own style rate (not style-plain)",
           {"teacher": "offline", "prompting": "cot|g3-symbolic", "recipe": r"offline\.(cot|g3-symbolic)\..*"}),
    change("teachers.offline.seed", {"teachers.offline.seed": 7}, TEACHER_CHAIN, "every answer of that teacher",
           {"teacher": "offline", "recipe": r"offline\..*"}),
    change("teachers.offline_b.error_rate", {"teachers.offline_b.error_rate": 0.1}, TEACHER_CHAIN + ROUND_CHAIN,
           "its rationales, and UNDO's rounds on them (its regenerations too)", {"teacher": "offline_b", "recipe": r"offline_b\..*"}),
    change("teachers.api.temperature", {"teachers.api.temperature": 0.5}, TEACHER_CHAIN, "what the provider samples",
           {"teacher": "api", "recipe": r"api\..*"}),
    change("teachers.api.max_tokens", {"teachers.api.max_tokens": 32}, TEACHER_CHAIN, "where answers are cut off",
           {"teacher": "api", "recipe": r"api\..*"}),
    change("students.tiny.train.learning_rate", {"students.tiny.train.learning_rate": 2.0e-3}, TRAIN_CHAIN + ROUND_CHAIN,
           "every training of the student, their evaluations, and UNDO's rounds that start from them; not the rationales",
           {"student": "tiny"}),
    change("students.tiny.init.hidden_size", {"students.tiny.init.hidden_size": 48}, ("build_student",) + TRAIN_CHAIN + ROUND_CHAIN,
           "the from-scratch base model and all that starts from it", {"student": "tiny"}),
    change("students.tiny.system", {"students.tiny.system": "Be brief."}, TRAIN_CHAIN + ROUND_CHAIN,
           "the system prompt is in training (default_system) and in generation"),
    change("students.tiny.trust_remote_code", {"students.tiny.trust_remote_code": True}, TRAIN_CHAIN + ROUND_CHAIN,
           "a model folder's own code may replace transformers' class: in training (LLaMA-Factory) and in generation",
           {"student": "tiny"}),
    change("students.tiny.generation.max_new_tokens", {"students.tiny.generation.max_new_tokens": 20},
           EVAL_CHAIN + ROUND_CHAIN + ("train",),
           "eval-only: generations and scores; in UNDO the evaluation of round 0 on the training problems decides "
           "round 1's data, so round 1 (and only it) retrains", {"train:recipe": R1, "rounds_lf_config:recipe": R1}),
    change("students.tiny.generation.decoding", {"students.tiny.generation.decoding": {"strategy": "beam", "num_beams": 2}},
           EVAL_CHAIN + ROUND_CHAIN + ("train",), "eval-only, as max_new_tokens", {"train:recipe": R1}),
    change("datasets.chain_sum.seed", {"datasets.chain_sum.seed": 4}, ("data", "build_student") + TEACHER_CHAIN + ROUND_CHAIN,
           "the problems themselves (train is de-duplicated against test, so both splits)", {"dataset": "chain_sum"}),
]

ADDITIONS = [
    change("a teacher added to an experiment", {"teachers.offline_c": {"kind": "offline", "error_rate": 0.3, "seed": 2},
           "experiments.other.teachers": ["offline_b", "offline_c"]}, TEACHER_CHAIN, "its own branch only",
           {"teacher": "offline_c", "recipe": r"offline_c\..*"}),
    change("a style (prompting) added", {"experiments.baseline.promptings": ["style-plain", "cot", "style-code"]}, TEACHER_CHAIN,
           "its own rationales and trainings", {"prompting": "style-code", "recipe": r"offline\.style-code\..*"}),
    change("a granularity added", {"experiments.grid.granularities": [3, 2]}, TEACHER_CHAIN, "its own prompting's branch",
           {"prompting": "g2-symbolic", "recipe": r"offline\.g2-symbolic\..*"}),
    change("a student added", {"students.tiny2": TINY2, "experiments.other.students": ["tiny", "tiny2"]},
           ("build_student",) + TRAIN_CHAIN, "its base model and runs; the SFT sets are shared", {"student": "tiny2"}),
    change("a dataset added", {"datasets.chain_b": {"source": "generator", "generator": "chain_sum", "n_train": 16, "n_test": 4, "seed": 5,
                                                    "params": {"min_terms": 2, "max_terms": 2, "min_digits": 1, "max_digits": 1}},
                               "experiments.other.datasets": ["chain_sum", "chain_b"]},
           ("data", "build_student") + TEACHER_CHAIN, "its own data and runs", {"dataset": "chain_b"}),
    change("a round added (UNDO max_rounds 1 → 2)", {"experiments.iter.max_rounds": 2}, ROUND_CHAIN + ("train", "generate", "score", "table"),
           "round 2 only: round 1's student on the training problems, the regenerations of its mistakes, its training",
           {"round": "2", "recipe": r"offline_b\.undo-iter-tiny-r[12]\.correct", "train:recipe": r".*-r2\..*"}),
]

TABLE = OPERATIONAL + OUTPUT + ADDITIONS


def apply(config: dict, c: Change) -> dict:
    """A copy of ``config`` with the change's keys set (dotted paths; missing blocks created)."""
    out = copy.deepcopy(config)
    for key, value in c.sets:
        *parents, last = key.split(".")
        node = out
        for p in parents:
            node = node.setdefault(p, {})
        node[last] = copy.deepcopy(value)
    return out


def markdown() -> str:
    """docs/rebuild.md: the table, generated from TABLE (tests/test_rebuild.py checks the file is current)."""
    lines = [
        "# What reruns when the config changes",
        "",
        "Generated by `python -m cotdistill.rebuild > docs/rebuild.md` from `cotdistill.rebuild.TABLE`; every row is",
        f"tested by `tests/test_rebuild.py`: the change applied to a finished run of `{CONFIG}` (plus an",
        "OpenAI-compatible teacher `api` on a local stub server), a dry-run of",
        f"`{TARGET}` (default `--rerun-triggers`) plans jobs of exactly these rules, each in the cells named",
        "(`wildcard ~ regex`; `rule:wildcard` for that rule's jobs only).",
        "The operational keys of each config block are declared in `cotdistill.params` (README: Rebuilding only",
        "what changed). `table` reruns whenever any run does; `figure` and `provenance` (rule all) follow it.",
        "",
        "| change | reruns | only the cells | why |",
        "|---|---|---|---|",
    ]
    for c in TABLE:
        reruns = ", ".join(f"`{r}`" for r in c.reruns) or "nothing"
        cells = ", ".join(f"{k} ~ `{v}`" for k, v in c.cells.items()) or ("—" if not c.reruns else "all")
        lines.append(f"| `{c.what}` | {reruns} | {cells.replace('|', '&#124;')} | {c.why} |")
    lines += [
        "",
        "Code: each rule's params hold a content hash of the package code its output depends on",
        "(`cotdistill.params.CODE`), so editing `src/cotdistill/answers/` (the answer checker) reruns `score` (and",
        "`table`) only; `script:` rules also rerun when their script changes (Snakemake's input mtime), `shell:`",
        "rules have their script in the hash. Tested by `tests/test_rebuild.py::test_code_hash_*`.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown(), end="")
