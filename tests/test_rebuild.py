"""Rebuild only what changed (docs/rebuild.md): each row of cotdistill.rebuild.TABLE applied in turn to one
finished tiny run, then a dry-run with the default --rerun-triggers plans exactly the declared rules, in the
declared cells. Unit tests pin what each rule's params keep and drop (cotdistill.params)."""

from __future__ import annotations

import json
import os
import re
import shutil
from concurrent.futures import ThreadPoolExecutor

import pytest
import yaml

from conftest import ROOT, snakemake, workflow_copy
from openai_stub_server import StubHTTPServer
from cotdistill import params as deps
from cotdistill import rebuild
from cotdistill.teacher_prompts import solve_requests
from cotdistill.teachers import Request
from cotdistill.teachers.offline import OfflineTeacher

PROBLEMS = [{"id": f"p{i}", "dataset": "d", "question": f"What is {i} + {i} + 1?", "answer": str(2 * i + 1),
             "answer_type": "number", "meta": {"expression": f"{i} + {i} + 1"}} for i in range(40)]


# --- the dependency table, on a finished run -------------------------------------------------------------


@pytest.fixture(scope="module")
def server():
    stub = StubHTTPServer().start()
    yield stub
    stub.stop()


@pytest.fixture(scope="module")
def done(tmp_path_factory, lf_python, server):
    """A workdir where the rebuild tiny config (+ the API teacher on the stub server) has run to its table once."""
    os.environ[rebuild.API_KEY_ENV] = "sk-rebuild-test"
    wd = workflow_copy(tmp_path_factory.mktemp("rebuild"), rebuild.CONFIG)
    cfg = rebuild.with_api_teacher(yaml.safe_load((wd / "config.yaml").read_text()), server.url + "/v1")
    (wd / "config.yaml").write_text(yaml.safe_dump(cfg))
    snakemake(wd, "--cores", "2", rebuild.TARGET)
    yield wd
    os.environ.pop(rebuild.API_KEY_ENV, None)


def planned(wd, config_path) -> list[tuple[str, dict]]:
    """(rule, wildcards) of every job a dry-run of the target plans under ``config_path``."""
    proc = snakemake(wd, rebuild.TARGET, "-n", "--configfile", str(config_path))
    jobs, rule = [], None
    for line in proc.stdout.splitlines():
        m = re.match(r"(?:local)?rule (\w+):$", line.strip())
        if m:
            rule = m.group(1)
            jobs.append((rule, {}))
        elif line.strip().startswith("wildcards:") and jobs:
            jobs[-1][1].update(kv.split("=", 1) for kv in line.strip()[len("wildcards:"):].strip().split(", "))
    return jobs


@pytest.fixture(scope="module")
def plans(done, tmp_path_factory):
    """Every change's planned jobs (dry-runs three at a time: they only read the finished run)."""
    base = yaml.safe_load((done / "config.yaml").read_text())
    folder = tmp_path_factory.mktemp("changes")

    def one(i):
        path = folder / f"change{i}.yaml"
        path.write_text(yaml.safe_dump(rebuild.apply(base, rebuild.TABLE[i])))
        return planned(done, path)

    with ThreadPoolExecutor(3) as pool:
        return dict(zip(range(len(rebuild.TABLE)), pool.map(one, range(len(rebuild.TABLE)))))


@pytest.mark.e2e
def test_finished_run_plans_nothing(done):
    assert planned(done, done / "config.yaml") == []


@pytest.mark.e2e
@pytest.mark.parametrize("i", range(len(rebuild.TABLE)), ids=[c.what for c in rebuild.TABLE])
def test_change_reruns_exactly_its_row(plans, i):
    change = rebuild.TABLE[i]
    jobs = plans[i]
    assert {rule for rule, _ in jobs} == set(change.reruns), jobs
    for rule, wildcards in jobs:
        for name, pattern in change.cells.items():
            only, _, name = name.rpartition(":")
            if name in wildcards and only in ("", rule):
                assert re.fullmatch(pattern, wildcards[name]), f"{rule} {wildcards}: {name} outside {pattern}"


@pytest.mark.e2e
def test_style_plain_rate_plans_only_the_plain_branch(plans):
    """The issue's example, in numbers: one rationale file, its SFT set, training and evaluation, the table."""
    i = next(i for i, c in enumerate(rebuild.TABLE) if c.what == "teachers.offline.style_error_rates.plain")
    counts = {}
    for rule, _ in plans[i]:
        counts[rule] = counts.get(rule, 0) + 1
    assert counts == {"rationales": 1, "sft": 1, "lf_config": 1, "train": 1, "generate": 1, "score": 1, "table": 1}


def test_docs_table_is_current():
    assert (ROOT / "docs" / "rebuild.md").read_text() == rebuild.markdown()


