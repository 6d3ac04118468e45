"""Figures from a method's own table: the summarization loop per iteration, the router's routing rates."""

from __future__ import annotations

import matplotlib
import pandas as pd

from .common import plt, save, with_wilson, yerr


def summarization(df, inputs: dict, out: str) -> None:
    """Accuracy (solid: oracle stop, dashed: no oracle; 95 % Wilson intervals) and mean tokens per problem,
    against the iteration, from results/tables/summarization.csv."""
    df = pd.read_csv(inputs["table"][0])
    fig, (acc_ax, tok_ax) = plt.subplots(1, 2, figsize=(10, 4.2))
    for i, (key, g) in enumerate(df.groupby(["experiment", "model", "dataset"])):
        label = "{} / {} on {}".format(*key)
        for variant, style in (("oracle", "-"), ("no_oracle", "--")):
            v = g[g["variant"] == variant].sort_values("iteration")
            if len(v):
                v = with_wilson(v, "accuracy")
                acc_ax.errorbar(v["iteration"], v["accuracy"], yerr=yerr(v, "accuracy"), fmt=style, marker="o", capsize=3,
                                color=f"C{i}", label=f"{label} ({variant.replace('_', '-')})")
        v = g[g["variant"] == "oracle"].sort_values("iteration")
        tok_ax.plot(v["iteration"], v["tokens_per_problem"], marker="o", color=f"C{i}", label=label)
    acc_ax.set(xlabel="iteration (0 = first attempt)", ylabel="accuracy (95 % CI)", ylim=(0, 1), title="Accuracy per iteration")
    tok_ax.set(xlabel="iteration", ylabel="completion tokens per problem (summary + attempt)", title="Tokens per iteration")
    for ax in (acc_ax, tok_ax):
        ax.grid(alpha=0.3)
        ax.xaxis.get_major_locator().set_params(integer=True)
    acc_ax.legend(fontsize=7)
    save(fig, out)


def router(df, inputs: dict, out: str) -> None:
    """The positive routing rate per style over epochs (95 % Wilson band), from results/tables/router_posrate.csv."""
    df = pd.read_csv(inputs["table"][0])
    if df[["experiment", "teacher", "dataset"]].drop_duplicates().shape[0] > 1:
        df["style"] = df["experiment"] + "/" + df["dataset"] + ": " + df["style"]
    df = with_wilson(df, "pos_rate")
    fig, ax = plt.subplots(figsize=(5, 3.5))
    for style, g in df.groupby("style"):
        g = g.sort_values("epoch")
        (line,) = ax.plot(g["epoch"], g["pos_rate"], marker="o", label=str(style))
        ax.fill_between(g["epoch"], g["low"], g["high"], color=line.get_color(), alpha=0.15)
    ax.set(xlabel="epoch", ylabel="rate routed to student A", ylim=(-0.02, 1.02), title="CoT router")
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    ax.legend(title="style", fontsize="small", loc="center right")
    save(fig, out, dpi=150)
