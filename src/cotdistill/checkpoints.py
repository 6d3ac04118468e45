"""Training that survives preemption: LLaMA-Factory writes into a work directory that is not a Snakemake
output (Snakemake deletes a job's outputs before it reruns the job), saves a checkpoint every
``save_steps``, and a rerun resumes from the last complete one. Only a finished training is published,
atomically, into the checkpoint folder the rule declares.

Work directory layout: LLaMA-Factory's own files (``checkpoint-N/``, the final model, logs), plus
``.config.sha256`` (the training config it belongs to; a changed config starts afresh), ``launch.yaml``
(the config actually run, with ``resume_from_checkpoint``) and ``.complete`` (training finished).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from pathlib import Path

_CHECKPOINT = re.compile(r"^checkpoint-(\d+)$")
HASH_FILE, COMPLETE, LAUNCH = ".config.sha256", ".complete", "launch.yaml"
_OURS = {HASH_FILE, COMPLETE, LAUNCH}


def config_hash(config_text: str) -> str:
    return hashlib.sha256(config_text.encode()).hexdigest()


def prepare_work_dir(work: str | Path, config_text: str) -> Path:
    """The work directory of a training config; emptied when it holds another config's training."""
    work = Path(work)
    digest = config_hash(config_text)
    stamp = work / HASH_FILE
    if work.exists() and (not stamp.exists() or stamp.read_text().strip() != digest):
        shutil.rmtree(work)
    work.mkdir(parents=True, exist_ok=True)
    stamp.write_text(digest + "\n")
    return work


def is_complete_checkpoint(path: Path) -> bool:
    """transformers writes ``trainer_state.json`` last when it saves a checkpoint."""
    try:
        json.loads((path / "trainer_state.json").read_text())
        return True
    except (OSError, ValueError):
        return False


def last_checkpoint(work: str | Path) -> Path | None:
    """The newest complete ``checkpoint-N`` in ``work``; newer, half-written ones are deleted."""
    work = Path(work)
    found = sorted(
        ((int(m.group(1)), p) for p in work.iterdir() if p.is_dir() and (m := _CHECKPOINT.match(p.name))),
        reverse=True,
    )
    for _, path in found:
        if is_complete_checkpoint(path):
            return path
        shutil.rmtree(path)
    return None


def checkpoint_step(path: Path) -> int:
    return json.loads((path / "trainer_state.json").read_text())["global_step"]


def discard_partial_output(work: Path) -> None:
    """Without a checkpoint, anything else in ``work`` is a half-written final save: start clean."""
    for path in work.iterdir():
        if path.name not in _OURS:
            shutil.rmtree(path) if path.is_dir() else path.unlink()


def is_complete(work: Path) -> bool:
    return (work / COMPLETE).exists()


def mark_complete(work: Path) -> None:
    (work / COMPLETE).write_text("")


def publish(work: str | Path, out: str | Path) -> Path:
    """Move a finished training's final model (everything but checkpoints and our bookkeeping) into
    ``out``: hard links (copies across filesystems) into a sibling temp folder, renamed into place,
    then the work directory is removed. Interrupted at any point, a rerun publishes again."""
    work, out = Path(work), Path(out)
    tmp = out.with_name(f".{out.name}.publishing")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    for path in work.iterdir():
        if path.name in _OURS or _CHECKPOINT.match(path.name):
            continue
        if path.is_dir():
            shutil.copytree(path, tmp / path.name, copy_function=_link_or_copy)
        else:
            _link_or_copy(path, tmp / path.name)
    if out.exists():
        shutil.rmtree(out)
    os.replace(tmp, out)
    shutil.rmtree(work)
    return out


def _link_or_copy(src, dst) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)
