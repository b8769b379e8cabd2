"""``status``: the live stage table of every version; the arguments and the
run are generator/apply/workflow_cli.py (docs/workflow.md)."""

from __future__ import annotations

from generator.apply import workflow_cli

EXAMPLES = """examples:
  %(prog)s                                    # every version of every group, as a table
  %(prog)s --group credit-risk --history      # one group, with each version's stage history
  %(prog)s --format html --out status.html    # a sortable page for the governance officer
  %(prog)s --latest-approved Prod --group credit-risk   # one ARN for a deployment pipeline"""


def add_parser(sub) -> None:
    status = sub.add_parser("status", help="live stage table of every version (table, md, html, json)",
                            description=workflow_cli.STATUS_DESCRIPTION, epilog=EXAMPLES)
    workflow_cli.add_status_arguments(status)
    status.set_defaults(func=workflow_cli.status_main)
