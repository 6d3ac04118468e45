"""Batch mode (``teachers.<name>.batch: true``): a stage's uncached requests through a provider's batch API.

The requests the cache cannot answer are split into batches (at most ``batch_max_requests`` requests and
``batch_max_bytes`` bytes each), submitted, and polled with a growing delay; every answer is stored in the
same SQLite cache the online engine uses, so everything downstream is unchanged and a re-run sends nothing.

Resume: each submitted batch is recorded, before any polling, as one small JSON file under
``<cache_dir>/batches/`` (id, provider, base_url, model and the cache keys it answers; never the API key),
written atomically. A stage that starts again (after ``kill -9``, a preemption, a Slurm time limit, or
``batch_wait: false``) polls the recorded batches that hold any of its requests instead of submitting
them again. A batch that ends expired, failed or cancelled, and requests that came back with a
retryable error (429, 5xx), are submitted again, only those requests, up to ``batch_rounds`` submissions
per request; a request refused for good (e.g. 400) becomes an error row, which is never cached. Each batch
carries a tag (a hash of its requests and round) at the provider, so a batch whose record or create
response was lost is found and adopted rather than submitted twice.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from .base import Completion

log = logging.getLogger("cotdistill.teachers")


class BatchPending(RuntimeError):
    """Batches were submitted (or are still running) and ``batch_wait`` says not to wait for them."""


@dataclass
class Status:
    """A batch's state as the engine sees it: ``running`` or one of the final states."""

    state: str  # running | completed | failed | expired | cancelled
    raw: str  # the provider's own status word, for the log
    done: int | None = None  # requests finished so far, when the provider says
    total: int | None = None
    message: str = ""  # why a batch failed, when the provider says
    outputs: object = None  # where the answers are (the provider's file ids, or the finished job itself)

    @property
    def final(self) -> bool:
        return self.state != "running"


@dataclass
class Answer:
    """One request's outcome in a finished batch: a completion, or an error that may be worth another round."""

    completion: Completion
    retryable: bool = False


@dataclass
class Entry:
    """One submitted batch as recorded in the ledger."""

    id: str
    provider: str
    base_url: str
    model: str
    teacher: str
    keys: list[str]
    round: int = 1
    submitted: float = field(default_factory=time.time)
    input_file: str | None = None
    path: Path | None = None

    def to_json(self) -> dict:
        return {"id": self.id, "provider": self.provider, "base_url": self.base_url, "model": self.model,
                "teacher": self.teacher, "round": self.round, "submitted": self.submitted,
                "input_file": self.input_file, "keys": self.keys}


