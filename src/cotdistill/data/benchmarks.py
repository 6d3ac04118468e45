"""Load any benchmark of the papers (hub, local file or generator) as problem records.

    from cotdistill.data import load_split
    load_split("gsm8k", {"source": "jsonl", "files": {"test": "gsm8k/test.jsonl"}, "n_test": 100}, "test")

A dataset block of config.yaml (``datasets.<name>``) takes: ``source`` (generator|hf|jsonl|json|csv|
parquet), ``format`` (converter name, default the block name), ``path`` (hub id or local file/folder),
``hf_name``, ``files`` ({split: path}), ``splits`` ({our split: source split}), ``filter``
({field: value or [values]} kept rows), ``n_train``, ``n_test``, ``n_dev``, ``seed``, ``dev_size``,
``on_bad_row`` (error|skip), ``cache_dir`` (default data/hf).
"""

from __future__ import annotations

import hashlib
import json
import logging
import sys
from pathlib import Path

from ..io import write_jsonl
from .converters import CONVERTERS, BadRow
from .schema import make_problem
from .sources import LOCAL_SOURCES, find_split_file, kind_of, read_hub, read_local

log = logging.getLogger(__name__)

SPLITS = ("train", "test", "dev")

# Hub ids, configs and split names the papers use; ``test`` maps to the labelled evaluation split.
HUB = {
    "gsm8k": {"path": "openai/gsm8k", "hf_name": "main", "splits": {"train": "train", "test": "test"}},
    "svamp": {"path": "ChilleD/SVAMP", "splits": {"train": "train", "test": "test"}},
    "math": {"path": "DigitalLearningGmbH/MATH-lighteval", "hf_name": "default",
             "splits": {"train": "train", "test": "test"}},
    "math500": {"path": "HuggingFaceH4/MATH-500", "splits": {"test": "test"}},
    "aqua": {"path": "deepmind/aqua_rat", "hf_name": "raw",
             "splits": {"train": "train", "test": "test", "dev": "validation"}},
    "numinamath": {"path": "AI-MO/NuminaMath-CoT", "splits": {"train": "train", "test": "test"}},
    "mmlu_pro": {"path": "TIGER-Lab/MMLU-Pro", "splits": {"train": "validation", "test": "test"},
                 "filter": {"category": "math"}},
    "strategyqa": {"path": "ChilleD/StrategyQA", "splits": {"train": "train", "test": "test"}},
    "commonsenseqa": {"path": "tau/commonsense_qa", "splits": {"train": "train", "test": "validation"}},
    "openbookqa": {"path": "allenai/openbookqa", "hf_name": "main",
                   "splits": {"train": "train", "test": "test", "dev": "validation"}},
    "arc_challenge": {"path": "allenai/ai2_arc", "hf_name": "ARC-Challenge",
                      "splits": {"train": "train", "test": "test", "dev": "validation"}},
    "anli": {"path": "facebook/anli", "splits": {"train": "train_r3", "test": "test_r3", "dev": "dev_r3"}},
    "date_understanding": {"path": "lukaemon/bbh", "hf_name": "date_understanding", "splits": {"test": "test"}},
    "logiqa": {"path": "lucasmccabe/logiqa", "splits": {"train": "train", "test": "test", "dev": "validation"}},
    "tabmwp": {},  # no canonical hub copy: use the release files (problems_{train,test}.json)
}


def _key(label: str, key: str) -> str:
    return f"{label}.{key}"


def _rank(seed, salt: str, pid: str) -> str:
    """A seeded, order-free sort key: the same row gets the same rank whatever else is loaded."""
    return hashlib.sha256(f"{seed}:{salt}:{pid}".encode()).hexdigest()


def _content_id(fields: dict) -> str:
    """Stable id for rows without one: a hash of question, context and choices."""
    blob = json.dumps([fields["question"], fields["context"], fields["choices"]], ensure_ascii=False)
    return hashlib.sha1(blob.encode()).hexdigest()[:12]


