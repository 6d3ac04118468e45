"""SmolLM2-135M-Instruct as a `kind: openai` teacher against a real OpenAI-compatible server,
`llamafactory-cli api` serving the converted folder on 127.0.0.1: a kill -9 of the rationales stage and a
resume that sends only the unanswered requests, a rerun served from the cache, and the key in no file."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, SNAKEMAKE, snakemake
from cotdistill.io import read_jsonl
from test_real_model_teacher import MODEL, check_rows, converted, provide_model, summary, workdir  # noqa: F401

KEY = "sk-cotdistill-smollm2-test-5f3a9c0e7d1bKEY"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def served(tmp_path, lf_python, monkeypatch, converted):
    """The converted SmolLM2 folder (built by the workflow's import_gguf rule), served by `llamafactory-cli api`."""
    port = free_port()
    wd = workdir(tmp_path / "run", {"smol_api": {"kind": "openai", "model": "smollm2", "base_url": f"http://127.0.0.1:{port}/v1",
                                                 "api_key_env": "COTDISTILL_SMOL_KEY", "concurrency": 2, "max_tokens": 32,
                                                 "timeout_s": 300}}, n_train=8)
    monkeypatch.setenv("COTDISTILL_SMOL_KEY", KEY)
    provide_model(wd, converted)
    api_cfg = tmp_path / "api.yaml"
    api_cfg.write_text(yaml.safe_dump({"model_name_or_path": str(wd / MODEL), "template": "smollm2", "infer_backend": "huggingface"}))
    cli = Path(lf_python).with_name("llamafactory-cli")
    env = {**os.environ, "API_HOST": "127.0.0.1", "API_PORT": str(port), "API_KEY": KEY, "API_MODEL_NAME": "smollm2",
           "OMP_NUM_THREADS": "2", "HF_HUB_OFFLINE": "1", "DISABLE_VERSION_CHECK": "1",
           "PYTHONPATH": str(ROOT / "src" / "cotdistill" / "_shims")}  # LLaMA-Factory imports torchaudio (a shim here)
    log = open(tmp_path / "server.log", "w")
    server = subprocess.Popen([str(cli), "api", str(api_cfg)], env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.time() + 600
    while True:
        try:
            req = urllib.request.Request(f"http://127.0.0.1:{port}/v1/models", headers={"Authorization": f"Bearer {KEY}"})
            with urllib.request.urlopen(req, timeout=5) as resp:
                assert json.load(resp)["data"][0]["id"] == "smollm2"
            break
        except OSError:
            if server.poll() is not None or time.time() > deadline:
                raise AssertionError("llamafactory-cli api did not start:\n" + (tmp_path / "server.log").read_text()[-3000:])
            time.sleep(1)
    yield wd
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()
    log.close()


def cached(wd: Path) -> int:
    db = wd / "results/.cache/llm/responses.sqlite"
    if not db.exists():
        return 0
    con = sqlite3.connect(db, timeout=30)
    try:
        return con.execute("SELECT COUNT(*) FROM responses").fetchone()[0]
    except sqlite3.OperationalError:
        return 0
    finally:
        con.close()


@pytest.mark.timeout(1500)
def test_openai_teacher_against_a_real_llamafactory_server(served):
    wd = served
    target = "results/rationales/smol_api/arith/cot.jsonl"
    cmd = [str(SNAKEMAKE), "-s", str(ROOT / "Snakefile"), "--directory", str(wd), target, "--cores", "2",
           "--configfile", str(wd / "config.yaml")]  # --configfile takes every word after it
    # kill -9 the whole stage (snakemake and its job) once a few answers are in the cache
    stage_log = wd.parent / "stage.log"
    with open(stage_log, "w") as log:
        stage = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.time() + 900
    while cached(wd) < 3 and stage.poll() is None and time.time() < deadline:
        time.sleep(0.2)
    assert stage.poll() is None, "the stage ended before it could be killed:\n" + stage_log.read_text()[-3000:]
    n = len(read_jsonl(wd / "results/data/arith/train.jsonl"))
    os.killpg(stage.pid, signal.SIGKILL)
    stage.wait()
    k = cached(wd)
    assert 3 <= k < n and not (wd / target).exists()

    snakemake(wd, "--unlock")
    snakemake(wd, target, "--cores", "2", "--rerun-incomplete", timeout=900)
    resumed = summary(wd, "smol_api")
    assert resumed["requests"] == n and resumed["sent"] == n - k and resumed["cache_hits"] == k  # only the unanswered
    rows = check_rows(wd, "smol_api", n)
    assert all(r["usage"]["completion_tokens"] <= 32 for r in rows)  # max_tokens reached the server

    snakemake(wd, target, "--cores", "2", "--forcerun", "rationales", timeout=900)
    again = summary(wd, "smol_api")
    assert again["sent"] == 0 and again["cache_hits"] == n  # a rerun is served entirely from the cache
    assert read_jsonl(wd / target) == rows

    leaks = subprocess.run(["grep", "-rlF", KEY, str(wd)], capture_output=True, text=True)
    assert leaks.returncode == 1 and leaks.stdout == "", leaks.stdout  # the key is in no file under the run
    # and no file holds the key's tail either (a partially masked key)
    assert subprocess.run(["grep", "-rlF", KEY[-12:], str(wd)], capture_output=True).returncode == 1
