"""Command line: ``mrpolicy render --config accounts.yaml --out DIR`` (or ``python -m generator ...``).

Bad input prints one line naming the key and exits 2, before anything is
written. One module per subcommand (init.py, render.py, lint.py, report.py,
explain.py, prove.py, schema.py, modules.py, apply.py, status.py, promote.py, plan.py,
sandbox.py), each
with ``add_parser(sub)``, which registers the subcommand, its flags and its
handler (``func``); build_parser assembles them in COMMANDS order (the order
of --help). What they share is in common.py.

``report``, ``explain`` and ``schema``: see docs/report.md.
"""

from __future__ import annotations

import argparse
import sys

from generator.cli import apply, explain, init, lint, modules, plan, promote, prove, render, report, sandbox, schema, status
from generator.cli.common import EXIT_BAD_INPUT, EXIT_OS_ERROR, _Parser, _Unreadable, closed_pipe, exit_with
from generator.errors import ConfigError, PolicyTooLarge, one_line
from generator.writer import BadOutput, WriteError

__all__ = ["COMMANDS", "build_parser", "exit_with", "main", "run"]

COMMANDS = (init, render, plan, lint, report, prove, explain, schema, modules, apply, status, promote, sandbox)

DESCRIPTION = ("Least-privilege cross-account policies for a central SageMaker Model Registry:\n"
               "accounts.yaml -> IAM, S3, KMS and model package group policies and Terraform roots.")

# Flags mean the same in every command: --config is the accounts.yaml to
# read, --policies the directory of rendered policies a command reads,
# --out where a command writes.
EXAMPLES = """examples:
  %(prog)s init --organization-id o-a1b2c3d4e5 --registry-account 123456789012 --region eu-west-1
  %(prog)s render                     # accounts.yaml -> terraform/accounts/
  %(prog)s render --check             # exit 1 (and a diff) when terraform/accounts/ is stale
  %(prog)s lint                       # validate the rendered policies offline
  %(prog)s report --out docs/report   # the access matrix: who can do what
  %(prog)s prove                      # prove the policies grant exactly what accounts.yaml asks
  %(prog)s explain --principal prod/SageMakerExecutionRole --action s3:GetObject \\
      --resource arn:aws:s3:::BUCKET/credit-risk/model.tar.gz
  %(prog)s modules --out terraform/modules   # the modules the rendered roots call

Every command reads accounts.yaml and terraform/accounts/ in the working
directory unless --config / --policies say otherwise. Bad input: one line
`error: FILE:LINE: KEY: message` per problem, exit 2, nothing written."""


def build_parser(prog: str = "python -m generator") -> argparse.ArgumentParser:
    from generator import __version__

    parser = _Parser(prog=prog, description=DESCRIPTION, epilog=EXAMPLES)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser, metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(sub)
    return parser


def run(prog: str = "mrpolicy") -> None:
    """The ``mrpolicy`` console command (and ``python -m generator``).

    A reader that goes away (``mrpolicy explain ... | head -2``) ends the
    command quietly, as ``git log | head`` does: no traceback, exit 141
    (128 + SIGPIPE, what a shell shows for git there)."""
    try:
        code = main(prog=prog)
        sys.stdout.flush()
    except BrokenPipeError:
        closed_pipe()
    exit_with(code)


def main(argv: list[str] | None = None, prog: str = "python -m generator") -> int:
    args = build_parser(prog).parse_args(argv)
    try:
        return args.func(args)
    except ConfigError as exc:
        source = str(getattr(args, "config", "") or "")
        print(f"error: {exc.format(source)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except PolicyTooLarge as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (_Unreadable, BadOutput) as exc:
        print(f"error: {one_line(str(exc))}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except WriteError as exc:
        print(f"error: {one_line(str(exc))}", file=sys.stderr)
        return EXIT_OS_ERROR
