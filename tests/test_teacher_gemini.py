"""The gemini backend through the real google-genai SDK, pointed at the local server's Gemini REST shape."""

from __future__ import annotations

import pytest
from openai_stub_server import StubHTTPServer

from cotdistill.teachers import Request, run_requests
from cotdistill.teachers.gemini import to_contents


@pytest.fixture
def stub():
    server = StubHTTPServer(api_key="gemini-test-key").start()
    yield server
    server.stop()


def cfg_for(server, **over) -> dict:
    cfg = {"kind": "gemini", "model": "gemini-stub", "base_url": server.url, "api_key_env": "GEMINI_STUB_KEY",
           "max_retries": 3, "retry_initial_s": 0.02, "retry_max_s": 0.1, "timeout_s": 2.0}
    cfg.update(over)
    return cfg


def test_messages_map_to_contents():
    system, contents = to_contents([
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "q"},
        {"role": "assistant", "content": "a"},
        {"role": "user", "content": "q2"},
    ])
    assert system == "be brief"
    assert [c["role"] for c in contents] == ["user", "model", "user"]


def test_gemini_answers_retries_cuts_and_caches(stub, tmp_path, monkeypatch):
    monkeypatch.setenv("GEMINI_STUB_KEY", "gemini-test-key")
    prompts = ["plain", "a [[429:1:0.05]]", "b [[500:1]]", "c [[length]]", "d [[drop:1]]"]
    rs = [Request(messages=[{"role": "system", "content": "sys"}, {"role": "user", "content": p}]) for p in prompts]
    cfg = cfg_for(stub, temperature=0.3, max_tokens=50, seed=5, stop="END")
    out, s = run_requests("g", cfg, rs, cache_dir=str(tmp_path))
    assert [c.finish_reason for c in out] == ["stop", "stop", "stop", "length", "stop"]
    assert out[0].text == "Echo: plain [seed 5]" and out[0].completion_tokens == 4
    assert s["retries"] == 3 and s["rate_limited"] == 1 and s["length_cutoffs"] == 1
    body = stub.state.stats()["bodies"][0]
    gen = body["generationConfig"]
    assert (gen["temperature"], gen["maxOutputTokens"], gen["seed"], gen["stopSequences"]) == (0.3, 50, 5, ["END"])
    assert body["systemInstruction"]["parts"][0]["text"] == "sys"
    stub.state.reset()
    again, s = run_requests("g", cfg, rs, cache_dir=str(tmp_path))
    assert s["sent"] == 0 and s["cache_hits"] == 5 and [c.text for c in again] == [c.text for c in out]
    assert stub.state.stats()["received"] == []
