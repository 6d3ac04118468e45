"""Cache keys, the SQLite cache, rate-limit buckets and Retry-After parsing."""

from __future__ import annotations

import asyncio
import email.utils
import time

from cotdistill.teachers.cache import ResponseCache, cache_key
from cotdistill.teachers.limits import RateLimiter
from cotdistill.teachers.remote import parse_retry_after

MSGS = [{"role": "user", "content": "2+2?"}]


def test_cache_key_covers_what_the_provider_sees_and_nothing_else():
    k = cache_key("openai", None, "m", MSGS, {"temperature": 0.0, "max_tokens": 8}, 0)
    assert k == cache_key("openai", None, "m", [{"content": "2+2?", "role": "user"}],
                          {"max_tokens": 8, "temperature": 0.0}, 0)  # dict order does not matter
    variants = [
        cache_key("gemini", None, "m", MSGS, {"temperature": 0.0, "max_tokens": 8}, 0),
        cache_key("openai", "http://h/v1", "m", MSGS, {"temperature": 0.0, "max_tokens": 8}, 0),
        cache_key("openai", None, "m2", MSGS, {"temperature": 0.0, "max_tokens": 8}, 0),
        cache_key("openai", None, "m", [{"role": "user", "content": "2+3?"}], {"temperature": 0.0, "max_tokens": 8}, 0),
        cache_key("openai", None, "m", MSGS, {"temperature": 0.1, "max_tokens": 8}, 0),
        cache_key("openai", None, "m", MSGS, {"temperature": 0.0, "max_tokens": 8}, 1),
    ]
    assert len({k, *variants}) == 7


def test_cache_persists_across_connections(tmp_path):
    a = ResponseCache(tmp_path)
    a.put("k1", "openai", "m", {"text": "four", "finish_reason": "stop"})
    b = ResponseCache(tmp_path)  # a second job on the same file sees it at once
    assert b.get_many(["k1", "k2"]) == {"k1": {"text": "four", "finish_reason": "stop"}}
    keys = [f"k{i}" for i in range(1200)]  # more keys than one SELECT takes
    for key in keys[::3]:
        b.put(key, "openai", "m", {"text": key})
    assert set(a.get_many(keys)) == set(keys[::3]) | {"k1"}
    assert a.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    a.close()
    b.close()


def test_rpm_and_tpm_buckets_pace_requests():
    async def run(limiter, n, tokens):
        t0 = time.perf_counter()
        for _ in range(n):
            await limiter.acquire(tokens)
        return time.perf_counter() - t0

    assert asyncio.run(run(RateLimiter(rpm=1200), 30, 0)) >= 0.45  # 20/s, 20 at once then 10 more
    assert asyncio.run(run(RateLimiter(), 1000, 50)) < 0.1  # no limits: no waiting
    assert asyncio.run(run(RateLimiter(tpm=60_000), 4, 500)) >= 0.45  # 1000 tokens/s, 2000 tokens
    limiter = RateLimiter(rpm=6000)
    limiter.pause(0.3)
    assert asyncio.run(run(limiter, 1, 0)) >= 0.28


def test_retry_after_forms():
    assert parse_retry_after({"retry-after": "2"}) == 2.0
    assert parse_retry_after({"retry-after-ms": "250"}) == 0.25
    date = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 25 <= parse_retry_after({"retry-after": date}) <= 31
    assert parse_retry_after({"retry-after": "99999"}) == 600.0
    assert parse_retry_after({}) is None and parse_retry_after(None) is None
