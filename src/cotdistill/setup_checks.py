"""Checks run when the workflow is parsed, before any job: each failure is one line naming the thing."""

from __future__ import annotations

import tempfile
from pathlib import Path

from .errors import ConfigError


def check_schema(config: dict, schema_path: str | Path) -> None:
    """Validate against the JSON schema; the error names the offending key path."""
    import jsonschema
    import yaml

    schema = yaml.safe_load(Path(schema_path).read_text())
    validator = jsonschema.Draft202012Validator(schema)
    error = jsonschema.exceptions.best_match(validator.iter_errors(config))
    if error is not None:
        where = ".".join(str(p) for p in error.absolute_path) or "(top level)"
        raise ConfigError(f"{where}: {error.message}")


def check_results_dir(path: str) -> None:
    try:
        Path(path).mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as exc:
        raise ConfigError(f"results_dir: {path!r} is not writable ({exc.strerror or exc})") from None


def check_generators(config: dict) -> None:
    generators = [(n, d.get("generator", n)) for n, d in config["datasets"].items() if d["source"] == "generator"]
    if not generators:
        return
    from reasoning_gym.factory import DATASETS

    for name, gen in generators:
        if gen not in DATASETS:
            raise ConfigError(f"datasets.{name}.generator: reasoning-gym has no generator {gen!r}")


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
    check_generators(config)
    check_teachers(config)
    declare_teacher_secrets(config)
