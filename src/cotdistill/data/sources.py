"""Raw rows from local files (jsonl, json, csv, parquet) or the Hugging Face hub, each with its origin.

Every reader yields ``(where, row)`` where ``where`` names the file and line (or element / row
number) so that a bad row can be reported precisely. A row that is not valid JSON is yielded as
``(where, BadRow(...))`` so that the caller decides whether to stop or skip.
"""

from __future__ import annotations

import csv
import json
import os
import socket
from pathlib import Path
from typing import Iterator
from urllib.parse import urlparse

from .converters import BadRow

LOCAL_SOURCES = ("jsonl", "json", "csv", "parquet")
_EXT = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".csv": "csv", ".parquet": "parquet"}


def kind_of(path: str | os.PathLike, default: str | None = None) -> str:
    """File kind from the extension, else ``default``; raise if neither tells."""
    kind = _EXT.get(Path(path).suffix.lower(), default)
    if kind is None:
        raise ValueError(f"{path}: cannot tell the file format from its extension "
                         f"(expected one of {', '.join(sorted(_EXT))})")
    return kind


def read_local(path: str | os.PathLike, kind: str | None = None) -> Iterator[tuple[str, dict | BadRow]]:
    """Rows of a local file; ``kind`` (jsonl|json|csv|parquet) defaults to the file extension."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    kind = kind_of(path, kind) if kind in (None, "") else kind
    if kind == "jsonl":
        yield from _read_jsonl(path)
    elif kind == "json":
        yield from _read_json(path)
    elif kind == "csv":
        yield from _read_csv(path)
    elif kind == "parquet":
        import pyarrow.parquet as pq

        for i, row in enumerate(pq.read_table(path).to_pylist()):
            yield f"{path}: row {i + 1}", row
    else:
        raise ValueError(f"{path}: unknown local format {kind!r} (expected one of {LOCAL_SOURCES})")


def _read_jsonl(path: Path):
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            where = f"{path}:{lineno}"
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                yield where, BadRow(f"invalid JSON ({exc.msg})")
                continue
            yield where, row if isinstance(row, dict) else BadRow("line is not a JSON object")


def _read_json(path: Path):
    """A JSON array, a BIG-bench task (``examples``), ``{data: [...]}`` or a dict keyed by id (TabMWP).

    A ``.json`` file that is really JSON Lines (AQuA's release ``test.json``) is read line by line.
    """
    text = path.read_text(encoding="utf-8")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        if text.lstrip().startswith("{") and exc.msg == "Extra data":
            yield from _read_jsonl(path)
            return
        raise ValueError(f"{path}:{exc.lineno}: invalid JSON ({exc.msg})") from None
    if isinstance(data, dict):
        for key in ("examples", "data", "rows"):
            if isinstance(data.get(key), list):
                data = data[key]
                break
        else:
            if data and all(isinstance(v, dict) for v in data.values()):
                for key, row in data.items():
                    yield f"{path}: entry {key!r}", {"pid": key, **row}
                return
            raise ValueError(f"{path}: a JSON object without 'examples'/'data' list or id-keyed entries")
    if not isinstance(data, list):
        raise ValueError(f"{path}: expected a JSON array of rows, got {type(data).__name__}")
    for i, row in enumerate(data):
        where = f"{path}: element {i}"
        yield where, row if isinstance(row, dict) else BadRow("element is not a JSON object")


def _read_csv(path: Path):
    """CSV with a header; cells holding JSON lists/objects (choices, options) are decoded."""
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        for row in reader:
            for key, value in row.items():
                if isinstance(value, str) and value[:1] in "[{":
                    try:
                        row[key] = json.loads(value)
                    except json.JSONDecodeError:
                        pass
            yield f"{path}:{reader.line_num}", row


def find_split_file(folder: str | os.PathLike, split: str, kind: str | None = None) -> Path:
    """``folder/{split}.{ext}`` for a local source; raise naming what was looked for."""
    folder = Path(folder)
    exts = [k for k, v in _EXT.items() if kind in (None, v)]
    for ext in exts:
        candidate = folder / f"{split}{ext}"
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"{folder}: no {split}{{{','.join(exts)}}} file")


# ---------------------------------------------------------------- hub


def hub_reachable(timeout: float = 3.0) -> bool:
    """Whether the hub endpoint answers a TCP connect (fast check before datasets' slow retries)."""
    from huggingface_hub import constants

    if constants.HF_HUB_OFFLINE:
        return False
    host = urlparse(constants.ENDPOINT).hostname or "huggingface.co"
    try:
        socket.create_connection((host, 443), timeout=timeout).close()
        return True
    except OSError:
        return False


class HubUnavailable(RuntimeError):
    """A hub dataset that is neither cached nor downloadable."""


def read_hub(path: str, name: str | None, split: str, cache_dir: str | os.PathLike,
             label: str = "dataset") -> Iterator[tuple[str, dict]]:
    """Rows of ``datasets.load_dataset(path, name, split=split)``; ``path`` may be a local folder.

    With the hub unreachable, only the cache under ``cache_dir`` is tried (no 30 s of retries), and a
    miss raises ``HubUnavailable`` with one line saying how to provide the files locally.
    """
    import datasets
    from huggingface_hub import constants

    local = Path(path).exists()
    offline = not local and not hub_reachable()
    saved = (datasets.config.HF_HUB_OFFLINE, constants.HF_HUB_OFFLINE)
    try:
        if offline:
            datasets.config.HF_HUB_OFFLINE = constants.HF_HUB_OFFLINE = True
        ds = datasets.load_dataset(path, name, split=split, cache_dir=str(cache_dir))
    except (ConnectionError, FileNotFoundError, OSError) as exc:
        if local:
            raise ValueError(f"{label}: cannot read local dataset folder {path} split {split!r}: {exc}") from None
        if not offline:
            raise ValueError(f"{label}: hub dataset {path!r}: {str(exc).splitlines()[0]}") from None
        raise HubUnavailable(
            f"{label}: hub dataset {path!r}"
            + (f" (config {name!r})" if name else "")
            + f" split {split!r} is not cached under {cache_dir} and the hub is unreachable; "
            f"provide the files locally with `source: jsonl` (or json/csv/parquet) and "
            f"`files: {{train: PATH, test: PATH}}` in config.yaml {label}"
        ) from None
    except ValueError as exc:  # unknown split or config
        raise ValueError(f"{label}: {path!r}: {exc}".splitlines()[0]) from None
    finally:
        datasets.config.HF_HUB_OFFLINE, constants.HF_HUB_OFFLINE = saved
    where = f"{path}" + (f" ({name})" if name else "") + f" [{split}]"
    for i, row in enumerate(ds):
        yield f"{where} row {i + 1}", row
