"""The router's logs: the positive routing rate per style and epoch (the original ``calc_posrate``); the plot is cotdistill.figures.loops.router."""

from __future__ import annotations

import os
import re
from pathlib import Path

from ...io import iter_jsonl
from .config import MEMBERS


def positive_rates(log_dir: str | os.PathLike) -> "pandas.DataFrame":  # noqa: F821
    """Per epoch × style: n, the rate of routing to student A (``pos_rate``) and mean P(A) (``mean_prob_a``).

    The equivalent of the original ``calc_posrate``; reads every ``router_logs_epoch{e}.jsonl`` in ``log_dir``.
    """
    import pandas as pd

    files = sorted(Path(log_dir).glob("router_logs_epoch*.jsonl"),
                   key=lambda p: int(re.search(r"epoch(\d+)", p.name).group(1)))
    if not files:
        raise FileNotFoundError(f"{log_dir}: no router_logs_epoch*.jsonl (was the run trained with mode: router?)")
    recs = []
    for f in files:
        epoch = int(re.search(r"epoch(\d+)", f.name).group(1))
        for i, r in enumerate(iter_jsonl(f), 1):
            if r.get("choice") not in MEMBERS or "style" not in r:
                raise ValueError(f"{f}:{i}: a router log line needs 'style' and 'choice' in {MEMBERS}")
            recs.append({"epoch": epoch, "style": r["style"], "to_a": r["choice"] == "a", "prob_a": r["probs"][0]})
    df = pd.DataFrame(recs)
    return (df.groupby(["epoch", "style"], sort=True)
              .agg(n=("to_a", "size"), pos_rate=("to_a", "mean"), mean_prob_a=("prob_a", "mean"))
              .reset_index())
