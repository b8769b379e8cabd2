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
    result = writer.write(args.out, files)
    print(
        f"rendered {len(files)} files into {args.out}: {len(result.written)} written, "
        f"{len(result.unchanged)} unchanged, {len(result.removed)} removed"
    )
    return 0


def _apply(args: argparse.Namespace) -> int:
    from generator.apply import cli as apply_cli

    return apply_cli.main(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m generator", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    render = sub.add_parser("render", help="render every policy and the manifest")
    render.add_argument("--config", type=Path, default=Path("accounts.yaml"), help="accounts.yaml to read")
    render.add_argument("--out", type=Path, default=Path("terraform/accounts"), help="output directory")
    render.set_defaults(func=_render)

    from generator.apply import cli as apply_cli

    apply = sub.add_parser("apply", help="make every model package group policy match the render",
                           description=apply_cli.DESCRIPTION)
    apply_cli.add_arguments(apply)
    apply.set_defaults(func=_apply)
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
