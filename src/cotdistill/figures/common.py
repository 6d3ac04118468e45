"""Shared drawing helpers: the Agg backend, error bars from a table's interval columns, atomic saving."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402,F401  (re-exported for the figure modules)
import pandas as pd  # noqa: E402

from ..io import atomic_open  # noqa: E402
from ..stats import wilson  # noqa: E402

HELD_OUT = "accuracy on held-out test problems (95 % CI)"


def yerr(df: pd.DataFrame, value: str = "value", low: str = "low", high: str = "high"):
    """Asymmetric error bars ``[value - low, high - value]`` (zero where an interval is missing)."""
    v = df[value].astype(float)
    return [(v - df[low].astype(float)).fillna(0).clip(lower=0).tolist(), (df[high].astype(float) - v).fillna(0).clip(lower=0).tolist()]


def with_wilson(df: pd.DataFrame, value: str, n: str = "n") -> pd.DataFrame:
    """``low``/``high`` columns: the Wilson interval of ``value`` (a rate) over ``n`` trials per row."""
    bounds = [wilson(round(v * k), int(k)) for v, k in zip(df[value].astype(float), df[n])]
    return df.assign(low=[b[0] for b in bounds], high=[b[1] for b in bounds])


def save(fig, out: str, dpi: int = 120) -> None:
    fig.tight_layout()
    with atomic_open(out, "wb") as fh:
        fig.savefig(fh, format="png", dpi=dpi)
    plt.close(fig)


def finish(ax, title: str, out: str, *, ylabel: str = HELD_OUT) -> None:
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    ax.set_ylim(0, 1)
    ax.grid(axis="y", alpha=0.3)
    save(ax.figure, out)


def text(value) -> str:
    return "" if pd.isna(value) else str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