class Ledger:
    """The submitted-but-not-collected batches: one JSON file each under ``<cache_dir>/batches/``."""

    def __init__(self, cache_dir: str | os.PathLike):
        self.dir = Path(cache_dir) / "batches"

    def load(self, provider: str, base_url: str, model: str) -> list[Entry]:
        entries = []
        for path in sorted(self.dir.glob("*.json")) if self.dir.is_dir() else []:
            try:
                d = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue  # collected and removed by a concurrent job, or never completely written
            if (d.get("provider"), d.get("base_url"), d.get("model")) != (provider, base_url, model):
                continue
            entries.append(Entry(**{k: d[k] for k in ("id", "provider", "base_url", "model", "teacher", "keys",
                                                      "round", "submitted", "input_file")}, path=path))
        return entries

    def record(self, entry: Entry) -> None:
        """Write the entry atomically (temporary file, fsync, rename) so a kill leaves it whole or absent."""
        self.dir.mkdir(parents=True, exist_ok=True)
        safe = re.sub(r"[^A-Za-z0-9_.-]", "_", entry.id)
        entry.path = self.dir / f"{entry.provider}-{safe}.json"
        fd, tmp = tempfile.mkstemp(dir=self.dir, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(entry.to_json(), fh)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, entry.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        dirfd = os.open(self.dir, os.O_RDONLY)
        try:
            os.fsync(dirfd)
        finally:
            os.close(dirfd)

    def forget(self, entry: Entry) -> None:
        if entry.path is not None:
            entry.path.unlink(missing_ok=True)


def chunks(items: list, sizes: list[int], max_requests: int, max_bytes: int) -> list[list]:
    """Consecutive groups of ``items`` with at most ``max_requests`` items and ``max_bytes`` bytes each."""
    out: list[list] = []
    current: list = []
    used = 0
    for item, size in zip(items, sizes):
        if current and (len(current) >= max_requests or used + size > max_bytes):
            out.append(current)
            current, used = [], 0
        current.append(item)
        used += size
    if current:
        out.append(current)
    return out


def batch_tag(keys: list[str], n_round: int) -> str:
    """A name for one submission (its requests and round), stored with the batch at the provider."""
    return hashlib.sha256(("\n".join(keys) + f"\nround {n_round}").encode()).hexdigest()[:24]


class BatchRun:
    """The batch half of a stage: submit, record, poll, collect; the Stage stores answers and counts."""

    def __init__(self, stage, cache_dir: str):
        self.stage = stage
        self.backend = stage.backend
        self.cfg = stage.cfg
        self.ledger = Ledger(cache_dir)
        self.counts = {"batches_submitted": 0, "batches_resumed": 0, "batches_adopted": 0, "requests_submitted": 0,
                       "resubmitted": 0, "polls": 0}

    # --- calls to the provider, retried like online requests ----------------------------------------
    def _call(self, what: str, fn, *args):
        cfg, backend = self.cfg, self.backend
        for attempt in range(cfg.max_retries + 1):
            try:
                return fn(*args)
            except Exception as exc:  # noqa: BLE001 — classified below
                msg = f"{type(exc).__name__}: {self.stage.redact(str(exc))}"
                if backend.fatal(exc) or not backend.retryable(exc) or attempt == cfg.max_retries:
                    raise RuntimeError(f"teachers.{cfg.name}: batch {what} failed: {msg} "
                                       f"(check model, base_url and the key in ${cfg.api_key_env or '-'})") from None
                self.stage.counts["retries"] += 1
                wait = self.stage.backoff(attempt, backend.retry_after(exc))
                log.warning("teacher %s: batch %s: %s; retry %d in %.1fs", cfg.name, what, msg, attempt + 1, wait)
                time.sleep(wait)
        raise AssertionError("unreachable")

    def _submit_once(self, lines: list[bytes], tag: str) -> dict:
        """Submit, unless the provider already holds a live batch with this tag: its record was lost (a kill
        between the provider accepting it and the record being written) or its create response was (a
        dropped connection, then a retry); that batch is adopted instead of paying for the requests twice."""
        found = self.backend.find(tag)
        if found is not None:
            log.info("teacher %s: batch %s was submitted before (tag %s) but not recorded: adopting it",
                     self.cfg.name, found["id"], tag)
            self.counts["batches_adopted"] += 1
            return found
        return self.backend.submit(lines, tag)

    def submit(self, items: list[tuple[str, object, dict]], rounds: dict[str, int]) -> list[Entry]:
        """Split, submit and record ``items`` (key, request, params); each entry is on disk before it returns."""
        backend, cfg = self.backend, self.cfg
        lines = [backend.encode(key, req.messages, params) for key, req, params in items]
        groups = chunks(list(zip(items, lines)), [len(line) for line in lines],
                        cfg.batch_max_requests or backend.max_requests, cfg.batch_max_bytes or backend.max_bytes)
        entries = []
        for group in groups:
            keys = [key for (key, _, _), _ in group]
            n_round = max(rounds.get(k, 0) for k in keys) + 1
            tag = batch_tag(keys, n_round)
            ids = self._call("submit", self._submit_once, [line for _, line in group], tag)
            entry = Entry(id=ids["id"], input_file=ids.get("input_file"), provider=backend.provider,
                          base_url=backend.base_url or "", model=backend.model, teacher=cfg.name, keys=keys,
                          round=n_round)
            self.ledger.record(entry)
            for k in keys:
                rounds[k] = n_round
            self.counts["batches_submitted"] += 1
            self.counts["requests_submitted"] += len(keys)
            self.counts["resubmitted"] += sum(n_round > 1 for _ in keys)
            self.stage.counts["sent"] += len(keys)
            log.info("teacher %s: batch %s submitted (%d requests, %d bytes, round %d)",
                     cfg.name, entry.id, len(keys), sum(len(line) for _, line in group), n_round)
            entries.append(entry)
        return entries

    def collect(self, e: Entry, st: Status, wanted: dict, results: dict[str, Completion],
                rounds: dict[str, int]) -> list[str]:
        """Store a finished batch's answers and forget its record; returns the wanted keys to submit again."""
        answers = self._call("results", self.backend.results, e, st) if st.state != "failed" else {}
        retry = []
        for key in e.keys:
            a = answers.get(key)
            if a is not None and a.completion.error:
                a.completion.error = self.stage.redact(a.completion.error)
            if a is not None and not a.retryable:
                if key in wanted and key not in results:
                    self.stage.store(key, a.completion)
                    results[key] = a.completion
                elif a.completion.finish_reason != "error":  # another stage's answer: cache it too
                    self.stage.store(key, a.completion, count=False)
            elif key in wanted and key not in results:
                if rounds.get(key, 1) < self.cfg.batch_rounds:
                    retry.append(key)
                    continue
                why = a.completion.error if a is not None else f"batch {st.raw}" + (f": {st.message}" if st.message else "")
                c = Completion(text="", finish_reason="error",
                               error=f"not answered after {rounds.get(key, 1)} batch submissions: {why}"[:500])
                self.stage.store(key, c)
                results[key] = c
        self.ledger.forget(e)
        log.info("teacher %s: batch %s collected (%s); stage %d/%d answered", self.cfg.name, e.id, st.raw,
                 len(results), len(wanted))
        return retry

    # --- the loop -----------------------------------------------------------------------------------
    def run(self, todo: list[tuple[str, object, dict]]) -> dict[str, Completion]:
        backend, cfg = self.backend, self.cfg
        wanted = {key: (key, req, params) for key, req, params in todo}
        results: dict[str, Completion] = {}
        rounds: dict[str, int] = {}
        backend.open()
        try:
            active = [e for e in self.ledger.load(backend.provider, backend.base_url or "", backend.model)
                      if wanted.keys() & set(e.keys)]
            for e in active:
                for k in e.keys:
                    rounds[k] = max(rounds.get(k, 0), e.round)
                log.info("teacher %s: resuming batch %s (%d requests, submitted %s)", cfg.name, e.id, len(e.keys),
                         time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(e.submitted)))
            self.counts["batches_resumed"] = len(active)
            covered = {k for e in active for k in e.keys}
            active += self.submit([item for k, item in wanted.items() if k not in covered], rounds)
            started = time.monotonic()
            delay = cfg.batch_poll_s
            last: dict[str, str] = {}
            while active:
                retry: list[str] = []
                for e in list(active):
                    st = self._call("status", backend.poll, e)
                    self.counts["polls"] += 1
                    line = f"{st.raw} {st.done if st.done is not None else '?'}/{st.total or len(e.keys)}"
                    if last.get(e.id) != line:
                        last[e.id] = line
                        log.info("teacher %s: batch %s %s; stage %d/%d answered", cfg.name, e.id, line,
                                 len(results), len(wanted))
                    if not st.final:
                        continue
                    retry += self.collect(e, st, wanted, results, rounds)
                    active.remove(e)
                if retry:
                    log.info("teacher %s: %d requests go into another batch", cfg.name, len(retry))
                    active += self.submit([wanted[k] for k in dict.fromkeys(retry)], rounds)
                if not active:
                    break
                waited = time.monotonic() - started
                if cfg.batch_wait is False or (cfg.batch_wait is not True and waited + delay > cfg.batch_wait):
                    ids = ", ".join(e.id for e in active[:5]) + (", ..." if len(active) > 5 else "")
                    msg = (f"teachers.{cfg.name}: {len(wanted) - len(results)} requests wait in {len(active)} "
                           f"submitted batch(es) ({ids}); batch_wait is {cfg.batch_wait!r}, so this job stops here: "
                           "run it again to collect (nothing is submitted twice)")
                    if sys.__stderr__ is not None and sys.stderr is not sys.__stderr__:  # a job's log took stderr:
                        print(f"BatchPending: {msg}", file=sys.__stderr__, flush=True)  # the console sees it too
                    raise BatchPending(msg)
                time.sleep(delay)
                delay = min(cfg.batch_poll_max_s, delay * 1.5)
        finally:
            backend.close()
        return results

