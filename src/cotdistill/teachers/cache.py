"""A persistent response cache keyed by request content, shared safely by concurrent jobs.

One SQLite file in WAL mode: many readers and one writer at a time across processes, each answer
committed as soon as it arrives, so ``kill -9`` loses only the requests still in flight. The key is a
hash of what the provider sees (provider, base_url, model, messages, generation params, sample index);
nothing else (no parser, filter, concurrency or API key) goes in, so downstream changes cost nothing.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
import time
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS responses (
    key TEXT PRIMARY KEY,
    provider TEXT NOT NULL,
    model TEXT NOT NULL,
    record TEXT NOT NULL,
    created REAL NOT NULL
)
"""
_CHUNK = 500  # keys per SELECT ... IN (...), below SQLite's variable limit
log = logging.getLogger("cotdistill.teachers")


def _valid_record(record) -> dict | None:
    """The JSON object stored in a row, or None if the row is damaged (the engine also checks the fields)."""
    try:
        r = json.loads(record)
    except (TypeError, ValueError):
        return None
    return r if isinstance(r, dict) else None


def cache_key(provider: str, base_url: str | None, model: str, messages: list[dict], params: dict, sample: int) -> str:
    """SHA-256 over the canonical JSON of everything that determines the provider's answer."""
    blob = json.dumps(
        {"provider": provider, "base_url": base_url or "", "model": model, "messages": messages,
         "params": params, "sample": sample},
        sort_keys=True, ensure_ascii=False, separators=(",", ":"),
    )
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class ResponseCache:
    """``get_many(keys) -> {key: record}`` and ``put(key, provider, model, record)`` over one SQLite file."""

    def __init__(self, cache_dir: str | Path, filename: str = "responses.sqlite"):
        self.path = Path(cache_dir) / filename
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.db = sqlite3.connect(self.path, timeout=60.0, isolation_level=None, check_same_thread=False)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: a process kill loses nothing committed
            self.db.execute(SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise RuntimeError(f"{self.path}: cannot open the LLM response cache ({exc})") from None

    def get_many(self, keys: list[str]) -> dict[str, dict]:
        """Cached records of ``keys``; a damaged row (not a JSON object) counts as a miss,
        so the request is sent again and its answer replaces the row."""
        out: dict[str, dict] = {}
        damaged = 0
        keys = list(dict.fromkeys(keys))
        for i in range(0, len(keys), _CHUNK):
            chunk = keys[i : i + _CHUNK]
            marks = ",".join("?" * len(chunk))
            for key, record in self.db.execute(f"SELECT key, record FROM responses WHERE key IN ({marks})", chunk):
                parsed = _valid_record(record)
                if parsed is None:
                    damaged += 1
                else:
                    out[key] = parsed
        if damaged:
            log.warning("%s: %d damaged cache row(s) ignored; their requests are sent again", self.path, damaged)
        return out

    def put(self, key: str, provider: str, model: str, record: dict) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO responses (key, provider, model, record, created) VALUES (?, ?, ?, ?, ?)",
            (key, provider, model, json.dumps(record, ensure_ascii=False), time.time()),
        )

    def __len__(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM responses").fetchone()[0]

    def close(self) -> None:
        self.db.close()