def convert_rows(rows, fmt: str, dataset: str, split: str, on_bad_row: str = "error",
                 row_filter: dict | None = None, label: str = "dataset") -> list[dict]:
    """Convert ``(where, row)`` pairs with converter ``fmt``; bad rows raise or are skipped and logged."""
    if fmt not in CONVERTERS:
        raise ValueError(f"{_key(label, 'format')}: unknown format {fmt!r}; "
                         f"expected one of {', '.join(sorted(CONVERTERS))}")
    if on_bad_row not in ("error", "skip"):
        raise ValueError(f"{_key(label, 'on_bad_row')}: {on_bad_row!r} is not 'error' or 'skip'")
    convert = CONVERTERS[fmt]
    wanted = {k: set(v) if isinstance(v, (list, tuple)) else {v} for k, v in (row_filter or {}).items()}
    problems, seen, bad = [], {}, []
    for index, (where, row) in enumerate(rows):
        try:
            if isinstance(row, BadRow):
                raise row
            if any(row.get(k) not in vals for k, vals in wanted.items()):
                continue
            try:
                fields = convert(row)
            except (TypeError, AttributeError, KeyError, IndexError) as exc:  # a field of an unexpected type
                raise BadRow(f"a field has an unexpected type or shape ({type(exc).__name__}: {exc})") from None
        except BadRow as exc:
            if on_bad_row == "error":
                raise ValueError(f"{where}: {exc} (set {_key(label, 'on_bad_row')}: skip to skip such rows)") from None
            bad.append(f"{where}: {exc}")
            continue
        pid = fields.pop("native_id") or _content_id(fields)
        seen[pid] = seen.get(pid, 0) + 1
        if seen[pid] > 1:  # duplicated source rows keep distinct, still order-stable ids
            pid = f"{pid}~{seen[pid]}"
        fields["meta"] = {**fields["meta"], "row": index}
        problems.append(make_problem(id=pid, dataset=dataset, split=split, **fields))
    if bad:
        log.warning("%s: skipped %d bad row(s) of %d; first: %s", label, len(bad), len(bad) + len(problems), bad[0])
    return problems


def subsample(problems: list[dict], n: int | None, seed, salt: str = "sample") -> list[dict]:
    """``n`` problems chosen by a seeded hash of their ids, kept in source order.

    Ranking by id (not by position) makes a smaller sample a subset of a larger one and keeps the
    choice stable when other rows are added or removed.
    """
    if n is None or n >= len(problems):
        if n is not None and n > len(problems):
            log.warning("asked for %d problems, only %d available; using all", n, len(problems))
        return list(problems)
    keep = set(sorted((p["id"] for p in problems), key=lambda pid: _rank(seed, salt, pid))[:n])
    return [p for p in problems if p["id"] in keep]


def _source_rows(name: str, cfg: dict, source_split: str, label: str):
    """``(where, row)`` pairs of one source split, from the hub or a local file/folder."""
    source = cfg.get("source")
    fmt = cfg.get("format", name)
    if source == "hf":
        spec = HUB.get(fmt, {})
        path = cfg.get("path") or spec.get("path")
        if not path:
            raise ValueError(f"{_key(label, 'path')}: no hub id known for format {fmt!r}; set path")
        hf_name = cfg.get("hf_name", spec.get("hf_name") if path == spec.get("path") else None)
        return read_hub(path, hf_name, source_split, cfg.get("cache_dir", "data/hf"), label=label)
    if source in LOCAL_SOURCES:
        files = cfg.get("files") or {}
        if source_split in files:
            path = Path(files[source_split])
        elif cfg.get("path") and Path(cfg["path"]).is_dir():
            try:
                path = find_split_file(cfg["path"], source_split, source)
            except FileNotFoundError as exc:
                raise FileNotFoundError(f"{_key(label, 'path')}: {exc}") from None
        elif cfg.get("path") and source_split == "test" and not files:
            path = Path(cfg["path"])  # a single file is the test set; train needs files.train
        else:
            raise ValueError(f"{_key(label, 'files')}: no file for split {source_split!r} "
                             f"(give files: {{{source_split}: PATH}} or a folder holding {source_split}.{source})")
        if not path.is_file():
            raise FileNotFoundError(f"{_key(label, 'files')}: {path}: no such file")
        return read_local(path, source)
    raise ValueError(f"{_key(label, 'source')}: {source!r} is not one of generator, hf, "
                     f"{', '.join(LOCAL_SOURCES)}")


def _has_split(cfg: dict, fmt: str, split: str) -> bool:
    """Whether the source itself provides ``split`` (else dev must be carved from train)."""
    if cfg.get("source") == "hf":
        return split in (cfg.get("splits") or HUB.get(fmt, {}).get("splits") or {"train": 1, "test": 1})
    if split in (cfg.get("files") or {}) or split in (cfg.get("splits") or {}):
        return True
    if cfg.get("path") and Path(cfg["path"]).is_dir():
        try:
            find_split_file(cfg["path"], split, cfg.get("source"))
            return True
        except FileNotFoundError:
            return False
    return False


