"""Checks run when the workflow is parsed, before any job: each failure is one line naming the thing.

The config is closed: the schema (``additionalProperties: false`` on every block) rejects unknown keys,
reported as ``teachers.gpt.modle: unknown key (did you mean model?)``; then each teacher's keys are
checked against its kind (``samples`` is an offline-teacher key, ``device`` an hf one, an API teacher
needs ``model``), every experiment's promptings are parsed, and each generator dataset is built for one
item with its ``params``, so that a wrong parameter fails here, naming the key, not inside a job.
"""

from __future__ import annotations

import dataclasses
import re
import tempfile
from pathlib import Path

from .errors import ConfigError
from .settings import did_you_mean


def check_schema(config: dict, schema_path: str | Path) -> None:
    """Validate against the JSON schema; the error names the offending key path."""
    import jsonschema
    import yaml

    schema = yaml.safe_load(Path(schema_path).read_text())
    validator = jsonschema.Draft202012Validator(schema)
    errors = list(validator.iter_errors(config))
    unknown = sorted(filter(None, map(_unknown_key, errors)))
    if unknown:  # the most specific diagnosis: name the key, and the one meant if it looks like a typo
        raise ConfigError(unknown[0])
    error = jsonschema.exceptions.best_match(errors)
    if error is not None:
        where = ".".join(str(p) for p in error.absolute_path) or "(top level)"
        raise ConfigError(f"{where}: {error.message}")


def _typo(key, known) -> str:
    """`` (did you mean x?)`` when ``key`` is close to a known one, else nothing."""
    hint = did_you_mean(key, known)
    return hint if hint.startswith(" (did you mean") else ""


def _unknown_key(error) -> str | None:
    """A schema error for a key that a closed block does not declare, as ``path.key: unknown key (...)``."""
    if error.validator != "additionalProperties" or error.schema.get("additionalProperties") is not False:
        return None
    known = set(error.schema.get("properties", {}))
    patterns = list(error.schema.get("patternProperties", {}))
    extra = [k for k in error.instance if k not in known and not any(re.search(p, str(k)) for p in patterns)]
    if not extra:
        return None
    key = ".".join([*(str(p) for p in error.absolute_path), str(extra[0])])
    return f"{key}: unknown key{did_you_mean(extra[0], known)}"


def check_results_dir(path: str) -> None:
    try:
        Path(path).mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as exc:
        raise ConfigError(f"results_dir: {path!r} is not writable ({exc.strerror or exc})") from None


def check_generators(config: dict) -> None:
    """Each generator dataset: the generator exists, its ``params`` are its config's fields, and one item
    can be built with them (the generator's own validation runs here, not inside a job)."""
    generators = [(n, d, d.get("generator", n)) for n, d in config["datasets"].items() if d["source"] == "generator"]
    if not generators:
        return
    import reasoning_gym
    from reasoning_gym.factory import DATASETS

    for name, block, gen in generators:
        if gen not in DATASETS:
            raise ConfigError(f"datasets.{name}.generator: reasoning-gym has no generator {gen!r}"
                              f"{did_you_mean(gen, DATASETS)}")
        params = block.get("params") or {}
        known = {f.name for f in dataclasses.fields(DATASETS[gen][1])} - {"seed", "size"}
        for key in params:
            if key not in known:
                raise ConfigError(f"datasets.{name}.params.{key}: unknown key for generator {gen}{did_you_mean(key, known)}")
        try:
            reasoning_gym.create_dataset(gen, size=1, seed=int(block.get("seed", 0)), **params)[0]
        except Exception as exc:  # noqa: BLE001 — any failure of the generator on these params is a config error
            detail = str(exc).strip().splitlines()[0] if str(exc).strip() else "rejected"
            raise ConfigError(f"datasets.{name}.params: generator {gen} rejects {params} ({type(exc).__name__}: {detail})") from None


