"""Send a rule script's output to its Snakemake log file."""

from __future__ import annotations

import logging
import sys
from pathlib import Path


def to_log(path: str | None) -> logging.Logger:
    """Redirect stdout/stderr (tqdm, warnings, prints) and logging to ``path``; return our logger."""
    if path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        fh = open(path, "a", buffering=1, encoding="utf-8")
        sys.stdout = sys.stderr = fh
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s", force=True)
    return logging.getLogger("cotdistill")
