"""Command line: ``python -m generator render --config accounts.yaml --out DIR``.

Bad input prints one line naming the key and exits 2, before anything is
written. Later subcommands (lint, apply, report) plug in here.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from generator.config import load_config
from generator.errors import ConfigError, PolicyTooLarge

EXIT_BAD_INPUT = 2


def _render(args: argparse.Namespace) -> int:
    from generator import render, writer

    config = load_config(args.config)
    files = render.render(config)
    if args.check:
        from generator import render_check

        ok, report = render_check.check(args.out, files)
        (sys.stdout if ok else sys.stderr).write(report)
        return 0 if ok else 1
    result = writer.write(args.out, files)
    print(
        f"rendered {len(files)} files into {args.out}: {len(result.written)} written, "
        f"{len(result.unchanged)} unchanged, {len(result.removed)} removed"
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m generator", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    render = sub.add_parser("render", help="render every policy and the manifest")
    render.add_argument("--config", type=Path, default=Path("accounts.yaml"), help="accounts.yaml to read")
    render.add_argument("--out", type=Path, default=Path("terraform/accounts"), help="output directory")
    render.add_argument(
        "--check", action="store_true",
        help="write nothing; exit 1 with a diff summary if the output directory is stale",
    )
    render.set_defaults(func=_render)

    from generator.lint.command import add_parser as add_lint_parser

    add_lint_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ConfigError as exc:
        source = str(getattr(args, "config", "") or "")
        print(f"error: {exc.format(source)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except PolicyTooLarge as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
