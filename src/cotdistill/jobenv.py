"""Least privilege for student jobs: the environment that training and generation processes run in.

Those jobs load model code from a hub or a local folder, and train or decode with it; they never
talk to a teacher API. So they get only what they need, by name (an allowlist): the interpreter and
locale (PATH, HOME, LANG, PYTHON*, VIRTUAL_ENV/CONDA_*), threads (OMP_/MKL_/OPENBLAS_ *_NUM_THREADS),
accelerators (CUDA_*, NVIDIA_*, NCCL_*, ROCR/HIP_*), the launchers (torchrun's MASTER_*/RANK/…,
LLaMA-Factory's switches, SLURM_*), caches and offline switches (HF_HOME, HF_HUB_CACHE, HF_*_OFFLINE,
TRANSFORMERS_CACHE, XDG_CACHE_HOME, TMPDIR, TORCH_HOME, TRITON_CACHE_DIR), and the project's own
COTDISTILL_* settings. From that set every name that looks like a secret is dropped again
(``*_API_KEY``, ``*TOKEN*``, ``*SECRET*``, ``*PASSWORD*``, ``*CREDENTIAL*``, … — so ``HF_TOKEN`` or
``VLLM_API_KEY`` never get through an allowed prefix), and so is every name listed in
``COTDISTILL_SECRET_ENV`` (the workflow puts the teachers' ``api_key_env`` names there).

A job script calls :func:`reexec_clean` first thing: when its environment holds anything else, it
replaces itself (``os.execve``, same pid, same open log file) with the same command under the clean
environment, before any model code is imported. Everything the job starts (``llamafactory-cli``,
``torchrun`` and its workers) inherits that environment.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterable, Mapping

SECRET_LIST_VAR = "COTDISTILL_SECRET_ENV"  # comma-separated extra names to drop (teachers' api_key_env)
MARK = "COTDISTILL_CLEAN_ENV"  # set in a re-executed job: never re-execute twice

KEEP_NAMES = frozenset({
    "PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "LANGUAGE", "TERM", "TZ", "PWD",
    "TMPDIR", "TMP", "TEMP", "XDG_CACHE_HOME", "XDG_RUNTIME_DIR",
    "LD_LIBRARY_PATH", "LD_PRELOAD", "LIBRARY_PATH", "SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE",
    "VIRTUAL_ENV", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS", "KMP_AFFINITY", "OMP_PROC_BIND", "OMP_PLACES",
    "TOKENIZERS_PARALLELISM", "TRANSFORMERS_CACHE", "TRANSFORMERS_OFFLINE", "TRANSFORMERS_VERBOSITY",
    "HF_DATASETS_CACHE", "HF_DATASETS_OFFLINE", "HF_HOME", "HF_HUB_CACHE", "HF_HUB_OFFLINE",
    "HF_HUB_DISABLE_TELEMETRY", "HF_HUB_DISABLE_PROGRESS_BARS", "HF_MODULES_CACHE", "HF_ASSETS_CACHE",
    "HF_ENDPOINT", "HF_HUB_ENABLE_HF_TRANSFER",
    "TORCH_HOME", "TORCHINDUCTOR_CACHE_DIR", "TRITON_CACHE_DIR", "PYTORCH_CUDA_ALLOC_CONF",
    "WANDB_DISABLED", "WANDB_MODE", "DISABLE_VERSION_CHECK", "FORCE_TORCHRUN", "USE_MODELSCOPE_HUB",
    "USE_OPENMIND_HUB", "ALLOW_EXTRA_ARGS", "RECORD_VRAM",
    "MASTER_ADDR", "MASTER_PORT", "NNODES", "NODE_RANK", "NPROC_PER_NODE", "WORLD_SIZE", "RANK",
    "LOCAL_RANK", "LOCAL_WORLD_SIZE", "GROUP_RANK",
})
KEEP_PREFIXES = (
    "LC_", "PYTHON", "CONDA_", "CUDA_", "NVIDIA_", "NCCL_", "CUBLAS_", "CUDNN_", "ROCR_", "HIP_", "HSA_",
    "TORCH_", "TORCHELASTIC_", "SLURM_", "PMI_", "PMIX_", "OMPI_", "I_MPI_", "DS_", "ACCELERATE_",
    "LLAMAFACTORY_", "VLLM_", "COTDISTILL_",
)
SECRET = re.compile(r"API_?KEY|TOKEN|SECRET|PASSW|CREDENTIAL|PRIVATE|AUTH|COOKIE|SESSION|_KEY$|^KEY$", re.I)


def is_secret(name: str) -> bool:
    return bool(SECRET.search(name))


def clean_env(environ: Mapping[str, str] | None = None, extra_secrets: Iterable[str] = ()) -> dict[str, str]:
    """The allowed part of ``environ`` (default ``os.environ``) without secrets: see the module doc."""
    environ = os.environ if environ is None else environ
    drop = {n.strip() for n in environ.get(SECRET_LIST_VAR, "").split(",") if n.strip()} | set(extra_secrets)
    return {
        name: value
        for name, value in environ.items()
        if (name in KEEP_NAMES or (name.startswith(KEEP_PREFIXES) and not is_secret(name))) and name not in drop
    }


def reexec_clean() -> None:
    """Restart this process under :func:`clean_env` unless its environment already is that (then return).
    A process that was already restarted once only trims ``os.environ`` in place (no loop)."""
    env = clean_env()
    if env == dict(os.environ) or os.environ.get(MARK):
        for name in set(os.environ) - set(env) - {MARK}:
            del os.environ[name]
        return
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, list(sys.orig_argv), {**env, MARK: "1"})


def declare_secrets(names: Iterable[str]) -> None:
    """Add ``names`` (e.g. the teachers' ``api_key_env``) to the drop list that jobs started from this
    process inherit through ``COTDISTILL_SECRET_ENV``; names already listed there are kept."""
    old = [n for n in os.environ.get(SECRET_LIST_VAR, "").split(",") if n]
    os.environ[SECRET_LIST_VAR] = ",".join(sorted(set(old) | {n for n in names if n}))