def test_readme_links_the_table():
    assert "docs/rebuild.md" in (ROOT / "README.md").read_text()


# --- what the params keep and drop ------------------------------------------------------------------------


def test_teacher_operational_keys_leave_params_unchanged():
    api = {"kind": "openai", "model": "m", "temperature": 0.0, "max_tokens": 256}
    ops = {"concurrency": 3, "rpm": 60, "tpm": 1000, "timeout_s": 5, "max_retries": 1, "retry_initial_s": 2, "retry_max_s": 9,
           "price": {"prompt_per_mtok": 1.0}, "batch": True, "batch_wait": False, "batch_max_requests": 10,
           "batch_max_bytes": 1000, "batch_poll_s": 1, "batch_poll_max_s": 2, "batch_rounds": 1, "api_key_env": "K"}
    assert set(ops) | {"device"} == set(deps.TEACHER_OPERATIONAL)
    assert deps.teacher_output_params({**api, **ops}) == deps.teacher_output_params(api) == json.dumps(api, sort_keys=True)
    for key, value in {"temperature": 0.7, "max_tokens": 512, "model": "n", "top_p": 0.9, "system": "s", "seed": 3}.items():
        assert deps.teacher_output_params({**api, key: value}) != deps.teacher_output_params(api), key


def test_summarize_rules_record_only_what_changes_a_solvers_answers():
    """Iterated summarization's loop rules record a solver's name and its output keys (not its whole block):
    a teacher's concurrency or rate limits, or a trained student's generation batch size, rerun nothing."""
    from cotdistill.methods import summarize
    from cotdistill.paths import Layout

    api = {"kind": "openai", "model": "m", "temperature": 0.0, "api_key_env": "K"}
    student = {"template": "default", "generation": {"max_new_tokens": 64, "batch_size": 8}}
    config = {"teachers": {"t": api}, "students": {"s": student}}

    def key(teacher=api, gen=student["generation"]):
        cfg = {"teachers": {"t": teacher}, "students": {"s": {**student, "generation": gen}}}
        return (summarize.solver_key(cfg, "t", "d", Layout("R")), summarize.solver_key(cfg, "s@t.cot.correct", "d", Layout("R")))

    base = key()
    assert base[0] == f"t {deps.teacher_output_params(api)} True"
    assert "R/checkpoints/s/d/t.cot.correct" in base[1] and base[1].endswith(" False")
    assert key(teacher={**api, "concurrency": 64, "rpm": 10, "max_retries": 9}) == base
    assert key(gen={"max_new_tokens": 64, "batch_size": 32}) == base
    assert key(teacher={**api, "temperature": 0.5})[0] != base[0] and key(gen={"max_new_tokens": 32, "batch_size": 8})[1] != base[1]
    s = summarize.METHOD.parse("e", {"method": "summarize", "datasets": ["d"], "teachers": ["t"], "summarizer": "t"})
    assert summarize.summarizer_key(config, s, "s@t.cot.correct", "d", Layout("R")) == base[0]


def test_hf_teacher_batch_size_matters_only_when_sampling():
    hf = {"kind": "hf", "model": "m", "temperature": 0.0, "batch_size": 8}
    assert deps.teacher_output_params(hf) == deps.teacher_output_params({**hf, "batch_size": 2, "device": "cpu"})
    hot = {**hf, "temperature": 0.7}
    assert deps.teacher_output_params(hot) != deps.teacher_output_params({**hot, "batch_size": 2})


def test_offline_params_are_the_rate_of_the_prompting():
    cfg = {"kind": "offline", "error_rate": 0.2, "style_error_rates": {"plain": 0.3}, "review_error_rate": 0.1}
    plain, cot = (deps.teacher_output_params(cfg, p) for p in ("style-plain", "cot"))
    assert json.loads(plain) == {"kind": "offline", "error_rate": 0.3} and json.loads(cot) == {"kind": "offline", "error_rate": 0.2}
    changed = {**cfg, "style_error_rates": {"plain": 0.5}}
    assert deps.teacher_output_params(changed, "style-plain") != plain and deps.teacher_output_params(changed, "cot") == cot
    assert deps.teacher_output_params({**cfg, "error_rate": 0.9}, "style-plain") == plain
    assert deps.teacher_output_params({**cfg, "review_error_rate": 0.5}, "cot") == cot
    # a non-solve prompting (a round's regeneration) keeps every rate
    assert json.loads(deps.teacher_output_params(cfg, "undo-x-tiny-r1"))["style_error_rates"] == {"plain": 0.3}


