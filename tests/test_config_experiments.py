"""A closed config for experiments: every key of every method is declared in its settings dataclass, and a
mistake is one line naming the key (and, for a likely typo, the closest valid key), before any job."""

from __future__ import annotations

import dataclasses
import glob

import pytest
import yaml

from conftest import ROOT, snakemake, workflow_copy
from cotdistill import experiments, seeds
from cotdistill.errors import ConfigError
from cotdistill.methods.base import Experiment

BASE = {
    "datasets": {"d": {"source": "generator", "n_dev": 4}},
    "teachers": {"t1": {"kind": "offline"}, "t2": {"kind": "offline"}},
    "students": {"s": {"template": "default", "init": {}}, "s2": {"template": "default", "init": {}}},
}
SPECS = {
    "distill": {"method": "distill", "datasets": ["d"], "teachers": ["t1"], "students": ["s"]},
    "factors": {"method": "factors", "datasets": ["d"], "teachers": ["t1"], "students": ["s"]},
    "multistyle": {"method": "multistyle", "datasets": ["d"], "teachers": ["t1"], "students": ["s"], "styles": ["code"]},
    "undo": {"method": "undo", "datasets": ["d"], "teachers": ["t1"], "students": ["s"]},
    "fair": {"method": "fair", "datasets": ["d"], "teachers": ["t1", "t2"], "students": ["s"]},
    "summarize": {"method": "summarize", "datasets": ["d"], "teachers": ["t1"], "students": []},
    "router": {"method": "router", "datasets": ["d"], "teachers": ["t1"], "students": ["s", "s2"], "styles": ["code"]},
}


def expand(name: str, **spec):
    return experiments.expand_runs({**BASE, "experiments": {name: spec}})


def test_every_method_is_registered_with_a_closed_settings_dataclass():
    assert set(experiments.METHODS) == set(SPECS)
    for name, m in experiments.METHODS.items():
        assert issubclass(m.settings, Experiment) and dataclasses.is_dataclass(m.settings), name
        assert expand(name, **SPECS[name]), f"{name}: a minimal experiment has runs"


def test_schema_lists_exactly_the_registered_methods():
    schema = yaml.safe_load((ROOT / "schemas/config.schema.yaml").read_text())
    enum = schema["properties"]["experiments"]["additionalProperties"]["properties"]["method"]["enum"]
    assert sorted(enum) == sorted(experiments.METHODS)


@pytest.mark.parametrize("method", sorted(SPECS))
def test_a_typo_in_any_method_names_the_key_and_the_closest_one(method):
    # `teacher` for `teachers`: common to every method
    spec = {**SPECS[method], "teacher": ["t1"]}
    with pytest.raises(ConfigError, match=r"^experiments\.e\.teacher: unknown key \(did you mean teachers\?\)$"):
        expand("e", **spec)


@pytest.mark.parametrize(("spec", "message"), [
    # the example: a typo of a method's own key
    ({**SPECS["undo"], "max_round": 5}, r"^experiments\.e\.max_round: unknown key \(did you mean max_rounds\?\)$"),
    ({**SPECS["undo"], "inti": "previous"}, r"^experiments\.e\.inti: unknown key \(did you mean init\?\)$"),
    ({**SPECS["factors"], "granularity": [1]}, r"did you mean granularities\?"),
    ({**SPECS["summarize"], "max_iteration": 2}, r"did you mean max_iterations\?"),
    ({**SPECS["multistyle"], "single_style": ["code"]}, r"did you mean single_styles\?"),
    # no close key: the known keys are listed
    ({**SPECS["distill"], "xyzzy": 1}, r"^experiments\.e\.xyzzy: unknown key \(known: .*promptings.*\)$"),
    # a key of another method
    ({**SPECS["distill"], "max_rounds": 2}, r"^experiments\.e\.max_rounds: unknown key"),
    ({**SPECS["undo"], "alpha": 0.3}, r"^experiments\.e\.alpha: only used by method fair$"),
    # nested blocks
    ({**SPECS["router"], "router": {"epoch": 2}}, r"^experiments\.e\.router\.epoch: unknown key \(did you mean epochs\?\)$"),
    ({**SPECS["router"], "router": {"lora": {"dropuot": 0.1}}}, r"^experiments\.e\.router\.lora\.dropuot: unknown key \(did you mean dropout\?\)$"),
    ({**SPECS["summarize"], "split": "train", "sft": {"students": ["s"], "fliter": "all"}}, r"^experiments\.e\.sft\.fliter: unknown key \(did you mean filter\?\)$"),
    # a wrong value or type
    ({**SPECS["distill"], "filter": "best"}, r"^experiments\.e\.filter: must be one of correct, all, got 'best'$"),
    ({**SPECS["undo"], "max_rounds": "2"}, r"^experiments\.e\.max_rounds: must be an integer"),
    ({**SPECS["router"], "router": {"consistency": "kld"}}, r"^experiments\.e\.router\.consistency = 'kld': must be one of"),
    # a name that is not defined
    ({**SPECS["distill"], "eval_datasets": ["nope"]}, r"^experiments\.e\.eval_datasets: 'nope' is not defined under datasets:"),
    ({**SPECS["summarize"], "split": "train", "sft": {"students": ["x"]}}, r"^experiments\.e\.sft\.students: 'x' is not defined under students:"),
])
def test_each_kind_of_mistake_is_one_line_naming_the_key(spec, message):
    with pytest.raises(ConfigError, match=message) as err:
        expand("e", **spec)
    assert "\n" not in str(err.value)


def test_an_unknown_method_names_the_closest_one():
    with pytest.raises(ConfigError, match=r"^experiments\.e\.method: 'distil' is not a method \(did you mean distill\?\)$"):
        expand("e", **{**SPECS["distill"], "method": "distil"})


def test_defaults_fill_in_and_values_are_typed():
    s = experiments.all_settings({**BASE, "experiments": {"e": SPECS["undo"]}})["e"]
    assert (s.max_rounds, s.sft, s.init, s.early_stop, s.baseline, s.filter) == (2, "replace", "base", False, True, "correct")
    s = experiments.all_settings({**BASE, "experiments": {"e": {**SPECS["undo"], "early_stop": True}}})["e"]
    assert s.early_stop == "dev"


CONFIGS = ["config.yaml", *sorted(glob.glob("config/**/*.yaml", root_dir=ROOT, recursive=True)),
           *sorted(glob.glob("tests/configs/*.yaml", root_dir=ROOT))]


@pytest.mark.parametrize("path", CONFIGS)
def test_every_shipped_config_validates(path):
    config = yaml.safe_load((ROOT / path).read_text())
    seeds.apply(config)
    settings = experiments.all_settings(config)
    assert set(settings) == set(config["experiments"]) and experiments.expand_runs(config, settings)


def test_snakemake_stops_on_a_typo_before_any_job(tmp_path):
    """The issue's case: `max_round: 5` and `inti: previous` used to run 2 rounds from the base model."""
    wd = workflow_copy(tmp_path / "wd", "tests/configs/rounds_tiny.yaml")
    cfg = yaml.safe_load((wd / "config.yaml").read_text())
    cfg["experiments"]["iter"]["max_round"] = cfg["experiments"]["iter"].pop("max_rounds")
    (wd / "config.yaml").write_text(yaml.safe_dump(cfg))
    proc = snakemake(wd, "-n", check=False)
    assert proc.returncode != 0
    assert "config error: experiments.iter.max_round: unknown key (did you mean max_rounds?)" in proc.stderr
    assert not (wd / "results").exists()
