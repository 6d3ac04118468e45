"""Run one stage's requests against a teacher: cache first, then concurrent, rate-limited, retried calls.

The stage is sync for callers; inside, ``concurrency`` asyncio workers pull unanswered requests, wait
for the rate limiter, call the backend, retry transient failures (exponential back-off with jitter,
``Retry-After`` honoured and shared by the whole teacher on a 429) and store each answer in the cache
the moment it arrives. Identical requests in a stage are sent once. A teacher with ``batch: true`` sends
them through the provider's batch API instead (``batch.BatchRun``), into the same cache.
"""

from __future__ import annotations

import asyncio
import logging
import random
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from tqdm import tqdm

from .base import Completion, Request
from .batch import BatchRun
from .cache import ResponseCache, cache_key
from .limits import RateLimiter

log = logging.getLogger("cotdistill.teachers")
for _name in ("httpx", "httpx2", "openai", "google_genai"):  # one INFO line per HTTP request drowns the log
    if logging.getLogger(_name).level == logging.NOTSET:
        logging.getLogger(_name).setLevel(logging.WARNING)
CACHED_FINISH = ("stop", "length", "empty")  # errors are never cached: a re-run tries them again
ERROR_CHARS = 500


def request_params(backend, request: Request) -> dict:
    """What the provider sees besides the messages: config defaults, request overrides, seed + sample."""
    params = {**backend.config.generation_params(), **request.params}
    if params.get("seed") is not None and request.sample:
        params["seed"] = int(params["seed"]) + request.sample
    return params


def redact(text: str, secret: str | None) -> str:
    """The secret replaced first, then the message cut to ERROR_CHARS (cutting first could leave the
    prefix of a key that straddles the cut)."""
    if secret:
        text = text.replace(secret, "[REDACTED]")
    return text[:ERROR_CHARS]


def estimate_tokens(messages: list[dict], params: dict) -> int:
    """Rough prompt size (4 characters a token) plus the completion budget, as providers count it."""
    chars = sum(len(str(m.get("content", ""))) for m in messages)
    return chars // 4 + int(params.get("max_tokens") or 0)


def _record(c: Completion) -> dict:
    return {"text": c.text, "finish_reason": c.finish_reason, "prompt_tokens": c.prompt_tokens,
            "completion_tokens": c.completion_tokens, "reasoning": c.reasoning, "error": c.error}


def _usable(hits: dict[str, dict], where) -> dict[str, dict]:
    """Cache hits whose record has the fields _from_record reads, with the right types; a damaged row is
    left out, so its request is sent again and the answer replaces the row (never used as it is)."""
    def ok(r: dict) -> bool:
        return (isinstance(r.get("text"), str) and r.get("finish_reason") in CACHED_FINISH
                and all(k in r and (r[k] is None or type(r[k]) is int) for k in ("prompt_tokens", "completion_tokens")))

    good = {k: r for k, r in hits.items() if ok(r)}
    if len(good) < len(hits):
        log.warning("%s: %d damaged cache row(s) ignored; their requests are sent again", where, len(hits) - len(good))
    return good


def _from_record(r: dict, key: str, cost: float) -> Completion:
    return Completion(text=r["text"], finish_reason=r["finish_reason"], prompt_tokens=r["prompt_tokens"],
                      completion_tokens=r["completion_tokens"], reasoning=r.get("reasoning"),
                      error=r.get("error"), cache_key=key, cached=True, cost_usd=cost)


