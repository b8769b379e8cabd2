"""``schema``: the JSON Schema of accounts.yaml (for editors)."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_parser(sub) -> None:
    schema = sub.add_parser("schema", help="JSON Schema of accounts.yaml (for editors)")
    schema.add_argument("--out", type=Path, default=None, help="file to write; default: print it")
    schema.set_defaults(func=_schema)


def _schema(args: argparse.Namespace) -> int:
    from generator import schema, writer

    text = schema.text()
    if args.out is None:
        print(text, end="")
        return 0
    writer.check_file_out(args.out, "schema", schema.is_ours)
    result = writer.write(args.out.parent, {args.out.name: text}, patterns=(args.out.name,))
    print(f"wrote {args.out} ({'changed' if result.written else 'unchanged'})")
    return 0
