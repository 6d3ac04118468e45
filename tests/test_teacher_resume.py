"""A stage run as its own process: kill -9 and resume, concurrent jobs sharing the cache, key redaction."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from openai_stub_server import StubHTTPServer

STAGE = r'''
import json, logging, sys
from cotdistill.io import write_json, write_jsonl
from cotdistill.teachers import Request, check_credentials, run_requests
url, cache, out, n, start = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
logging.basicConfig(filename=out + ".log", level=logging.DEBUG, force=True)
cfg = {"kind": "openai", "model": "stub", "base_url": url, "api_key_env": "STUB_STAGE_KEY", "concurrency": 4,
       "max_retries": 2, "retry_initial_s": 0.01, "temperature": 0.0}
logging.info("config: %s", json.dumps(cfg))
check_credentials("stub", cfg)
reqs = [Request(messages=[{"role": "user", "content": f"problem {i}"}]) for i in range(start, start + n)]
done, summary = run_requests("stub", cfg, reqs, cache_dir=cache, desc="resume")
write_jsonl(out, [{"prompt": r.messages[0]["content"], "response": c.text, "usage": c.usage(),
                   "cache_key": c.cache_key} for r, c in zip(reqs, done)])
write_json(out + ".summary.json", summary)
'''

SECRET = "sk-stage-SECRET-7f3a9c0e5b1d"


@pytest.fixture
def server():
    s = StubHTTPServer(latency=0.05, api_key=SECRET).start()
    yield s
    s.stop()


def stage(tmp_path: Path, url: str, cache: Path, out: Path, n: int, start: int = 0) -> subprocess.Popen:
    script = tmp_path / "stage.py"
    script.write_text(STAGE)
    env = {**os.environ, "STUB_STAGE_KEY": SECRET}
    return subprocess.Popen([sys.executable, str(script), url + "/v1", str(cache), str(out), str(n), str(start)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def cached_count(cache: Path) -> int:
    db = sqlite3.connect(cache / "responses.sqlite")
    try:
        return db.execute("SELECT COUNT(*) FROM responses").fetchone()[0]
    finally:
        db.close()


def test_kill_9_then_resume_sends_only_unanswered(server, tmp_path):
    n = 120  # ~1.5 s at concurrency 4 and 50 ms latency
    cache, out = tmp_path / "cache", tmp_path / "out.jsonl"
    proc = stage(tmp_path, server.url, cache, out, n)
    deadline = time.time() + 60
    while len(server.state.stats()["answered"]) < 40 and time.time() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not out.exists()  # killed mid-stage: no partial output
    k = cached_count(cache)
    assert 30 <= k < n

    server.state.reset()
    proc = stage(tmp_path, server.url, cache, out, n)
    log, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, log.decode()
    received = server.state.stats()["received"]
    assert len(received) == n - k and len(set(received)) == n - k  # only the unanswered, each once
    summary = json.loads(Path(str(out) + ".summary.json").read_text())
    assert summary["sent"] == n - k and summary["cache_hits"] == k

    clean_out = tmp_path / "clean.jsonl"
    proc = stage(tmp_path, server.url, tmp_path / "clean-cache", clean_out, n)
    proc.communicate(timeout=120)
    assert out.read_text() == clean_out.read_text()  # resumed output equals an uninterrupted run's


def test_concurrent_jobs_share_the_cache(server, tmp_path):
    cache = tmp_path / "cache"
    procs = [stage(tmp_path, server.url, cache, tmp_path / f"job{j}.jsonl", 60, start=30 * j) for j in range(3)]
    for p in procs:
        log, _ = p.communicate(timeout=120)
        assert p.returncode == 0, log.decode()
    assert cached_count(cache) == 120
    server.state.reset()
    proc = stage(tmp_path, server.url, cache, tmp_path / "all.jsonl", 120)
    proc.communicate(timeout=120)
    assert server.state.stats()["received"] == []


def test_the_key_is_in_no_file_a_stage_writes(server, tmp_path):
    cache, out = tmp_path / "cache", tmp_path / "out.jsonl"
    proc = stage(tmp_path, server.url, cache, out, 10)
    log, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, log.decode()
    assert len(out.read_text().splitlines()) == 10
    files = [p for p in tmp_path.rglob("*") if p.is_file() and p.name != "stage.py"]
    assert {"out.jsonl", "out.jsonl.log", "out.jsonl.summary.json", "responses.sqlite"} <= {p.name for p in files}
    for p in files:
        assert SECRET.encode() not in p.read_bytes(), p
    assert SECRET.encode() not in log
