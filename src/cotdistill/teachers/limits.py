"""Request and token rate limits (``rpm``, ``tpm``) as token buckets, plus a shared back-off pause.

Each bucket refills continuously at limit/60 per second and holds one second's worth (at least one
request), so traffic is smooth rather than a burst at the top of each minute — providers quantise
their per-minute limits the same way. A request that is larger than the bucket waits for a full bucket
and leaves it in debt. Token use is estimated before sending and settled with the real count after.
"""

from __future__ import annotations

import asyncio
import time


class TokenBucket:
    def __init__(self, per_minute: float):
        self.rate = per_minute / 60.0
        self.capacity = max(1.0, self.rate)
        self.level = self.capacity
        self.stamp = time.monotonic()

    def _refill(self) -> None:
        now = time.monotonic()
        self.level = min(self.capacity, self.level + (now - self.stamp) * self.rate)
        self.stamp = now

    def wait_time(self, amount: float) -> float:
        """Seconds until ``amount`` may be taken (0 when it may be taken now)."""
        self._refill()
        need = min(amount, self.capacity)
        return 0.0 if self.level >= need else (need - self.level) / self.rate

    def take(self, amount: float) -> None:
        self._refill()
        self.level -= amount


class RateLimiter:
    """``await acquire(tokens)`` before each attempt; ``settle(delta)`` after; ``pause(s)`` on a 429."""

    def __init__(self, rpm: float | None = None, tpm: float | None = None):
        self.requests = TokenBucket(rpm) if rpm else None
        self.tokens = TokenBucket(tpm) if tpm else None
        self.paused_until = 0.0
        self._lock = asyncio.Lock()

    async def acquire(self, tokens: float = 0.0) -> None:
        async with self._lock:  # first come, first served: a large request is not starved by small ones
            while True:
                wait = self.paused_until - time.monotonic()
                if self.requests:
                    wait = max(wait, self.requests.wait_time(1))
                if self.tokens:
                    wait = max(wait, self.tokens.wait_time(tokens))
                if wait <= 0:
                    break
                await asyncio.sleep(wait)
            if self.requests:
                self.requests.take(1)
            if self.tokens:
                self.tokens.take(tokens)

    def settle(self, delta_tokens: float) -> None:
        """Correct the token bucket by (actual - estimated) tokens once a response arrives."""
        if self.tokens and delta_tokens:
            self.tokens.take(delta_tokens)

    def pause(self, seconds: float) -> None:
        """Hold every request of this teacher for ``seconds`` (the provider said it is overloaded)."""
        self.paused_until = max(self.paused_until, time.monotonic() + seconds)
