"""The openai backend and the engine, through the real SDK, against a real local HTTP server."""

from __future__ import annotations

import time

import pytest
from openai_stub_server import StubHTTPServer

from cotdistill.teachers import Request, check_credentials, make_backend, run_requests


@pytest.fixture
def stub():
    server = StubHTTPServer().start()
    yield server
    server.stop()


def cfg_for(server, **over) -> dict:
    cfg = {"kind": "openai", "model": "stub-model", "base_url": server.url + "/v1", "concurrency": 8,
           "max_retries": 4, "retry_initial_s": 0.02, "retry_max_s": 0.1, "timeout_s": 2.0}
    cfg.update(over)
    return cfg


def reqs(*prompts: str, **params) -> list[Request]:
    return [Request(messages=[{"role": "user", "content": p}], params=dict(params)) for p in prompts]


def test_answers_in_order_with_usage_and_cost(stub, tmp_path):
    cfg = cfg_for(stub, price={"prompt_per_mtok": 1.0, "completion_per_mtok": 10.0})
    prompts = [f"question {i}" for i in range(20)]
    out, s = run_requests("t", cfg, reqs(*prompts), cache_dir=str(tmp_path))
    assert [c.text for c in out] == [f"Echo: {p}" for p in prompts]
    assert all(c.finish_reason == "stop" and c.prompt_tokens == 2 and c.completion_tokens == 3 for c in out)
    assert out[0].cost_usd == pytest.approx((2 * 1.0 + 3 * 10.0) / 1e6)
    assert s["requests"] == s["sent"] == 20 and s["cache_hits"] == 0 and s["retries"] == 0
    assert s["prompt_tokens"] == 40 and s["completion_tokens"] == 60
    assert s["cost_usd"] == pytest.approx(20 * 32 / 1e6)


def test_generation_params_reach_the_server(stub, tmp_path):
    cfg = cfg_for(stub, temperature=0.7, top_p=0.9, max_tokens=64, seed=11, stop=["###"],
                  extra_body={"reasoning_effort": "low"})
    rs = reqs("a", "a")
    rs[1].sample = 2
    rs.append(Request(messages=[{"role": "user", "content": "b"}], params={"temperature": 0.0}))
    out, _ = run_requests("t", cfg, rs, cache_dir=str(tmp_path))
    bodies = {(b["messages"][0]["content"], b["seed"]): b for b in stub.state.stats()["bodies"]}
    first = bodies[("a", 11)]
    assert (first["temperature"], first["top_p"], first["max_tokens"], first["stop"]) == (0.7, 0.9, 64, ["###"])
    assert first["reasoning_effort"] == "low" and first["model"] == "stub-model"
    assert ("a", 13) in bodies  # sample 2 sends seed + 2, so samples differ
    assert bodies[("b", 11)]["temperature"] == 0.0  # a request's params override the config's
    assert out[0].text != out[1].text


def test_faults_are_retried_and_counted(stub, tmp_path):
    prompts = ["ok", "a [[429:2:0.05]]", "b [[500:2]]", "c [[drop:1]]", "d [[badjson:1]]", "e [[slow:1:3]]"]
    cfg = cfg_for(stub, timeout_s=0.5)
    out, s = run_requests("t", cfg, reqs(*prompts), cache_dir=str(tmp_path))
    assert [c.text for c in out] == [f"Echo: {p}" for p in prompts]
    assert [c.retries for c in out] == [0, 2, 2, 1, 1, 1]
    assert s["retries"] == 7 and s["rate_limited"] == 2 and s["errors"] == 0 and s["sent"] == 6
    assert len(stub.state.stats()["received"]) == 13


def test_retry_after_is_honoured(stub, tmp_path):
    t0 = time.perf_counter()
    out, s = run_requests("t", cfg_for(stub), reqs("x [[429:1:1]]"), cache_dir=str(tmp_path))
    assert time.perf_counter() - t0 >= 1.0  # back-off alone would have waited ~0.02 s
    assert out[0].finish_reason == "stop" and s["retries"] == 1


def test_exhausted_retries_and_bad_requests_become_error_rows_not_cached(stub, tmp_path):
    cfg = cfg_for(stub, max_retries=2)
    out, s = run_requests("t", cfg, reqs("ok", "x [[500:9]]", "y [[400]]"), cache_dir=str(tmp_path))
    assert [c.finish_reason for c in out] == ["stop", "error", "error"]
    assert "InternalServerError" in out[1].error and out[1].retries == 2
    assert "BadRequestError" in out[2].error and out[2].retries == 0  # a 400 is not retried
    assert s["errors"] == 2
    stub.state.reset()
    _, s2 = run_requests("t", cfg, reqs("ok", "x [[500:9]]", "y [[400]]"), cache_dir=str(tmp_path))
    assert s2["cache_hits"] == 1 and s2["sent"] == 2  # errors are tried again, the answer is not