class Stage:
    """One ``run_requests`` call: its counters, cache and progress bar."""

    def __init__(self, backend, cache: ResponseCache | None, total: int, desc: str):
        self.backend = backend
        self.cfg = backend.config
        self.cache = cache
        self.secret = self.cfg.api_key()
        self.counts = {"sent": 0, "retries": 0, "rate_limited": 0}
        self.bar = tqdm(total=total, desc=desc or self.cfg.name, unit="req", file=sys.stderr,
                        mininterval=0.5 if sys.stderr.isatty() else 10.0, disable=total == 0)

    def store(self, key: str, c: Completion, count: bool = True) -> None:
        c.cache_key = key
        c.cost_usd = self.cfg.cost(c.prompt_tokens, c.completion_tokens)
        if self.cache is not None and c.finish_reason in CACHED_FINISH:
            self.cache.put(key, self.backend.provider, self.backend.model, _record(c))
        if count:
            self.bar.update(1)

    def redact(self, text: str) -> str:
        return redact(text, self.secret)

    # --- async backends (openai, gemini) ----------------------------------------------------------
    async def run_async(self, todo: list[tuple[str, Request, dict]]) -> dict[str, Completion]:
        limiter = RateLimiter(self.cfg.rpm, self.cfg.tpm)
        results: dict[str, Completion] = {}
        queue = iter(todo)
        fatal: list[BaseException] = []
        await self.backend.start()

        async def worker():
            for key, req, params in queue:  # a shared iterator: each item goes to exactly one worker
                if fatal:
                    return
                c = await self.call(req.messages, params, limiter, fatal)
                self.store(key, c)
                results[key] = c

        try:
            workers = [asyncio.create_task(worker()) for _ in range(min(self.cfg.concurrency, len(todo)))]
            await asyncio.gather(*workers)
        finally:
            await self.backend.aclose()
        if fatal:
            exc = fatal[0]
            raise RuntimeError(
                f"teachers.{self.cfg.name}: {type(exc).__name__}: {redact(str(exc), self.secret)} "
                f"(check model, base_url and the key in ${self.cfg.api_key_env or '-'})"
            ) from None
        return results

    async def call(self, messages, params, limiter: RateLimiter, fatal: list) -> Completion:
        backend, cfg = self.backend, self.cfg
        estimate = estimate_tokens(messages, params)
        self.counts["sent"] += 1
        for attempt in range(cfg.max_retries + 1):
            if attempt:
                self.counts["retries"] += 1
            await limiter.acquire(estimate)
            try:
                c = await backend.acomplete(messages, params)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 — classified below, never swallowed silently
                limiter.settle(-estimate)  # a failed attempt used (almost) no tokens
                if backend.fatal(exc):
                    fatal.append(exc)
                    return Completion(text="", finish_reason="error", error=redact(str(exc), self.secret))
                if not backend.retryable(exc) or attempt == cfg.max_retries:
                    msg = f"{type(exc).__name__}: {redact(str(exc), self.secret)}"
                    return Completion(text="", finish_reason="error", error=msg, retries=attempt)
                wait = self.backoff(attempt, backend.retry_after(exc))
                if backend.rate_limited(exc):
                    self.counts["rate_limited"] += 1
                    limiter.pause(wait)
                log.debug("teacher %s: %s, retry %d in %.2fs", cfg.name, type(exc).__name__, attempt + 1, wait)
                await asyncio.sleep(wait)
                continue
            limiter.settle(c.prompt_tokens + c.completion_tokens - estimate)
            c.retries = attempt
            return c
        raise AssertionError("unreachable")

    def backoff(self, attempt: int, retry_after: float | None) -> float:
        """Retry-After when the server gave one, else exponential with full jitter on top."""
        if retry_after is not None:
            return retry_after
        base = min(self.cfg.retry_max_s, self.cfg.retry_initial_s * 2**attempt)
        return base + random.uniform(0, base)

    # --- batch backends (hf) -------------------------------------------------------------------------
    def run_batches(self, todo: list[tuple[str, Request, dict]]) -> dict[str, Completion]:
        results: dict[str, Completion] = {}
        groups: dict[str, list] = {}
        for item in todo:  # one generate() per identical params; shortest prompts together
            groups.setdefault(repr(sorted(item[2].items())), []).append(item)
        for items in groups.values():
            items.sort(key=lambda it: sum(len(m["content"]) for m in it[1].messages))
            size = self.cfg.batch_size
            for i in range(0, len(items), size):
                chunk = items[i : i + size]
                self.counts["sent"] += len(chunk)
                outs = self.backend.complete_batch([(r.messages, p, r.sample) for _, r, p in chunk])
                for (key, _, _), c in zip(chunk, outs):
                    self.store(key, c)
                    results[key] = c
        return results


