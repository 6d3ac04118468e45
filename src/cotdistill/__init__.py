"""cotdistill: chain-of-thought distillation research as a Snakemake workflow."""

__version__ = "0.1.0"
