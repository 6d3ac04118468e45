"""Datasets: every benchmark of the papers, from the hub, local files or generators, as problem records."""

from .benchmarks import HUB, convert_rows, load_split, prepare_dataset_cli, subsample
from .converters import CONVERTERS, BadRow, last_boxed, normalize_number
from .converters_reasoning import REASONING_CONVERTERS
from .schema import make_problem, validate_problem

CONVERTERS.update(REASONING_CONVERTERS)  # AIME, GPQA, HARP (the iterated-summarization paper's sets)

__all__ = [
    "CONVERTERS", "HUB", "BadRow", "convert_rows", "last_boxed", "load_split", "make_problem",
    "normalize_number", "prepare_dataset_cli", "subsample", "validate_problem",
]
