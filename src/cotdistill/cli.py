"""The ``cotdistill`` command line: small tools that people and the pipeline share."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cotdistill", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("check-answers", help="judge (gold, pred) cases from a JSONL file")
    p.add_argument("cases", help="JSONL with gold, pred and optional answer_type, equivalent")
    p.add_argument("--out", default="-", help="output JSONL (default: stdout)")
    p.add_argument("--by", choices=["kind", "answer_type", "source"],
                   help="also count false accepts / false rejects / undecided per group (table on stderr)")

    p = sub.add_parser("prepare-dataset", help="convert a dataset file to the problem schema")
    p.add_argument("name", help="dataset format name, e.g. gsm8k, svamp, math500, aqua")
    p.add_argument("--from", dest="source", required=True, help="local file or folder")
    p.add_argument("--out", required=True, help="output JSONL of problems")
    p.add_argument("--split", default="test")

    args = parser.parse_args(argv)
    if args.command == "check-answers":
        from .answers import check_answers_cli

        return check_answers_cli(args.cases, args.out, args.by)
    if args.command == "prepare-dataset":
        from .data.benchmarks import prepare_dataset_cli

        return prepare_dataset_cli(args.name, args.source, args.out, args.split)
    return 2


if __name__ == "__main__":
    sys.exit(main())