def _run_coroutine(coro):
    """``asyncio.run`` — in a helper thread when the caller already runs an event loop (notebooks)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def run_stage(backend, requests: list[Request], *, cache_dir: str | None, desc: str) -> tuple[list[Completion], dict]:
    """The engine behind ``run_requests`` for cacheable backends."""
    t0 = time.perf_counter()
    cfg = backend.config
    if getattr(cfg, "batch", False) and not cache_dir:
        raise RuntimeError(f"teachers.{cfg.name}.batch: batch mode needs the response cache (no cache_dir given)")
    params = [request_params(backend, r) for r in requests]
    keys = [cache_key(backend.provider, backend.base_url, backend.model, r.messages, p, r.sample)
            for r, p in zip(requests, params)]
    cache = ResponseCache(cache_dir) if cache_dir else None
    try:
        hits = _usable(cache.get_many(keys), cache.path) if cache else {}
        todo, seen = [], set(hits)
        for key, r, p in zip(keys, requests, params):
            if key not in seen:
                seen.add(key)
                todo.append((key, r, p))
        stage = Stage(backend, cache, len(todo), desc)
        batch = BatchRun(stage, cache_dir) if getattr(cfg, "batch", False) else None
        try:
            if todo and batch is not None:
                fresh = batch.run(todo)
            elif todo and hasattr(backend, "acomplete"):
                fresh = _run_coroutine(stage.run_async(todo))
            elif todo:
                fresh = stage.run_batches(todo)
            else:
                fresh = {}
        finally:
            stage.bar.close()
    finally:
        if cache:
            cache.close()

    out: list[Completion] = []
    first_use: set[str] = set()
    for key in keys:
        if key in fresh and key not in first_use:
            c = fresh[key]
            first_use.add(key)
        else:  # a cache hit, or a duplicate of a request answered in this stage
            r = hits.get(key) or _record(fresh[key])
            c = _from_record(r, key, cfg.cost(r["prompt_tokens"], r["completion_tokens"]))
        out.append(c)

    sent_cost = sum(fresh[k].cost_usd for k in fresh)
    cache_hits = sum(k in hits for k in keys)
    summary = {
        "teacher": cfg.name,
        "kind": cfg.kind,
        "model": backend.model,
        "requests": len(requests),
        "sent": stage.counts["sent"],
        "cache_hits": cache_hits,
        "deduplicated": len(requests) - cache_hits - len(todo),
        "retries": stage.counts["retries"],
        "rate_limited": stage.counts["rate_limited"],
        "errors": sum(c.finish_reason == "error" for c in out),
        "length_cutoffs": sum(c.finish_reason == "length" for c in out),
        "empty": sum(c.finish_reason == "empty" for c in out),
        "prompt_tokens": sum(c.prompt_tokens for c in out),
        "completion_tokens": sum(c.completion_tokens for c in out),
        "sent_prompt_tokens": sum(c.prompt_tokens for c in fresh.values()),
        "sent_completion_tokens": sum(c.completion_tokens for c in fresh.values()),
        "cost_usd": round(sent_cost, 6),
        "cost_usd_total": round(sum(c.cost_usd for c in out), 6),
        "wall_s": round(time.perf_counter() - t0, 3),
    }
    if batch is not None:  # cost above is at batch prices (price.batch_*, default half the online price)
        summary["batch"] = {**batch.counts, "price": "batch"}
    log.info("teacher %s%s: %s", cfg.name, f" ({desc})" if desc else "", summary_line(summary))
    return out, summary


def summary_line(s: dict) -> str:
    b = s.get("batch")
    batch = f" at batch prices ({b['batches_submitted']} batches submitted, {b['batches_resumed']} resumed)" if b else ""
    return (f"{s['requests']} requests, {s['sent']} sent, {s['cache_hits']} cached, {s['retries']} retries, "
            f"{s['errors']} errors, {s['length_cutoffs']} cut off, "
            f"{s['prompt_tokens']}+{s['completion_tokens']} tokens, ${s['cost_usd']:.4f} spent{batch}, {s['wall_s']}s")
