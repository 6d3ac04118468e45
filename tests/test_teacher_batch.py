"""Batch mode through the real SDKs against a local server with OpenAI's /v1/files + /v1/batches and
Gemini's v1beta batch shape: answers equal online ones, limits split batches, partial failures and expiry
resubmit only what is missing, batch_wait: false submits and stops, kill -9 while polling resumes the same
batch, the key is in no file."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from batch_stub_server import BatchStubServer

from cotdistill.teachers import BatchPending, Request, check_credentials, make_backend, run_requests

SECRET = "sk-batch-SECRET-4e1f09a7c3b2"


@pytest.fixture
def server(request):
    opts = getattr(request, "param", {})
    s = BatchStubServer(api_key=SECRET, **{"delay": 0.3, **opts}).start()
    yield s
    s.stop()


@pytest.fixture(autouse=True)
def key(monkeypatch):
    monkeypatch.setenv("BATCH_STUB_KEY", SECRET)


def cfg_for(server, **over) -> dict:
    cfg = {"kind": "openai", "model": "stub-model", "base_url": server.url + "/v1", "api_key_env": "BATCH_STUB_KEY",
           "batch": True, "batch_poll_s": 0.05, "batch_poll_max_s": 0.1, "max_retries": 2, "retry_initial_s": 0.01,
           "max_tokens": 32, "price": {"prompt_per_mtok": 2.0, "completion_per_mtok": 8.0}}
    cfg.update(over)
    return cfg


def reqs(*prompts: str) -> list[Request]:
    return [Request(messages=[{"role": "system", "content": "sys"}, {"role": "user", "content": p}]) for p in prompts]


def ledger(cache: Path) -> list[Path]:
    return sorted((cache / "batches").glob("*.json"))


def test_batch_answers_equal_online_ones_and_a_rerun_sends_nothing(server, tmp_path):
    prompts = [f"question {i}" for i in range(12)] + ["cut [[length]]", "nothing [[empty]]", "question 0"]
    out, s = run_requests("b", cfg_for(server), reqs(*prompts), cache_dir=str(tmp_path / "cache"))
    online, _ = run_requests("o", cfg_for(server, batch=False), reqs(*prompts), cache_dir=str(tmp_path / "online"))
    assert [c.text for c in out] == [c.text for c in online]
    assert [c.finish_reason for c in out] == [c.finish_reason for c in online]
    assert out[0].text == "Echo: question 0" and out[12].finish_reason == "length" and out[13].finish_reason == "empty"
    counts = server.counts()
    assert counts["uploads"] == counts["creates"] == 1 and counts["requests"] == 14  # one duplicate sent once
    body = server.batch.bodies[0]
    assert body["model"] == "stub-model" and body["max_tokens"] == 32 and body["messages"][0]["content"] == "sys"
    assert s["sent"] == 14 and s["deduplicated"] == 1 and s["cache_hits"] == 0 and s["errors"] == 0
    assert s["batch"]["batches_submitted"] == 1 and s["batch"]["batches_resumed"] == 0 and s["batch"]["price"] == "batch"
    # batch prices default to half the online ones: 3 prompt tokens at $1/M + 3 completion tokens at $4/M
    assert out[0].prompt_tokens == 3 and out[0].cost_usd == pytest.approx((3 * 1.0 + 3 * 4.0) / 1e6)
    assert online[0].cost_usd == pytest.approx(2 * out[0].cost_usd)
    assert s["cost_usd"] == pytest.approx(sum(c.cost_usd for c in out[:14]))
    assert ledger(tmp_path / "cache") == []  # collected batches leave no record behind

    again, s2 = run_requests("b", cfg_for(server), reqs(*prompts), cache_dir=str(tmp_path / "cache"))
    assert server.counts() == counts and s2["sent"] == 0 and s2["cache_hits"] == 15
    assert [c.text for c in again] == [c.text for c in out]


def test_explicit_batch_prices_are_used(server, tmp_path):
    price = {"prompt_per_mtok": 2000.0, "completion_per_mtok": 8000.0, "batch_prompt_per_mtok": 500.0,
             "batch_completion_per_mtok": 1000.0}
    out, s = run_requests("b", cfg_for(server, price=price), reqs("question 1"), cache_dir=str(tmp_path))
    assert out[0].cost_usd == pytest.approx((3 * 500 + 3 * 1000) / 1e6) and s["cost_usd"] == pytest.approx(0.0045)


def test_request_and_byte_limits_split_batches(server, tmp_path):
    prompts = [f"question {i}" for i in range(10)]
    _, s = run_requests("b", cfg_for(server, batch_max_requests=4), reqs(*prompts), cache_dir=str(tmp_path / "a"))
    assert [len(b["requests"]) for b in server.batch.batches.values()] == [4, 4, 2]
    assert s["batch"]["batches_submitted"] == 3 and s["sent"] == 10
    backend = make_backend("b", cfg_for(server))
    line = len(backend.encode("k" * 64, reqs("question 1")[0].messages, {"max_tokens": 32, "temperature": 0.0}))
    server.batch.batches.clear()
    _, s = run_requests("b", cfg_for(server, batch_max_bytes=3 * line + 5), reqs(*prompts), cache_dir=str(tmp_path / "b"))
    assert [len(b["requests"]) for b in server.batch.batches.values()] == [3, 3, 3, 1]


def test_per_request_failures_resubmit_only_the_retryable_ones(server, tmp_path):
    prompts = ["fine 1", "flaky [[500:1]]", "fine 2", "bad [[400]]", "flaky twice [[500:2]]"]
    out, s = run_requests("b", cfg_for(server), reqs(*prompts), cache_dir=str(tmp_path))
    assert [c.finish_reason for c in out] == ["stop", "stop", "stop", "error", "stop"]
    assert out[1].text == "Echo: flaky [[500:1]]" and "400" in out[3].error
    sizes = [len(b["requests"]) for b in server.batch.batches.values()]
    assert sizes == [5, 2, 1]  # round 2: the two 500s; round 3: the one that failed twice
    assert s["sent"] == 8 and s["batch"]["resubmitted"] == 3 and s["errors"] == 1
    # the refused request is not cached: a rerun submits it (and only it) again
    _, s = run_requests("b", cfg_for(server), reqs(*prompts), cache_dir=str(tmp_path))
    assert s["sent"] == 1 and s["cache_hits"] == 4 and [len(b["requests"]) for b in server.batch.batches.values()][-1] == 1


@pytest.mark.parametrize("server", [{"expire": 1}], indirect=True)
def test_an_expired_batch_resubmits_only_the_missing_requests(server, tmp_path):
    prompts = [f"question {i}" for i in range(10)]
    out, s = run_requests("b", cfg_for(server), reqs(*prompts), cache_dir=str(tmp_path))
    assert [c.text for c in out] == [f"Echo: question {i}" for i in range(10)]
    first, second = server.batch.batches.values()
    assert first["ending"] == "expire" and len(second["requests"]) == 5
    assert {rid for rid, _ in second["requests"]} == {rid for rid, _ in first["requests"][5:]}
    assert s["sent"] == 15 and s["batch"]["resubmitted"] == 5 and s["errors"] == 0


@pytest.mark.parametrize("server", [{"fail": 9}], indirect=True)
def test_a_batch_that_keeps_failing_gives_error_rows_after_batch_rounds(server, tmp_path):
    out, s = run_requests("b", cfg_for(server, batch_rounds=2), reqs("q1", "q2"), cache_dir=str(tmp_path))
    assert server.counts()["creates"] == 2 and s["errors"] == 2
    assert out[0].finish_reason == "error" and "after 2 batch submissions: batch failed" in out[0].error
    assert "stub validation failure" in out[0].error


@pytest.mark.parametrize("server", [{"delay": 1.0}], indirect=True)
def test_batch_wait_false_submits_and_stops_then_a_rerun_collects(server, tmp_path):
    cfg = cfg_for(server, batch_wait=False)
    prompts = [f"question {i}" for i in range(6)]
    with pytest.raises(BatchPending) as err:
        run_requests("b", cfg, reqs(*prompts), cache_dir=str(tmp_path))
    msg = str(err.value)
    assert "\n" not in msg and "6 requests wait in 1 submitted batch(es) (batch_0001)" in msg and "run it again" in msg
    [entry] = ledger(tmp_path)
    rec = json.loads(entry.read_text())
    assert rec["id"] == "batch_0001" and len(rec["keys"]) == 6 and SECRET not in entry.read_text()
    with pytest.raises(BatchPending):  # still running: polled, not resubmitted
        run_requests("b", cfg, reqs(*prompts), cache_dir=str(tmp_path))
    assert server.counts()["creates"] == 1
    time.sleep(1.0)
    out, s = run_requests("b", cfg, reqs(*prompts), cache_dir=str(tmp_path))
    assert [c.text for c in out] == [f"Echo: {p}" for p in prompts]
    assert server.counts()["creates"] == 1 and s["sent"] == 0 and s["batch"]["batches_resumed"] == 1
    assert ledger(tmp_path) == []


@pytest.mark.parametrize("server", [{"delay": 60.0}], indirect=True)
def test_batch_wait_seconds_polls_that_long_then_stops(server, tmp_path):
    t0 = time.monotonic()
    with pytest.raises(BatchPending):
        run_requests("b", cfg_for(server, batch_wait=0.5), reqs("q"), cache_dir=str(tmp_path))
    assert 0.3 < time.monotonic() - t0 < 30 and server.counts()["polls"] >= 3


def test_batch_config_errors_name_the_key():
    with pytest.raises(ValueError, match=r"teachers.h.batch: batch APIs exist for kind openai and gemini, not 'hf'"):
        make_backend("h", {"kind": "hf", "model": "x", "batch": True})
    with pytest.raises(ValueError, match=r"teachers.b.price.batch_input_per_mtok: unknown"):
        make_backend("b", {"kind": "openai", "model": "x", "price": {"batch_input_per_mtok": 1.0}})
    with pytest.raises(ValueError, match=r"teachers.b.batch_wait: true, false or a number"):
        make_backend("b", {"kind": "openai", "model": "x", "batch": True, "batch_wait": "later"})
    with pytest.raises(ValueError, match=r"teachers.o.batch: batch APIs exist for kind openai and gemini, not 'offline'"):
        check_credentials("o", {"kind": "offline", "batch": True})  # at setup, before any job
    check_credentials("b", {"kind": "openai", "model": "x", "base_url": "http://127.0.0.1:1/v1", "batch": True})
    with pytest.raises(RuntimeError, match=r"teachers.b.batch: batch mode needs the response cache"):
        run_requests("b", {"kind": "openai", "model": "x", "batch": True}, reqs("q"))


STAGE = r'''
import json, logging, sys
from cotdistill.io import write_json, write_jsonl
from cotdistill.teachers import Request, run_requests
url, cache, out, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
logging.basicConfig(filename=out + ".log", level=logging.DEBUG, force=True)
cfg = {"kind": "openai", "model": "stub", "base_url": url, "api_key_env": "BATCH_STUB_KEY", "batch": True,
       "batch_poll_s": 0.1, "batch_poll_max_s": 0.1}
logging.info("config: %s", json.dumps(cfg))
reqs = [Request(messages=[{"role": "user", "content": f"problem {i}"}]) for i in range(n)]
done, summary = run_requests("stub", cfg, reqs, cache_dir=cache, desc="batch")
write_jsonl(out, [{"prompt": r.messages[0]["content"], "response": c.text, "error": c.error} for r, c in zip(reqs, done)])
write_json(out + ".summary.json", summary)
'''


@pytest.mark.parametrize("server", [{"delay": 3.0}], indirect=True)
def test_kill_9_while_polling_resumes_the_same_batch(server, tmp_path):
    script, cache, out = tmp_path / "stage.py", tmp_path / "cache", tmp_path / "out.jsonl"
    script.write_text(STAGE)

    def stage() -> subprocess.Popen:
        return subprocess.Popen([sys.executable, str(script), server.url + "/v1", str(cache), str(out), "40"],
                                env={**os.environ, "BATCH_STUB_KEY": SECRET},
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

    proc = stage()
    deadline = time.time() + 60
    while (server.counts()["polls"] < 3 or not ledger(cache)) and time.time() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not out.exists() and len(ledger(cache)) == 1  # killed while polling: the batch id is on disk
    assert server.counts()["creates"] == 1 and server.state.stats()["answered"] == []
    assert json.loads(ledger(cache)[0].read_text())["id"] == "batch_0001"
    for p in [p for p in tmp_path.rglob("*") if p.is_file()]:  # the ledger and the log hold no key
        assert SECRET.encode() not in p.read_bytes(), p

    proc = stage()
    log, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, log.decode()
    counts = server.counts()
    assert counts["uploads"] == 1 and counts["creates"] == 1 and counts["requests"] == 40  # nothing resubmitted
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["response"] for r in rows] == [f"Echo: problem {i}" for i in range(40)]
    summary = json.loads(Path(str(out) + ".summary.json").read_text())
    assert summary["sent"] == 0 and summary["batch"]["batches_resumed"] == 1 and summary["errors"] == 0
    assert "resuming batch batch_0001 (40 requests" in Path(str(out) + ".log").read_text()
    assert ledger(cache) == []

    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert {"out.jsonl", "out.jsonl.log", "out.jsonl.summary.json", "responses.sqlite"} <= {p.name for p in files}
    for p in files:
        assert SECRET.encode() not in p.read_bytes(), p
    assert SECRET.encode() not in log


def test_a_wrong_key_stops_the_stage_with_the_key_redacted(server, tmp_path, monkeypatch):
    monkeypatch.setenv("BATCH_STUB_KEY", "sk-wrong-key-ABCDEF123456")
    with pytest.raises(RuntimeError) as err:
        run_requests("b", cfg_for(server), reqs("q"), cache_dir=str(tmp_path))
    msg = str(err.value)
    assert "teachers.b: batch submit failed: AuthenticationError" in msg and "401" in msg
    assert "sk-wrong-key-ABCDEF123456" not in msg and "[REDACTED]" in msg
    assert ledger(tmp_path) == [] and server.counts()["creates"] == 0


# --- gemini: google-genai's client.batches against the stand-in's v1beta batch shape ------------------------
def gemini_cfg(server, **over) -> dict:
    return cfg_for(server, **{"kind": "gemini", "model": "gemini-stub", "base_url": server.url, "timeout_s": 5.0,
                              "price": {"prompt_per_mtok": 1.0, "completion_per_mtok": 4.0}, **over})


def test_gemini_batch_answers_equal_online_and_are_cached(server, tmp_path):
    prompts = [f"question {i}" for i in range(8)] + ["cut [[length]]"]
    cfg = gemini_cfg(server, temperature=0.3, max_tokens=50, seed=5, stop="END")
    out, s = run_requests("g", cfg, reqs(*prompts), cache_dir=str(tmp_path / "cache"))
    online, _ = run_requests("g", gemini_cfg(server, batch=False, temperature=0.3, max_tokens=50, seed=5, stop="END"),
                             reqs(*prompts), cache_dir=str(tmp_path / "online"))
    assert [c.text for c in out] == [c.text for c in online]
    assert out[0].text == "Echo: question 0 [seed 5]" and out[8].finish_reason == "length"
    assert server.counts()["gemini_creates"] == 1 and server.counts()["gemini_requests"] == 9
    body = server.batch.bodies[0]  # what google-genai put into the inlined request
    gen = body["generationConfig"]
    assert (gen["temperature"], gen["maxOutputTokens"], gen["seed"], gen["stopSequences"]) == (0.3, 50, 5, ["END"])
    assert body["systemInstruction"]["parts"][0]["text"] == "sys"
    # batch prices default to half: 2 prompt tokens at $0.5/M, 5 completion tokens at $2/M
    assert out[0].prompt_tokens == 2 and out[0].cost_usd == pytest.approx((2 * 0.5 + 5 * 2.0) / 1e6)
    assert s["sent"] == 9 and s["batch"]["batches_submitted"] == 1 and s["errors"] == 0

    again, s = run_requests("g", cfg, reqs(*prompts), cache_dir=str(tmp_path / "cache"))
    assert s["sent"] == 0 and s["cache_hits"] == 9 and server.counts()["gemini_creates"] == 1
    assert [c.text for c in again] == [c.text for c in out]


@pytest.mark.parametrize("server", [{"expire": 1}], indirect=True)
def test_gemini_expired_batch_and_per_request_errors_resubmit_only_those(server, tmp_path):
    prompts = [f"question {i}" for i in range(6)] + ["flaky [[500:1]]", "bad [[400]]"]
    out, s = run_requests("g", gemini_cfg(server), reqs(*prompts), cache_dir=str(tmp_path))
    assert [c.text for c in out[:7]] == [f"Echo: question {i}" for i in range(6)] + ["Echo: flaky [[500:1]]"]
    assert out[7].finish_reason == "error" and out[7].error.startswith("3: ")
    batches = list(server.batch.batches.values())
    assert [b["ending"] for b in batches] == ["expire", "complete"]
    # batch 1 expired after its first 4 requests; the 4 it never ran go again, the 400 does not
    assert len(batches[1]["requests"]) == 4 and s["batch"]["resubmitted"] == 4 and s["errors"] == 1


@pytest.mark.parametrize("server", [{"expire": 0, "delay": 1.0}], indirect=True)
def test_gemini_flaky_requests_and_batch_wait_false(server, tmp_path):
    cfg = gemini_cfg(server, batch_wait=False)
    prompts = ["a", "b [[500:1]]"]
    with pytest.raises(BatchPending, match=r"teachers.g: 2 requests wait in 1 submitted batch\(es\) \(batches/gb0001\)"):
        run_requests("g", cfg, reqs(*prompts), cache_dir=str(tmp_path))
    [entry] = (tmp_path / "batches").glob("*.json")
    assert json.loads(entry.read_text())["id"] == "batches/gb0001" and SECRET not in entry.read_text()
    out, s = run_requests("g", gemini_cfg(server), reqs(*prompts), cache_dir=str(tmp_path))  # waits this time
    assert [c.text for c in out] == ["Echo: a", "Echo: b [[500:1]]"]
    assert server.counts()["gemini_creates"] == 2 and s["batch"]["batches_resumed"] == 1 and s["sent"] == 1


@pytest.mark.parametrize("provider", ["openai", "gemini"])
def test_a_recorded_batch_the_server_does_not_know_is_resubmitted(server, tmp_path, provider):
    from cotdistill.teachers.batch import Entry, Ledger

    cfg = cfg_for(server) if provider == "openai" else gemini_cfg(server)
    out, _ = run_requests("b", cfg, reqs("q1", "q2"), cache_dir=str(tmp_path / "first"))
    Ledger(tmp_path / "cache").record(Entry(id="batches/gone", provider=provider, base_url=cfg["base_url"],
                                            model=cfg["model"], teacher="b", keys=[c.cache_key for c in out]))
    again, s = run_requests("b", cfg, reqs("q1", "q2"), cache_dir=str(tmp_path / "cache"))
    assert [c.text for c in again] == ["Echo: q1", "Echo: q2"]
    assert s["batch"]["batches_resumed"] == 1 and s["batch"]["resubmitted"] == 2 and len(server.batch.batches) == 2
    assert ledger(tmp_path / "cache") == []


@pytest.mark.parametrize("server", [{"delay": 10.0}], indirect=True)
def test_the_pending_batches_can_be_listed(server, tmp_path, capsys):
    from cotdistill.teachers.pending import main

    with pytest.raises(BatchPending):
        run_requests("b", cfg_for(server, batch_wait=False, batch_max_requests=2), reqs("a", "b", "c"),
                     cache_dir=str(tmp_path))
    capsys.readouterr()
    assert main([str(tmp_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split("\t")[:5] for line in lines[:2]] == [
        ["batch_0001", "openai", "stub-model", "teacher b", "2 requests"],
        ["batch_0002", "openai", "stub-model", "teacher b", "1 requests"]]
    assert lines[2].startswith("2 batch(es) waiting to be collected")


@pytest.mark.parametrize("provider", ["openai", "gemini"])
def test_a_lost_create_response_or_record_adopts_the_batch_instead_of_paying_twice(server, tmp_path, provider,
                                                                                   monkeypatch):
    from cotdistill.teachers.batch import Ledger

    cfg = cfg_for(server) if provider == "openai" else gemini_cfg(server)
    creates = "creates" if provider == "openai" else "gemini_creates"
    server.batch.drop_create = 1  # the provider makes the batch, the connection drops before its answer
    out, s = run_requests("b", cfg, reqs("q1", "q2"), cache_dir=str(tmp_path / "a"))
    assert [c.text for c in out] == ["Echo: q1", "Echo: q2"] and s["batch"]["batches_adopted"] == 1
    assert server.counts()[creates] == 1 and server.counts()["uploads"] == (1 if provider == "openai" else 0)

    real = Ledger.record

    def killed(self, entry):  # the job dies after the provider accepted the batch, before its record is on disk
        raise KeyboardInterrupt

    monkeypatch.setattr(Ledger, "record", killed)
    with pytest.raises(KeyboardInterrupt):
        run_requests("b", cfg, reqs("q3", "q4"), cache_dir=str(tmp_path / "b"))
    assert server.counts()[creates] == 2 and ledger(tmp_path / "b") == []
    monkeypatch.setattr(Ledger, "record", real)
    out, s = run_requests("b", cfg, reqs("q3", "q4"), cache_dir=str(tmp_path / "b"))
    assert [c.text for c in out] == ["Echo: q3", "Echo: q4"] and s["batch"]["batches_adopted"] == 1
    assert server.counts()[creates] == 2 and s["sent"] == 2
