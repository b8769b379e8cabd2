"""``apply``: make every model package group policy match the render; the
arguments and the run are generator/apply/cli.py (boto3 loads only when it runs)."""

from __future__ import annotations

from generator.apply import cli as apply_cli


def add_parser(sub) -> None:
    apply = sub.add_parser("apply", help="make every model package group policy match the render",
                           description=apply_cli.DESCRIPTION)
    apply_cli.add_arguments(apply)
    apply.set_defaults(func=apply_cli.main)

