"""A closed config (issue #18, item 1; the experiment/method keys are #19's settings classes): every dataset,
teacher and student key is declared, generator params are tried on one item, promptings are parsed, and
each mistake is one line naming the key, with the key meant when it looks like a typo."""

from __future__ import annotations

import copy
import re

import pytest
import yaml

from conftest import ROOT, snakemake, workflow_copy
from cotdistill import experiments, seeds
from cotdistill.errors import ConfigError
from cotdistill.setup_checks import check_generators, check_promptings, check_schema, check_teacher_blocks

SCHEMA = ROOT / "schemas" / "config.schema.yaml"
TINY = yaml.safe_load((ROOT / "tests/configs/tiny.yaml").read_text())


def closed_checks(cfg: dict) -> None:
    """What the workflow checks before any job, minus the machine-dependent parts (results_dir writable,
    API keys set, vLLM importable)."""
    cfg = copy.deepcopy(cfg)
    check_schema(cfg, SCHEMA)
    seeds.apply(cfg)
    experiments.expand_runs(cfg, experiments.all_settings(cfg))
    check_teacher_blocks(cfg)
    check_promptings(cfg)
    check_generators(cfg)


CONFIGS = sorted({*ROOT.glob("config*.yaml"), *ROOT.glob("config/**/*.yaml"), *ROOT.glob("tests/configs/*.yaml")})


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_shipped_config_validates(path):
    closed_checks(yaml.safe_load(path.read_text()))


def readme_examples() -> list[dict]:
    """The README's YAML blocks that are config blocks (the one-line synopsis, with its `a|b` alternatives,
    and indented fragments of an experiment are not)."""
    out = []
    for block in re.findall(r"```yaml\n(.*?)```", (ROOT / "README.md").read_text(), re.S):
        if block.startswith(" ") or re.search(r"\w\|\w", block):
            continue
        data = yaml.safe_load(block)
        if isinstance(data, dict) and set(data) <= set(yaml.safe_load(SCHEMA.read_text())["properties"]):
            out.append(data)
    return out


def test_readme_examples_validate():
    examples = readme_examples()
    assert len(examples) >= 2  # the batch teachers and the datasets blocks at least
    for example in examples:
        cfg = copy.deepcopy(TINY)
        for block, value in example.items():
            cfg[block] = {**cfg.get(block, {}), **value} if isinstance(value, dict) else value
        closed_checks(cfg)


def with_change(path: str, value=None, delete: bool = False) -> dict:
    """The tiny config with the key at the dotted ``path`` set (or deleted)."""
    cfg = copy.deepcopy(TINY)
    *parents, last = path.split(".")
    node = cfg
    for key in parents:
        node = node.setdefault(key, {})
    if delete:
        del node[last]
    else:
        node[last] = value
    return cfg