def has_dev_split(name: str, cfg: dict) -> bool:
    """Whether a dataset block declares a dev split: ``n_dev`` for a generator (its default, ``n_train``
    problems, is never assumed), else the source's own dev split or ``dev_size`` carved from train."""
    if cfg.get("source") == "generator":
        return bool(cfg.get("n_dev"))
    return bool(cfg.get("dev_size")) or _has_split(cfg, cfg.get("format", name), "dev")


def _load_source_split(name: str, cfg: dict, split: str, label: str) -> list[dict]:
    fmt = cfg.get("format", name)
    spec = HUB.get(fmt, {}) if cfg.get("source") == "hf" else {}
    splits = cfg.get("splits") or spec.get("splits") or {}
    source_split = splits.get(split, split)
    rows = _source_rows(name, cfg, source_split, label)
    row_filter = cfg.get("filter", spec.get("filter"))
    return convert_rows(rows, fmt, name, split, cfg.get("on_bad_row", "error"), row_filter, label)


def load_split(name: str, cfg: dict, split: str) -> list[dict]:
    """Problems of dataset ``name`` (config block ``cfg``) for ``split`` (train|test|dev).

    ``dev`` comes from the source's own dev split when ``files``/``splits`` name one (``n_dev`` or
    ``dev_size`` then subsample it), else it is carved from train with ``dev_size`` (and excluded from train). ``n_train``/``n_test``
    subsample with ``seed``; ids derive from the source rows, so they are the same in every run.
    """
    label = f"datasets.{name}"
    if split not in SPLITS:
        raise ValueError(f"{label}: split {split!r} is not one of {SPLITS}")
    if cfg.get("source") == "generator":
        from .generators import generate_split

        return generate_split(name, cfg, split)
    fmt = cfg.get("format", name)
    seed = cfg.get("seed", 0)
    dev_size = cfg.get("dev_size")
    carve = bool(dev_size) and not _has_split(cfg, fmt, "dev")
    if split == "dev" and not carve:
        if not _has_split(cfg, fmt, "dev"):
            raise ValueError(f"{label}: no dev split; set {_key(label, 'dev_size')} to carve one from "
                             f"train, or name a dev file in {_key(label, 'files')}")
        n_dev = cfg.get("n_dev", dev_size)
        return subsample(_load_source_split(name, cfg, "dev", label), n_dev, seed, "dev")
    if split == "test":
        return subsample(_load_source_split(name, cfg, "test", label), cfg.get("n_test"), seed)
    pool = _load_source_split(name, cfg, "train", label)
    if carve:
        order = sorted((p["id"] for p in pool), key=lambda pid: _rank(seed, "dev", pid))
        dev_ids = set(order[: int(dev_size)])
        if split == "dev":
            return [{**p, "split": "dev"} for p in pool if p["id"] in dev_ids]
        pool = [p for p in pool if p["id"] not in dev_ids]
    if split == "dev":
        return pool
    return subsample(pool, cfg.get("n_train"), seed)


def prepare_dataset_cli(name: str, source: str, out: str, split: str = "test") -> int:
    """``cotdistill prepare-dataset``: convert a local file or dataset folder with format ``name``."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    path = Path(source)
    try:
        if name not in CONVERTERS:
            raise ValueError(f"unknown dataset format {name!r}; expected one of {', '.join(sorted(CONVERTERS))}")
        if path.is_file():
            rows = read_local(path, kind_of(path))
        elif path.is_dir():
            try:
                rows = read_local(find_split_file(path, split))
            except FileNotFoundError:  # a hub-layout folder (data/test-*.parquet, ...)
                rows = read_hub(str(path), None, split, "data/hf", label=str(path))
        else:
            raise FileNotFoundError(f"{source}: no such file or folder (--from takes a local file, "
                                    f"or a folder with {split}.jsonl/json/csv/parquet or hub-layout files)")
        problems = convert_rows(rows, name, name, split, label=name)
        n = write_jsonl(out, problems)
    except (ValueError, OSError, RuntimeError) as exc:
        print(f"cotdistill prepare-dataset: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {n} {name} problems ({split}) to {out}", file=sys.stderr)
    return 0
