"""Teacher engine throughput against the local OpenAI-compatible stub server.

    .venv/bin/python bench/teacher_throughput.py            # 2,000 prompts, concurrency 32, 200 ms latency

Measures, in one run: the engine's requests/s (ideal = concurrency / latency), a sequential
one-request-at-a-time loop with the sync SDK (how the original research scripts call their APIs),
and a fully cached re-run. The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import openai

from cotdistill.teachers import Request, run_requests

HERE = Path(__file__).resolve().parent


def start_server(latency: float) -> tuple[subprocess.Popen, str]:
    server = HERE.parent / "tests" / "openai_stub_server.py"
    proc = subprocess.Popen([sys.executable, str(server), "--latency", str(latency)], stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    if not line.startswith("PORT "):
        proc.kill()
        raise RuntimeError(f"{server}: did not start (printed {line!r})")
    return proc, f"http://127.0.0.1:{int(line.split()[1])}/v1"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=2000, help="prompts in the stage")
    p.add_argument("--concurrency", type=int, default=32)
    p.add_argument("--latency", type=float, default=0.2, help="simulated server latency, seconds")
    p.add_argument("--sequential-n", type=int, default=40, help="prompts timed in the sequential baseline")
    args = p.parse_args()

    proc, url = start_server(args.latency)
    try:
        cfg = {"kind": "openai", "model": "stub", "base_url": url, "concurrency": args.concurrency,
               "max_tokens": 256, "temperature": 0.0, "timeout_s": 30}
        prompts = [f"Problem {i}: what is {i} + {i * 7}? Think step by step." for i in range(args.n)]
        requests = [Request(messages=[{"role": "user", "content": q}]) for q in prompts]

        client = openai.OpenAI(api_key="none", base_url=url, max_retries=0)
        t0 = time.perf_counter()
        for q in prompts[: args.sequential_n]:
            client.chat.completions.create(model="stub", messages=[{"role": "user", "content": "seq " + q}],
                                           max_tokens=256, temperature=0.0)
        seq_rps = args.sequential_n / (time.perf_counter() - t0)
        client.close()

        with tempfile.TemporaryDirectory() as cache:
            t0 = time.perf_counter()
            out, s = run_requests("bench", cfg, requests, cache_dir=cache, desc="bench")
            wall = time.perf_counter() - t0
            assert s["sent"] == args.n and s["errors"] == 0, s
            t0 = time.perf_counter()
            again, s2 = run_requests("bench", cfg, requests, cache_dir=cache, desc="bench cached")
            cached_s = time.perf_counter() - t0
            assert s2["sent"] == 0 and [c.text for c in again] == [c.text for c in out], s2
    finally:
        proc.kill()
        proc.wait()

    rps = args.n / wall
    ideal = args.concurrency / args.latency
    print(f"sequential loop : {seq_rps:7.1f} req/s ({args.sequential_n} prompts, sync SDK, one at a time)")
    print(f"engine          : {rps:7.1f} req/s ({args.n} prompts, concurrency {args.concurrency}, {wall:.2f} s)")
    print(f"ideal           : {ideal:7.1f} req/s -> {rps / ideal:.1%} of ideal, {rps / seq_rps:.1f}x sequential")
    print(f"cached re-run   : {cached_s:.3f} s for {args.n} prompts")
    print(json.dumps({"rps": round(rps, 2), "ideal_rps": round(ideal, 2), "ratio_to_ideal": round(rps / ideal, 4),
                      "speedup_vs_sequential": round(rps / seq_rps, 2), "cached_rerun_s": round(cached_s, 3)}))


if __name__ == "__main__":
    main()
