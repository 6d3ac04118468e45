"""Atomic file writes and JSON Lines helpers: a killed job never leaves a half-written output.

A JSONL file written by :func:`write_jsonl` gets a digest beside it (``.{name}.sha256``: its size and
SHA-256, written before the file is renamed into place). :func:`iter_jsonl` checks the file against it,
so a file truncated or changed after it was written is never read: the reader removes it (and its
digest) and raises ``CorruptFile`` naming it, and the next run rebuilds it. :func:`remove_damaged`
does the cheap part (sizes only) for a whole results folder before the DAG is built: a truncated
output is removed, so Snakemake rebuilds it in any run that needs it (at once if a job that reads it
has to run) and nothing reads it as it was.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator


@contextmanager
def atomic_open(path: str | os.PathLike, mode: str = "w", encoding: str | None = "utf-8"):
    """Open a temporary file beside ``path``; rename it over ``path`` only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, mode, encoding=None if "b" in mode else encoding) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text(path: str | os.PathLike, text: str) -> None:
    with atomic_open(path) as fh:
        fh.write(text)


def write_json(path: str | os.PathLike, obj, indent: int | None = 2) -> None:
    with atomic_open(path) as fh:
        json.dump(obj, fh, indent=indent, ensure_ascii=False)
        fh.write("\n")


def read_json(path: str | os.PathLike):
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


class CorruptFile(ValueError):
    """A file that no longer matches what was written (truncated or edited since)."""


def digest_path(path: str | os.PathLike) -> Path:
    path = Path(path)
    return path.with_name(f".{path.name}.sha256")


def write_jsonl(path: str | os.PathLike, rows: Iterable[dict]) -> int:
    """Rows as JSON Lines, atomically, with the digest beside the file (see the module doc)."""
    n, size, sha = 0, 0, hashlib.sha256()
    with atomic_open(path, "wb") as fh:
        for row in rows:
            line = (json.dumps(row, ensure_ascii=False) + "\n").encode("utf-8")
            fh.write(line)
            sha.update(line)
            size += len(line)
            n += 1
        # the digest lands before the file is renamed into place: never a new file beside an old digest
        write_text(digest_path(path), json.dumps({"bytes": size, "sha256": sha.hexdigest()}))
    return n


def _damaged(path: Path, recorded: dict, data: bytes | None = None) -> str | None:
    """Why ``path`` does not match its digest (sizes only when ``data`` is None), or None."""
    size = path.stat().st_size if data is None else len(data)
    if size != recorded.get("bytes"):
        return f"{size} bytes, {recorded.get('bytes')} were written"
    if data is not None and hashlib.sha256(data).hexdigest() != recorded.get("sha256"):
        return "its content changed since it was written"
    return None


def _recorded(path: Path) -> dict | None:
    try:
        recorded = json.loads(digest_path(path).read_text())
    except (OSError, ValueError):
        return None
    return recorded if isinstance(recorded, dict) else None


def _discard(path: Path, why: str) -> CorruptFile:
    path.unlink(missing_ok=True)
    digest_path(path).unlink(missing_ok=True)
    return CorruptFile(f"{path}: damaged ({why}); removed it, a rerun rebuilds it")


def verify_jsonl(path: str | os.PathLike) -> None:
    """Raise CorruptFile (after removing the file and its digest) if ``path`` does not match its digest;
    files without a digest (written by other tools) are not checked."""
    path = Path(path)
    recorded = _recorded(path)
    if recorded is None or not path.exists():
        return
    why = _damaged(path, recorded, path.read_bytes())
    if why:
        raise _discard(path, why)


def remove_damaged(folder: str | os.PathLike) -> list[str]:
    """Remove every JSONL file under ``folder`` whose size differs from its digest (a truncated output),
    with its digest; returns (and logs) one line per file removed."""
    removed = []
    for digest in sorted(Path(folder).rglob(".*.jsonl.sha256")):
        path = digest.with_name(digest.name[1 : -len(".sha256")])
        recorded = _recorded(path)
        if recorded is None or not path.exists():
            continue
        why = _damaged(path, recorded)
        if why:
            removed.append(str(_discard(path, why)))
            print(removed[-1], file=sys.stderr)
    return removed


def iter_jsonl(path: str | os.PathLike) -> Iterator[dict]:
    """Yield rows; a file that no longer matches its digest raises CorruptFile (and is removed), a
    malformed line raises ValueError naming the file and line."""
    verify_jsonl(path)
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                yield json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{lineno}: invalid JSON ({exc.msg})") from None


def read_jsonl(path: str | os.PathLike) -> list[dict]:
    return list(iter_jsonl(path))
