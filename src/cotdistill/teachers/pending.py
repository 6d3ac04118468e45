"""List the submitted batches that no stage has collected yet (batch mode's ledger, ``batch.Ledger``)."""

from __future__ import annotations

import json
import time

from .batch import Ledger


def main(argv: list[str] | None = None) -> int:
    """``python -m cotdistill.teachers.pending results/.cache/llm``: the submitted batches not yet collected."""
    import argparse

    p = argparse.ArgumentParser(description=main.__doc__.split(":")[1].strip())
    p.add_argument("cache_dir", help="the response cache directory (results/.cache/llm)")
    args = p.parse_args(argv)
    ledger = Ledger(args.cache_dir)
    paths = sorted(ledger.dir.glob("*.json")) if ledger.dir.is_dir() else []
    for path in paths:
        d = json.loads(path.read_text(encoding="utf-8"))
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(d["submitted"]))
        print(f"{d['id']}\t{d['provider']}\t{d['model']}\tteacher {d['teacher']}\t{len(d['keys'])} requests\t"
              f"round {d['round']}\tsubmitted {when}")
    print(f"{len(paths)} batch(es) waiting to be collected; the stages that need them collect them when they run")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
