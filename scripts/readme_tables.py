"""Rewrite the README's generated result blocks from a study's results (`make readme-tables`).

    python scripts/readme_tables.py                                  # block `default` from results/
    python scripts/readme_tables.py --results results/paper --block paper
    python scripts/readme_tables.py --out results/README_tables.md   # write the block to a file instead

Reads {results}/tables/all.csv, the eval rows of the distill runs (paired comparisons) and Snakemake's job
records (.snakemake/metadata, for the job count and wall time); run it from the repository root after
the study (the same results directory the workflow wrote).
"""
import argparse
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
from cotdistill.readme_tables import block, replace_block  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--results", default="results", help="the study's results directory (default: results)")
    ap.add_argument("--block", default="default", help="README block name: <!-- results:NAME:begin/end -->")
    ap.add_argument("--readme", default="README.md")
    ap.add_argument("--out", help="write the block to this file instead of rewriting the README")
    args = ap.parse_args(argv)
    table = Path(args.results) / "tables" / "all.csv"
    if not table.is_file():
        print(f"readme_tables: {table}: no such file (run the study first: make run)", file=sys.stderr)
        return 1
    body = block(pd.read_csv(table), args.results)
    if args.out:
        Path(args.out).write_text(body + "\n", encoding="utf-8")
        print(f"wrote {args.out}", file=sys.stderr)
        return 0
    readme = Path(args.readme)
    try:
        readme.write_text(replace_block(readme.read_text(encoding="utf-8"), args.block, body), encoding="utf-8")
    except ValueError as exc:
        print(f"readme_tables: {readme}: {exc}", file=sys.stderr)
        return 1
    print(f"rewrote block {args.block!r} of {readme} from {table}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