# Teacher keys by kind (the schema lists their union): the offline teacher reads only these; hf runs
# locally (no endpoint, key or batch API); the API kinds have no local device, dtype or batch size.
OFFLINE_KEYS = frozenset({"kind", "seed", "samples", "error_rate", "style_error_rates", "review_error_rate"})
API_ONLY_KEYS = frozenset({"base_url", "api_key_env", "batch", "batch_wait", "batch_max_requests", "batch_max_bytes",
                           "batch_poll_s", "batch_poll_max_s", "batch_rounds"})
HF_ONLY_KEYS = frozenset({"device", "dtype", "batch_size"})


def teacher_keys(kind: str) -> frozenset[str]:
    if kind == "offline":
        return OFFLINE_KEYS
    from .teachers.config import TeacherConfig

    keys = frozenset(f.name for f in dataclasses.fields(TeacherConfig)) - {"name"}
    return keys - API_ONLY_KEYS if kind == "hf" else keys - HF_ONLY_KEYS


def check_teacher_blocks(config: dict) -> None:
    """Every teacher (used or not): its keys are its kind's, and an API/hf teacher's block is valid
    (``model`` given, limits positive, ...), checked by the same TeacherConfig the jobs build."""
    from .teachers.config import KINDS, TeacherConfig

    for name, block in config["teachers"].items():
        kind = block.get("kind", "offline")
        allowed = teacher_keys(kind)
        for key in block:
            if key not in allowed:
                owners = [k for k in KINDS if k != kind and key in teacher_keys(k)]
                raise ConfigError(f"teachers.{name}.{key}: not a key of a kind {kind} teacher "
                                  f"(a key of {'/'.join(owners)} teachers){_typo(key, allowed)}")
        if kind != "offline":
            try:
                TeacherConfig.from_dict(name, block)
            except (TypeError, ValueError) as exc:
                raise ConfigError(str(exc).splitlines()[0]) from None


# Promptings that ask no teacher: `zero-shot` evaluates the untrained base model (rules/models.smk).
NO_TEACHER_PROMPTINGS = ("zero-shot",)


def known_promptings() -> list[str]:
    from .teacher_prompts import load_prompts

    prompts = load_prompts()
    grid = [f"g{g}-{f}" for g in range(1, 7) for f in sorted(prompts["formats"])]
    return ["direct", "cot", "strong", *(f"style-{s}" for s in sorted(prompts["styles"])), *grid, *NO_TEACHER_PROMPTINGS]


def check_promptings(config: dict) -> None:
    """Every name in an experiment's ``promptings`` is one the teacher prompts know."""
    from .teacher_prompts import parse_prompting

    for exp, spec in config["experiments"].items():
        for i, name in enumerate(spec.get("promptings") or []):
            if name in NO_TEACHER_PROMPTINGS:
                continue
            try:
                parse_prompting(str(name))
            except ValueError as exc:
                raise ConfigError(f"experiments.{exp}.promptings[{i}]: {exc}{_typo(name, known_promptings())}") from None


def used_teachers(config: dict) -> set[str]:
    return {t for spec in config["experiments"].values() for t in spec.get("teachers", [])}


def check_teachers(config: dict) -> None:
    from .teachers import check_credentials

    for name in sorted(used_teachers(config)):
        try:
            check_credentials(name, config["teachers"][name])
        except (KeyError, ValueError, RuntimeError) as exc:
            raise ConfigError(str(exc).splitlines()[0]) from None


def declare_teacher_secrets(config: dict) -> None:
    """Every teacher's ``api_key_env``, named to the student jobs as secrets to drop (cotdistill.jobenv)."""
    from .jobenv import declare_secrets

    declare_secrets(t.get("api_key_env") for t in config["teachers"].values())


def check_setup(config: dict) -> None:
    check_results_dir(config["results_dir"])
    check_teacher_blocks(config)
    check_promptings(config)
    check_generators(config)
    check_teachers(config)
    declare_teacher_secrets(config)
