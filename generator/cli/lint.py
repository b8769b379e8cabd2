"""The ``lint`` subcommand: argument parsing and exit codes.

Exit 0: no error findings. 1: at least one error finding. 2: bad input
(config, manifest, or an output file that cannot be written).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

EXIT_FINDINGS = 1
EXIT_BAD_INPUT = 2


def add_parser(sub) -> None:
    lint = sub.add_parser(
        "lint",
        help="validate every rendered policy offline: IAM validity, security invariants, size limits",
    )
    lint.add_argument("--config", type=Path, default=Path("accounts.yaml"), help="accounts.yaml the policies came from")
    # --policies names the rendered directory as in report and explain; --out,
    # its first name, still works.
    lint.add_argument("--policies", dest="out", type=Path, default=Path("terraform/accounts"), metavar="DIR",
                      help="directory of rendered policies (with manifest.json)")
    lint.add_argument("--out", dest="out", type=Path, default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    lint.add_argument("--format", choices=("text", "sarif"), default="text", help="report format (default: text)")
    lint.add_argument(
        "--output", type=Path, default=None,
        help="write the report to this file; findings are still printed as text on stdout",
    )
    lint.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from generator.config import load_config
    from generator.lint.formatters import FORMATS, text
    from generator.lint.runner import LintInputError, lint

    config = load_config(args.config)  # ConfigError -> exit 2 in generator.cli
    if args.output is not None:
        from generator.lint.formatters import is_ours
        from generator.writer import check_file_out

        check_file_out(args.output, "lint", is_ours, config=args.config)  # BadOutput -> exit 2
    try:
        report = lint(config, args.out)
    except LintInputError as exc:
        from generator.errors import one_line

        print(f"error: {one_line(str(exc))}", file=sys.stderr)
        return EXIT_BAD_INPUT
    rendered = FORMATS[args.format](report)
    if args.output is None:
        sys.stdout.write(rendered)
    else:
        try:
            args.output.parent.mkdir(parents=True, exist_ok=True)
            args.output.write_text(rendered, encoding="utf-8")
        except OSError as exc:
            print(f"error: cannot write {args.output}: {exc.strerror}", file=sys.stderr)
            return EXIT_BAD_INPUT
        sys.stdout.write(text(report))
    return EXIT_FINDINGS if report.errors else 0
