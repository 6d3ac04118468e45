"""The slow path: math-verify (sympy) in a persistent worker process with a wall-clock timeout.

No signals: the caller may be any thread or a worker process. A request that runs past its
deadline kills the worker (a fresh one starts on the next request); its reason starts with
``undecided`` (as does a worker that cannot start or answer): the verdict is False, but callers
report and count it as undecided, not as a wrong answer (``is_undecided``).
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import threading
import time

TIMEOUT_S = float(os.environ.get("COTDISTILL_SYMBOLIC_TIMEOUT", "3"))
STARTUP_TIMEOUT_S = 60.0

_lock = threading.Lock()
_proc: subprocess.Popen | None = None
_owner_pid: int | None = None
_buf = b""
UNDECIDED = "undecided"


def is_undecided(reason: str) -> bool:
    """Whether a verdict's reason says the symbolic check could not decide (timeout, dead worker)."""
    return str(reason).startswith(UNDECIDED)


def _wrap(s: str) -> str:
    return s if any(t in s for t in ("$", "\\(", "\\[", "\\boxed")) else f"${s}$"


def _worker_main() -> None:  # runs in the child
    import logging
    import resource

    limit = int(os.environ.get("COTDISTILL_SYMBOLIC_MAX_BYTES", str(3 << 30)))
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))  # a 10^(10^10) cannot eat the machine
    logging.disable(logging.CRITICAL)
    from math_verify import parse, verify

    verify(parse("$x+1$"), parse("$1+x$"))  # sympy's lazy set-up here, not in the first timed request
    out = sys.stdout
    out.write("ready\n")
    out.flush()
    for line in sys.stdin:
        req = json.loads(line)
        try:
            gold = parse(_wrap(req["gold"]), parsing_timeout=None)
            pred = parse(_wrap(req["pred"]), parsing_timeout=None)
            if not gold or not pred:
                res = {"ok": False, "why": "symbolic: could not parse " + ("gold" if not gold else "pred")}
            else:
                res = {"ok": bool(verify(gold, pred, timeout_seconds=None)), "why": "symbolic (math-verify)"}
        except BaseException as e:  # noqa: BLE001 - the worker must answer every request
            res = {"ok": False, "why": f"symbolic error: {type(e).__name__}"}
        out.write(json.dumps(res) + "\n")
        out.flush()


def _read_line(deadline: float) -> str | None:
    global _buf
    fd = _proc.stdout.fileno()
    while b"\n" not in _buf:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            return None
        chunk = os.read(fd, 65536)
        if not chunk:
            return None
        _buf += chunk
    line, _buf = _buf.split(b"\n", 1)
    return line.decode("utf-8", "replace")


def _kill() -> None:
    global _proc, _buf
    if _proc is not None and _owner_pid == os.getpid():
        try:
            _proc.kill()
            _proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            pass
    _proc, _buf = None, b""


def _start() -> bool:
    global _proc, _owner_pid, _buf
    _buf = b""
    _proc = subprocess.Popen(
        [sys.executable, "-c", "from cotdistill.answers.symbolic import _worker_main; _worker_main()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )
    _owner_pid = os.getpid()
    if _read_line(time.monotonic() + STARTUP_TIMEOUT_S) != "ready":
        _kill()
        return False
    return True


def warm_up() -> bool:
    """Start the worker now (it otherwise starts on the first undecided case)."""
    with _lock:
        return _ensure()


def _ensure() -> bool:
    if _proc is None or _owner_pid != os.getpid() or _proc.poll() is not None:
        if _owner_pid != os.getpid():
            globals()["_proc"] = None  # inherited through fork: never share the parent's pipes
        return _start()
    return True


def symbolic_equal(pred: str, gold: str, timeout_s: float | None = None) -> tuple[bool, str]:
    """(verdict, reason) from math-verify in the worker; False on timeout or failure, with a reason
    that ``is_undecided``."""
    timeout_s = TIMEOUT_S if timeout_s is None else timeout_s
    with _lock:
        try:
            if not _ensure():
                return False, f"{UNDECIDED}: symbolic worker failed to start"
            _proc.stdin.write((json.dumps({"pred": pred, "gold": gold}) + "\n").encode())
            _proc.stdin.flush()
            line = _read_line(time.monotonic() + timeout_s)
        except (OSError, ValueError) as e:
            _kill()
            return False, f"{UNDECIDED}: symbolic worker error: {e}"
        if line is None:
            _kill()
            return False, f"{UNDECIDED}: symbolic timeout after {timeout_s:g}s"
        try:
            res = json.loads(line)
            return bool(res["ok"]), res["why"]
        except (ValueError, KeyError):
            _kill()
            return False, f"{UNDECIDED}: symbolic worker sent garbage"
