"""top_k as a teacher option (the iterated-summarization paper samples with temperature 0.6, top_p 0.95,
top_k 40): validated per kind, part of the cache key, sent to OpenAI-compatible servers and Gemini."""

from __future__ import annotations

import pytest
from openai_stub_server import StubHTTPServer

from cotdistill.teacher_prompts import generation_params
from cotdistill.teachers import Request, run_requests
from cotdistill.teachers.config import TeacherConfig


def test_top_k_is_validated_per_kind():
    cfg = TeacherConfig.from_dict("r1", {"kind": "openai", "model": "m", "base_url": "http://localhost:8000/v1",
                                         "temperature": 0.6, "top_p": 0.95, "top_k": 40})
    assert cfg.generation_params() == {"max_tokens": 1024, "temperature": 0.6, "top_p": 0.95, "top_k": 40}
    with pytest.raises(ValueError, match=r"teachers\.gpt\.top_k: OpenAI's API has no top_k; set base_url"):
        TeacherConfig.from_dict("gpt", {"kind": "openai", "model": "gpt-4o", "top_k": 40})
    for bad in (0, 2.5, True):
        with pytest.raises(ValueError, match=r"teachers\.x\.top_k: an integer >= 1"):
            TeacherConfig.from_dict("x", {"kind": "gemini", "model": "g", "top_k": bad})
    assert generation_params({"temperature": 0.6, "top_k": 40}) == {"temperature": 0.6, "top_k": 40}


def test_top_k_reaches_an_openai_compatible_server_and_keys_the_cache(tmp_path):
    server = StubHTTPServer().start()
    try:
        cfg = {"kind": "openai", "model": "r1", "base_url": server.url + "/v1", "temperature": 0.6, "top_p": 0.95,
               "top_k": 40, "extra_body": {"min_p": 0.0}}
        reqs = [Request(messages=[{"role": "user", "content": "2+2?"}])]
        run_requests("r1", cfg, reqs, cache_dir=str(tmp_path))
        (body,) = server.state.stats()["bodies"]
        assert (body["top_k"], body["top_p"], body["temperature"], body["min_p"]) == (40, 0.95, 0.6, 0.0)
        _, again = run_requests("r1", cfg, reqs, cache_dir=str(tmp_path))
        _, other = run_requests("r1", {**cfg, "top_k": 20}, reqs, cache_dir=str(tmp_path))
        assert (again["cache_hits"], other["cache_hits"], other["sent"]) == (1, 0, 1)
    finally:
        server.stop()


def test_top_k_reaches_gemini_config():
    pytest.importorskip("google.genai")
    from cotdistill.teachers.gemini import generation_config

    assert generation_config({"temperature": 0.6, "top_k": 40}, None).top_k == 40