def test_length_cutoff_and_empty_are_recorded(stub, tmp_path):
    out, s = run_requests("t", cfg_for(stub), reqs("a [[length]]", "b [[empty]]", "c [[reasoning]]"),
                          cache_dir=str(tmp_path))
    assert [c.finish_reason for c in out] == ["length", "empty", "stop"]
    assert out[2].reasoning == "Let me think." and out[0].reasoning is None
    assert out[0].text and out[1].text == ""
    assert s["length_cutoffs"] == 1 and s["empty"] == 1


def test_cache_rerun_costs_nothing_and_one_changed_prompt_costs_one(stub, tmp_path):
    prompts = [f"p{i}" for i in range(30)]
    first, _ = run_requests("t", cfg_for(stub), reqs(*prompts), cache_dir=str(tmp_path))
    stub.state.reset()
    again, s = run_requests("t", cfg_for(stub, concurrency=3, timeout_s=9), reqs(*prompts), cache_dir=str(tmp_path))
    assert s["sent"] == 0 and s["cache_hits"] == 30 and stub.state.stats()["received"] == []
    assert [c.text for c in again] == [c.text for c in first] and all(c.cached for c in again)
    assert [c.cache_key for c in again] == [c.cache_key for c in first]
    prompts[7] = "changed"
    _, s = run_requests("t", cfg_for(stub), reqs(*prompts), cache_dir=str(tmp_path))
    assert s["sent"] == 1 and stub.state.stats()["received"] == ["changed"]
    _, s = run_requests("t", cfg_for(stub, temperature=0.5), reqs(*prompts[:3]), cache_dir=str(tmp_path))
    assert s["sent"] == 3  # a generation parameter is part of the key
    _, s = run_requests("t", cfg_for(stub, model="other"), reqs(*prompts[:2]), cache_dir=str(tmp_path))
    assert s["sent"] == 2  # so is the model


def test_duplicate_requests_are_sent_once(stub, tmp_path):
    out, s = run_requests("t", cfg_for(stub), reqs("same", "same", "other", "same"), cache_dir=str(tmp_path))
    assert [c.text for c in out] == ["Echo: same", "Echo: same", "Echo: other", "Echo: same"]
    assert s["sent"] == 2 and s["deduplicated"] == 2
    assert len(stub.state.stats()["received"]) == 2


def test_concurrency_overlaps_requests(tmp_path):
    server = StubHTTPServer(latency=0.2).start()
    try:
        t0 = time.perf_counter()
        _, s = run_requests("t", cfg_for(server, concurrency=16), reqs(*[f"q{i}" for i in range(32)]))
        wall = time.perf_counter() - t0
    finally:
        server.stop()
    assert s["sent"] == 32 and wall < 1.5  # sequential would take 6.4 s


def test_rpm_limit_spaces_requests(stub):
    t0 = time.perf_counter()
    _, s = run_requests("t", cfg_for(stub, rpm=600), reqs(*[f"q{i}" for i in range(25)]))
    wall = time.perf_counter() - t0
    assert s["sent"] == 25 and 1.3 <= wall <= 4.0  # 10 per second, the first 10 at once


def test_wrong_key_stops_the_stage_and_the_key_is_redacted(tmp_path, monkeypatch):
    server = StubHTTPServer(api_key="right-key").start()
    monkeypatch.setenv("STUB_TEST_KEY", "sk-wrong-0123456789abcdef")
    try:
        with pytest.raises(RuntimeError) as err:
            run_requests("t", cfg_for(server, api_key_env="STUB_TEST_KEY"), reqs("a", "b"), cache_dir=str(tmp_path))
    finally:
        server.stop()
    msg = str(err.value)
    assert "teachers.t" in msg and "401" in msg and "STUB_TEST_KEY" in msg
    assert "sk-wrong-0123456789abcdef" not in msg and "[REDACTED]" in msg


def test_check_credentials_names_the_variable(monkeypatch):
    monkeypatch.delenv("NO_SUCH_KEY_VAR", raising=False)
    with pytest.raises(RuntimeError, match="NO_SUCH_KEY_VAR"):
        check_credentials("gpt", {"kind": "openai", "model": "m", "api_key_env": "NO_SUCH_KEY_VAR"})
    monkeypatch.setenv("NO_SUCH_KEY_VAR", "x")
    check_credentials("gpt", {"kind": "openai", "model": "m", "api_key_env": "NO_SUCH_KEY_VAR"})
    check_credentials("local", {"kind": "hf", "model": "/some/path"})
    check_credentials("off", {"kind": "offline"})


def test_config_errors_name_the_key():
    with pytest.raises(ValueError, match=r"teachers\.t\.temprature: unknown key"):
        make_backend("t", {"kind": "openai", "model": "m", "temprature": 0.1})
    with pytest.raises(ValueError, match=r"teachers\.t\.concurrency: must be >= 1"):
        make_backend("t", {"kind": "openai", "model": "m", "concurrency": 0})
    with pytest.raises(ValueError, match=r"teachers\.t\.kind"):
        make_backend("t", {"kind": "claude", "model": "m"})
    with pytest.raises(ValueError, match=r"teachers\.t\.model: required"):
        make_backend("t", {"kind": "openai"})
