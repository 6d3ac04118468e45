#!/usr/bin/env bash
# Run by Snakemake after it creates this conda environment (--sdm conda), as `make setup` does for
# .venv-lf: PyPI's torchvision/torchaudio do not load beside the pinned CPU torch;
# cotdistill puts a minimal torchaudio shim on the path of llamafactory-cli instead.
set -euo pipefail
python -m pip uninstall -q -y torchvision torchaudio || true
