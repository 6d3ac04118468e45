"""LLaMA-Factory compatibility shims (a leaf).

LLaMA-Factory 0.9.5 imports torchaudio unconditionally; PyPI's torchaudio does not load beside the CPU
torch 2.13 wheel, so where torchaudio is missing a stub package (``_shims/torchaudio``) stands in.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

SHIM_DIR = Path(__file__).resolve().parent / "_shims"


def needs_torchaudio_shim() -> bool:
    return importlib.util.find_spec("torchaudio") is None


def ensure_torchaudio_shim() -> None:
    """Make ``import llamafactory`` work in this process where torchaudio is missing."""
    if needs_torchaudio_shim() and str(SHIM_DIR) not in sys.path:
        sys.path.insert(0, str(SHIM_DIR))


def shim_pythonpath(env: dict) -> None:
    """Put the shim on a subprocess environment's PYTHONPATH where torchaudio is missing (``llamafactory-cli``)."""
    if needs_torchaudio_shim():
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SHIM_DIR), env.get("PYTHONPATH")]))