@pytest.mark.parametrize("prompting", ["style-plain", "cot", "direct", "g3-symbolic", "strong"])
def test_offline_answers_depend_only_on_the_reduced_params(prompting):
    """The reduced params are enough: the teacher built from them writes the same answers as from the full block."""
    full = {"kind": "offline", "error_rate": 0.2, "style_error_rates": {"plain": 0.6, "grid": 0.4}, "review_error_rate": 0.3, "seed": 2}
    reduced = json.loads(deps.teacher_output_params(full, prompting))
    answers = [[OfflineTeacher("t", cfg).complete(r).text for r in solve_requests(PROBLEMS, prompting, cfg)] for cfg in (full, reduced)]
    assert answers[0] == answers[1]
    wrong = sum("\\boxed{" + p["answer"] + "}" not in a for p, a in zip(PROBLEMS, answers[0]))
    assert wrong > 0  # the rate is in effect (0.2..0.6 of 40 problems)


def test_offline_reviews_depend_only_on_the_reduced_params():
    full = {"kind": "offline", "error_rate": 0.2, "style_error_rates": {"plain": 0.6, "step_by_step": 0.3}, "review_error_rate": 0.4}
    reduced = json.loads(deps.teacher_output_params(full, deps.ROUND_SOLVES, review=True))
    assert reduced == {"kind": "offline", "error_rate": 0.3, "review_error_rate": 0.4}
    tasks = [{"kind": kind, "problem": p, "pred": p["answer"], "author": "a", "hint": False, "attempt_pred": "0", "attempt": "x"}
             for p in PROBLEMS for kind in ("review", "feedback")]
    texts = [[OfflineTeacher("t", cfg).complete(Request(messages=[{"role": "user", "content": "q"}], params={}, task=t)).text
              for t in tasks] for cfg in (full, reduced)]
    assert texts[0] == texts[1]
    assert deps.teacher_output_params({**full, "style_error_rates": {"plain": 0.1, "step_by_step": 0.3}}, deps.ROUND_SOLVES, review=True) \
        == deps.teacher_output_params(full, deps.ROUND_SOLVES, review=True)


def test_train_params_drop_generation_resources_and_intervals():
    student = {"template": "default", "init": {"hidden_size": 32}, "train": {"learning_rate": 1e-3, "logging_steps": 1},
               "generation": {"max_new_tokens": 40, "batch_size": 8}, "resources": {"mem_mb": 100},
               "distributed": {"strategy": "ddp", "master_port": 29500}}
    base = deps.train_params(student)
    assert json.loads(base) == {"template": "default", "init": {"hidden_size": 32}, "train": {"learning_rate": 1e-3},
                                "distributed": {"strategy": "ddp"}}
    assert deps.train_params({**student, "generation": {"max_new_tokens": 99}, "resources": {}}) == base
    assert deps.train_params({**student, "train": {"learning_rate": 2e-3}}) != base


def test_generation_batch_size_is_operational_unless_decoding_samples():
    greedy = {"template": "t", "generation": {"batch_size": 8}}
    assert isinstance(deps.generation_batch_size(greedy), deps.Operational) and str(deps.generation_batch_size(greedy)) == "8"
    assert deps.generation_batch_size({"template": "t", "generation": {"batch_size": 8, "decoding": {"strategy": "best_of", "n": 2}}}) == 8
    assert "batch_size" not in deps.generation_params(greedy)["generation"]


def test_operational_formats_as_its_value():
    """As Snakemake formats a shell command (``:q`` quotes)."""
    from snakemake.utils import QuotedFormatter

    cmd = QuotedFormatter().format("{0:q} --x {1:q}", deps.Operational("/a b/python"), deps.Operational({"b": 1, "a": 2}))
    assert cmd == "'/a b/python' --x '{\"a\": 2, \"b\": 1}'"


def test_code_hash_answer_checker_change_reruns_score_only(tmp_path):
    """A copy of the code each rule hashes; an edit in the answer checker changes score's hash and no other."""
    paths = {p for ps in list(deps.CODE.values()) + list(deps.TEACHER_CODE.values()) for p in ps}
    for rel in paths:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        if (ROOT / rel).is_dir():
            shutil.copytree(ROOT / rel, tmp_path / rel)
        else:
            shutil.copy(ROOT / rel, tmp_path / rel)
    keys = [(rule, None) for rule in deps.CODE] + [("rationales", kind) for kind in ("offline", "hf", "openai")]
    before = {k: deps.code(*k, root=tmp_path) for k in keys}
    checker = sorted((tmp_path / "src/cotdistill/answers").glob("*.py"))[0]
    checker.write_text(checker.read_text() + "\n# a change\n")
    after = {k: deps.code(*k, root=tmp_path) for k in keys}
    assert [k for k in keys if before[k] != after[k]] == [("score", None)]
    offline = tmp_path / "src/cotdistill/teachers/offline.py"
    offline.write_text(offline.read_text() + "\n# a change\n")
    again = {k: deps.code(*k, root=tmp_path) for k in keys}
    assert [k for k in keys if again[k] != after[k]] == [("rationales", "offline")]
