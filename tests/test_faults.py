"""Faults in CI (issue #18, item 6): the whole Snakemake process group killed with SIGKILL while a student
trains and while it generates, then `--unlock` and `--rerun-incomplete`, gives the same all.csv as an
uninterrupted run; a damaged teacher-cache row and a truncated JSONL output are detected and rebuilt,
never used as they are."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, SNAKEMAKE, snakemake, workflow_copy
from cotdistill.io import CorruptFile, digest_path, read_jsonl, remove_damaged, write_jsonl
from cotdistill.teachers import Request, run_requests
from openai_stub_server import StubHTTPServer

TABLE = "results/tables/all.csv"
RUN = "tiny/chain_sum/offline.cot.correct"


def fault_config() -> dict:
    cfg = yaml.safe_load((ROOT / "tests/configs/tiny.yaml").read_text())
    cfg["experiments"] = {"baseline": {"method": "distill", "datasets": ["chain_sum"], "teachers": ["offline"],
                                       "students": ["tiny"], "promptings": ["cot"]}}
    return cfg


def fault_workdir(path: Path) -> Path:
    wd = workflow_copy(path)
    (wd / "config.yaml").write_text(yaml.safe_dump(fault_config()))
    return wd


@pytest.fixture(scope="module")
def reference(tmp_path_factory, lf_python):
    """An uninterrupted run of the small pipeline: its workdir and its all.csv."""
    wd = fault_workdir(tmp_path_factory.mktemp("faults") / "reference")
    snakemake(wd, TABLE, "--cores", "2")
    return wd, (wd / TABLE).read_bytes()


def _start(wd: Path, *args: str) -> subprocess.Popen:
    """snakemake in its own process group (the group that a preemption or an OOM killer takes down)."""
    cmd = [str(SNAKEMAKE), "-s", str(ROOT / "Snakefile"), "--directory", str(wd), TABLE, "--cores", "2",
           "--configfile", str(wd / "config.yaml"), *args]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def _kill_when(proc: subprocess.Popen, started: Path, rng: random.Random, longest: float, timeout: float = 600) -> float:
    """SIGKILL the whole group at a seeded random moment after ``started`` (a job's log) appears."""
    deadline = time.time() + timeout
    while not started.exists():
        assert proc.poll() is None, f"snakemake ended before {started} appeared"
        assert time.time() < deadline, f"{started} did not appear"
        time.sleep(0.05)
    delay = rng.uniform(0.0, longest)
    time.sleep(delay)
    assert proc.poll() is None, "the run finished before the kill"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    return delay


def test_sigkill_of_the_whole_run_then_rerun_gives_the_same_table(tmp_path, reference):
    _, expected = reference
    wd = fault_workdir(tmp_path / "killed")
    rng = random.Random(18)
    # 1. killed while training (the train job's log is created when the job starts)
    _kill_when(_start(wd), wd / f"results/logs/train/{RUN}.log", rng, longest=3.0)
    assert not (wd / TABLE).exists() and not (wd / f"results/checkpoints/{RUN}").exists()
    # 2. the lock is left behind; unlock, rerun, killed again while generating
    snakemake(wd, TABLE, "--unlock")
    _kill_when(_start(wd, "--rerun-incomplete"), wd / f"results/logs/generate/{RUN}/chain_sum.log", rng, longest=1.0)
    assert not (wd / TABLE).exists()
    # 3. unlock and finish: the same table as the uninterrupted run
    snakemake(wd, TABLE, "--unlock")
    snakemake(wd, TABLE, "--cores", "2", "--rerun-incomplete")
    assert (wd / TABLE).read_bytes() == expected


def test_a_truncated_jsonl_output_is_removed_and_rebuilt(tmp_path, reference):
    ref, expected = reference
    wd = tmp_path / "copy"
    shutil.copytree(ref, wd, symlinks=True)
    generations = wd / f"results/generations/{RUN}/chain_sum.jsonl"
    scores = wd / f"results/eval/{RUN}/chain_sum.jsonl"
    good_generations, good_scores = generations.read_bytes(), scores.read_bytes()
    lines = good_generations.splitlines(keepends=True)
    assert len(lines) >= 2
    generations.write_bytes(b"".join(lines[:-1]))  # cut at a line boundary: every line still parses
    scores.write_bytes(good_scores[: len(good_scores) // 2])  # cut mid-line
    # Snakemake does not rebuild a missing intermediate whose consumers are up to date: make them need to run
    (wd / f"results/eval/{RUN}/chain_sum.metrics.json").unlink()
    (wd / TABLE).unlink()
    proc = snakemake(wd, TABLE, "--cores", "2")
    out = proc.stdout + proc.stderr
    for path in (generations, scores):
        assert f"{path.relative_to(wd)}: damaged (" in out
    # both were rebuilt before anything read them, without retraining; the table is the same
    assert "rule generate:" in out and "rule score:" in out and "rule train:" not in out
    assert generations.read_bytes() == good_generations and scores.read_bytes() == good_scores
    assert (wd / TABLE).read_bytes() == expected


def test_a_changed_jsonl_is_not_read(tmp_path):
    path = tmp_path / "rows.jsonl"
    write_jsonl(path, [{"id": i, "answer": str(i)} for i in range(3)])
    assert json.loads(digest_path(path).read_text())["bytes"] == path.stat().st_size
    assert remove_damaged(tmp_path) == [] and read_jsonl(path)[2] == {"id": 2, "answer": "2"}
    path.write_bytes(path.read_bytes().replace(b'"answer": "2"', b'"answer": "7"'))  # same size, other content
    assert remove_damaged(tmp_path) == []  # sizes match: the cheap startup check cannot tell
    with pytest.raises(CorruptFile, match=rf"{path}: damaged \(its content changed since it was written\)"):
        read_jsonl(path)
    assert not path.exists() and not digest_path(path).exists()  # removed, so the workflow rebuilds it


def test_a_damaged_cache_row_is_sent_again_and_replaced(tmp_path):
    server = StubHTTPServer().start()
    try:
        cfg = {"kind": "openai", "model": "stub-model", "base_url": server.url + "/v1", "max_retries": 1,
               "retry_initial_s": 0.02, "timeout_s": 5.0}
        requests = [Request(messages=[{"role": "user", "content": f"question {i}"}], params={}) for i in range(6)]
        first, s1 = run_requests("t", cfg, requests, cache_dir=str(tmp_path))
        assert s1["sent"] == 6
        db = sqlite3.connect(tmp_path / "responses.sqlite")
        keys = sorted(k for (k,) in db.execute("SELECT key FROM responses"))
        record = json.loads(db.execute("SELECT record FROM responses WHERE key = ?", (keys[0],)).fetchone()[0])
        damaged = [json.dumps(record)[:20],  # a truncated record: not JSON
                   json.dumps({**record, "text": ["not", "text"]}),  # a field of the wrong type
                   json.dumps({k: v for k, v in record.items() if k != "finish_reason"})]  # a field missing
        for key, bad in zip(keys, damaged):
            db.execute("UPDATE responses SET record = ? WHERE key = ?", (bad, key))
        db.commit()
        db.close()
        second, s2 = run_requests("t", cfg, requests, cache_dir=str(tmp_path))
        assert (s2["sent"], s2["cache_hits"]) == (3, 3)  # the damaged rows were sent again, not used
        assert [c.text for c in second] == [c.text for c in first]
        third, s3 = run_requests("t", cfg, requests, cache_dir=str(tmp_path))
        assert (s3["sent"], s3["cache_hits"]) == (0, 6)  # and replaced
        assert [c.text for c in third] == [c.text for c in first]
    finally:
        server.stop()
