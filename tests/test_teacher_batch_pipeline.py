"""A batch teacher through real snakemake: the same DAG as the online teacher; with batch_wait: false the
rationales job submits, fails with a one-line "run it again" and writes no output, and the next run collects
the same batch (nothing resubmitted) and never writes the key anywhere."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
import yaml
from batch_stub_server import BatchStubServer

from conftest import dry_run_jobs, snakemake

KEY = "sk-cotdistill-batch-0123456789SECRET"
ROWS = "results/rationales/api/chain_sum/cot.jsonl"
DIRECT = "results/rationales/api/chain_sum/direct.jsonl"


@pytest.fixture
def server():
    s = BatchStubServer(api_key=KEY, delay=3.0).start()
    yield s
    s.stop()


def workdir(path: Path, server, **teacher) -> Path:
    api = {"kind": "openai", "model": "stub-model", "base_url": server.url + "/v1", "api_key_env": "COTDISTILL_TEST_KEY",
           "max_tokens": 64, "price": {"prompt_per_mtok": 1.0, "completion_per_mtok": 2.0}, **teacher}
    cfg = {
        "datasets": {"chain_sum": {"source": "generator", "n_train": 12, "n_test": 4,
                                   "params": {"min_terms": 3, "max_terms": 3, "min_digits": 1, "max_digits": 1}}},
        "teachers": {"api": api},
        "students": {"tiny": {"init": {"hidden_size": 32}, "template": "default"}},
        "experiments": {"api_cot": {"method": "distill", "datasets": ["chain_sum"], "teachers": ["api"],
                                    "students": ["tiny"], "promptings": ["cot", "direct"]}},
    }
    path.mkdir(parents=True, exist_ok=True)
    (path / "config.yaml").write_text(yaml.safe_dump(cfg))
    return path


def test_a_batch_teacher_plans_the_same_dag_as_an_online_one(tmp_path, server, monkeypatch):
    monkeypatch.setenv("COTDISTILL_TEST_KEY", KEY)
    online = dry_run_jobs(workdir(tmp_path / "online", server))
    batch = dry_run_jobs(workdir(tmp_path / "batch", server, batch=True, batch_wait=False,
                                 price={"prompt_per_mtok": 1.0, "completion_per_mtok": 2.0, "batch_prompt_per_mtok": 0.4}))
    assert online == batch and online["rationales"] == 2 and online["all"] == 1
    assert server.counts()["uploads"] == 0


@pytest.mark.e2e
def test_batch_wait_false_fails_the_jobs_and_the_next_run_collects(tmp_path, server, monkeypatch):
    monkeypatch.setenv("COTDISTILL_TEST_KEY", KEY)
    wd = workdir(tmp_path, server, batch=True, batch_wait=False, batch_poll_s=0.2)
    proc = snakemake(wd, ROWS, DIRECT, "--cores", "1", "--keep-going", check=False)
    assert proc.returncode != 0 and not (wd / ROWS).exists() and not (wd / DIRECT).exists()
    log = (wd / "results/logs/rationales/api/chain_sum/cot.log").read_text()
    last = log.strip().splitlines()[-1]
    assert re.search(r"BatchPending: teachers.api: 12 requests wait in 1 submitted batch\(es\) \(batch_000[12]\)", last)
    assert "run it again to collect" in last and "submitted (12 requests" in log
    for batch in ("batch_0001", "batch_0002"):  # --keep-going: both promptings submitted in one pass, on the console
        assert f"BatchPending: teachers.api: 12 requests wait in 1 submitted batch(es) ({batch})" in proc.stderr
    assert server.counts()["creates"] == 2
    ids = sorted(json.loads(p.read_text())["id"] for p in (wd / "results/.cache/llm/batches").glob("*.json"))
    assert ids == ["batch_0001", "batch_0002"]
    leaks = [p for p in wd.rglob("*") if p.is_file() and not p.is_symlink() and KEY.encode() in p.read_bytes()]
    assert leaks == []

    time.sleep(3.0)
    snakemake(wd, ROWS, DIRECT, "--cores", "1")
    counts = server.counts()
    assert counts["creates"] == 2 and counts["uploads"] == 2 and counts["requests"] == 24
    for target, prompting in ((ROWS, "cot"), (DIRECT, "direct")):
        rows = [json.loads(line) for line in (wd / target).read_text().splitlines()]
        assert len(rows) == 12 and all(r["finish_reason"] == "stop" and r["response"].startswith("Echo: ") for r in rows)
        summary = json.loads((wd / f"results/rationales/api/chain_sum/{prompting}.summary.json").read_text())
        assert summary["sent"] == 0 and summary["batch"]["batches_resumed"] == 1 and summary["cost_usd"] > 0
    assert not list((wd / "results/.cache/llm/batches").glob("*.json"))

    snakemake(wd, ROWS, "--cores", "1", "--forcerun", "rationales")  # answered by the cache, nothing sent
    assert server.counts() == counts
    leaks = [p for p in wd.rglob("*") if p.is_file() and not p.is_symlink() and KEY.encode() in p.read_bytes()]
    assert leaks == []
