"""An OpenAI-compatible teacher through real snakemake, against a real HTTP server on 127.0.0.1: the key
is checked before any job, never written anywhere, and a re-run of the stage is answered by the cache."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from conftest import snakemake
from openai_stub_server import StubHTTPServer

KEY = "sk-cotdistill-test-0123456789abcdefSECRET"
TARGET = "results/sft/api.cot.correct/chain_sum/train.json"


@pytest.fixture
def server():
    s = StubHTTPServer(api_key=KEY).start()
    yield s
    s.stop()


def workdir(tmp_path: Path, server) -> Path:
    cfg = {
        "datasets": {"chain_sum": {"source": "generator", "n_train": 12, "n_test": 4,
                                   "params": {"min_terms": 3, "max_terms": 3, "min_digits": 1, "max_digits": 1}}},
        "teachers": {"api": {"kind": "openai", "model": "stub-model", "base_url": server.url + "/v1",
                             "api_key_env": "COTDISTILL_TEST_KEY", "concurrency": 4, "max_tokens": 64,
                             "price": {"prompt_per_mtok": 1.0, "completion_per_mtok": 2.0}}},
        "students": {"tiny": {"init": {"hidden_size": 32}, "template": "default"}},
        "experiments": {"api_cot": {"method": "distill", "datasets": ["chain_sum"], "teachers": ["api"],
                                    "students": ["tiny"], "promptings": ["cot"]}},
    }
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(cfg))
    return tmp_path


def test_missing_key_stops_before_any_job(tmp_path, server, monkeypatch):
    monkeypatch.delenv("COTDISTILL_TEST_KEY", raising=False)
    wd = workdir(tmp_path, server)
    proc = snakemake(wd, TARGET, "--cores", "1", check=False)
    assert proc.returncode != 0
    assert "environment variable COTDISTILL_TEST_KEY is not set" in proc.stderr
    assert not (wd / "results/data").exists() and server.state.stats()["received"] == []


def test_api_teacher_run_is_cached_and_never_leaks_the_key(tmp_path, server, monkeypatch):
    monkeypatch.setenv("COTDISTILL_TEST_KEY", KEY)
    wd = workdir(tmp_path, server)
    snakemake(wd, TARGET, "--cores", "2")
    assert len(server.state.stats()["received"]) == 12
    summary = yaml.safe_load((wd / "results/rationales/api/chain_sum/cot.summary.json").read_text())
    assert summary["sent"] == 12 and summary["prompt_tokens"] > 0 and summary["cost_usd"] > 0

    # rerun the teacher stage: every answer comes from the cache, none is sent
    snakemake(wd, TARGET, "--cores", "2", "--forcerun", "rationales")
    assert len(server.state.stats()["received"]) == 12
    summary = yaml.safe_load((wd / "results/rationales/api/chain_sum/cot.summary.json").read_text())
    assert summary["sent"] == 0 and summary["cache_hits"] == 12

    leaks = [p for p in wd.rglob("*") if p.is_file() and not p.is_symlink() and KEY.encode() in p.read_bytes()]
    assert leaks == []