MISTAKES = [
    # top level and datasets
    ("resutls_dir", "results", "resutls_dir: unknown key (did you mean results_dir?)"),
    ("datasets.chain_sum.n_tset", 8, "datasets.chain_sum.n_tset: unknown key (did you mean n_test?)"),
    ("datasets.chain_sum.generator", "chian_sum", "datasets.chain_sum.generator: reasoning-gym has no generator 'chian_sum' (did you mean chain_sum?)"),
    ("datasets.chain_sum.params.min_term", 2, "datasets.chain_sum.params.min_term: unknown key for generator chain_sum (did you mean min_terms?)"),
    ("datasets.chain_sum.params.max_terms", 1, "datasets.chain_sum.params: generator chain_sum rejects"),  # min 3 > max 1
    # teachers, per kind
    ("teachers.gpt", {"kind": "openai", "modle": "gpt-4o", "api_key_env": "K"}, "teachers.gpt.modle: unknown key (did you mean model?)"),
    ("teachers.gpt", {"kind": "openai", "api_key_env": "K"}, "teachers.gpt.model: required for kind 'openai'"),
    ("teachers.gpt", {"kind": "openai", "model": "m", "api_key_env": "K", "samples": 4},
     "teachers.gpt.samples: not a key of a kind openai teacher (a key of offline teachers)"),
    ("teachers.gpt", {"kind": "gemini", "model": "m", "api_key_env": "K", "device": "cpu"},
     "teachers.gpt.device: not a key of a kind gemini teacher (a key of hf teachers)"),
    ("teachers.local", {"kind": "hf", "model": "m", "error_rate": 0.1}, "teachers.local.error_rate: not a key of a kind hf teacher (a key of offline teachers)"),
    ("teachers.offline.eror_rate", 0.1, "teachers.offline.eror_rate: unknown key (did you mean error_rate?)"),
    ("teachers.offline.max_tokens", 10, "teachers.offline.max_tokens: not a key of a kind offline teacher (a key of openai/gemini/hf teachers)"),
    ("teachers.gpt", {"kind": "openai", "model": "m", "api_key_env": "K", "concurrency": 0}, "teachers.gpt.concurrency: 0 is less than the minimum of 1"),
    # students
    ("students.tiny.templte", "default", "students.tiny.templte: unknown key (did you mean template?)"),
    ("students.tiny.train.epoch", 2, "students.tiny.train.epoch: unknown key (did you mean epochs?)"),
    ("students.tiny.lora", {"rnak": 8}, "students.tiny.lora.rnak: unknown key (did you mean rank?)"),
    ("students.tiny.resources", {"train": {"mem": 100}}, "students.tiny.resources.train.mem: unknown key (did you mean mem_mb?)"),
    ("students.tiny.generation.max_new_token", 8, "students.tiny.generation.max_new_token: unknown key (did you mean max_new_tokens?)"),
    ("students.tiny.trust_remote_code", "yes", "students.tiny.trust_remote_code: 'yes' is not of type 'boolean'"),
    # promptings
    ("experiments.baseline.promptings", ["direct", "cto"], "experiments.baseline.promptings[1]: unknown prompting 'cto'"),
    ("experiments.baseline.promptings", ["style-step_by_stpe"], "(did you mean style-step_by_step?)"),
]


@pytest.mark.parametrize("path, value, message", MISTAKES, ids=[m[0] + ("" if not isinstance(m[1], dict) else "." + next(iter(m[1].keys() - {"kind", "model", "api_key_env"}), "model")) for m in MISTAKES])
def test_each_mistake_is_one_line_naming_the_key(path, value, message):
    with pytest.raises(ConfigError) as err:
        closed_checks(with_change(path, value))
    text = str(err.value)
    assert "\n" not in text
    assert message in text, text
    if "did you mean" not in message and "rejects" not in message:
        assert text.startswith(message.split(":")[0] + ":")


def test_a_typo_stops_the_workflow_before_any_job(tmp_path):
    wd = workflow_copy(tmp_path / "wd")
    cfg = with_change("teachers.offline.eror_rate", 0.1)
    (wd / "config.yaml").write_text(yaml.safe_dump(cfg))
    proc = snakemake(wd, "results/tables/all.csv", "--cores", "1", check=False)
    assert proc.returncode != 0
    lines = [ln for ln in (proc.stdout + proc.stderr).splitlines() if ln.startswith("config error")]
    assert lines == ["config error: teachers.offline.eror_rate: unknown key (did you mean error_rate?)"]
    assert not (wd / "results" / "data").exists()


def test_x_keys_hold_yaml_anchors_and_are_ignored():
    """`x-student: &student {...}` (config/tune_default.yaml): extension keys as Compose's; a key without
    the prefix is still refused."""
    closed_checks({**copy.deepcopy(TINY), "x-student": {"anything": [1, 2]}})
    with pytest.raises(ConfigError, match=r"^y-student: unknown key"):
        closed_checks({**copy.deepcopy(TINY), "y-student": {}})
