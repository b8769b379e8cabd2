"""``promote``: approve or reject a version for a stage, in order; the
arguments and the run are generator/apply/workflow_cli.py (docs/workflow.md)."""

from __future__ import annotations

from generator.apply import workflow_cli

EXAMPLES = """examples:
  %(prog)s --group credit-risk --version 3 --to QA --approve --note "shadow test passed (CR-12)"
  %(prog)s --group credit-risk --version 3 --to QA --reject --note "latency regression"
  %(prog)s --no-assume-role ...   # as yourself (AWS_PROFILE), e.g. an approver role"""


def add_parser(sub) -> None:
    promote = sub.add_parser("promote", help="approve or reject a version for a stage, in order",
                             description=workflow_cli.PROMOTE_DESCRIPTION, epilog=EXAMPLES)
    workflow_cli.add_promote_arguments(promote)
    promote.set_defaults(func=workflow_cli.promote_main)
