"""The ``apply`` subcommand's arguments; registered by generator/cli/apply.py.

Importing this module does not load boto3 (``render`` stays light): the
runner is imported when the subcommand runs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

EXIT_BAD_INPUT = 2
DESCRIPTION = (
    "Create missing model package groups and put each group's rendered policy when it differs "
    "semantically from the one in AWS. Exit 0 ok, 1 drift (--check) or a group failed, "
    "2 bad input, 130 interrupted. See docs/apply.md."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, default=Path("accounts.yaml"), help="accounts.yaml to read")
    parser.add_argument("--dry-run", action="store_true", help="print the per-group diff, change nothing")
    parser.add_argument("--check", action="store_true", help="exit 1 when any group drifts from the render")
    parser.add_argument("--group", action="append", metavar="NAME", help="only this model group (repeatable)")
    parser.add_argument("--endpoint-url", metavar="URL", help="AWS endpoint for STS and SageMaker (local testing)")
    parser.add_argument("--role-arn", metavar="ARN", help="role in the registry account to assume")
    parser.add_argument("--role-name", metavar="NAME", help="name of the role in the registry account to assume")
    parser.add_argument("--no-assume-role", action="store_true",
                        help="use the credentials as they are (they must be in the registry account)")
    parser.add_argument("--backup-dir", type=Path, default=Path("apply-backups"), metavar="DIR",
                        help="where the previous policy is saved before each change (default: apply-backups)")
    parser.add_argument("--restore", type=Path, metavar="FILE", help="put a backup file's policy back")
    parser.add_argument("--restore-unlinted", action="store_true",
                        help="with --restore: put the backup back even when it fails lint (an emergency rollback "
                             "to a hand-written policy); each overridden finding is printed and recorded in the "
                             "backup written before the change")
    parser.add_argument("--max-attempts", type=int, default=6, metavar="N",
                        help="attempts per AWS call, retries included (default: 6)")
    parser.add_argument("--retry-mode", choices=("standard", "adaptive"), default="standard",
                        help="botocore retry mode (default: standard)")


def main(args: argparse.Namespace) -> int:
    from generator.apply.run import BadInput, Options, run

    if args.dry_run and args.check:
        print("error: --dry-run and --check exclude each other", file=sys.stderr)
        return EXIT_BAD_INPUT
    chosen = [flag for flag, value in (("--role-arn", args.role_arn), ("--role-name", args.role_name),
                                       ("--no-assume-role", args.no_assume_role)) if value]
    if len(chosen) > 1:
        print(f"error: {' and '.join(chosen)} exclude each other", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.restore_unlinted and args.restore is None:
        print("error: --restore-unlinted only applies to --restore FILE", file=sys.stderr)
        return EXIT_BAD_INPUT
    options = Options(
        config=args.config,
        mode="dry-run" if args.dry_run else "check" if args.check else "apply",
        groups=tuple(args.group or ()),
        endpoint_url=args.endpoint_url,
        role_arn=args.role_arn,
        role_name=args.role_name,
        assume_role=False if args.no_assume_role else None,
        backup_dir=args.backup_dir,
        restore=args.restore,
        restore_unlinted=args.restore_unlinted,
        max_attempts=args.max_attempts,
        retry_mode=args.retry_mode,
    )
    try:
        return run(options)
    except BadInput as exc:
        from generator.errors import one_line

        print(f"error: {one_line(str(exc))}", file=sys.stderr)
        return EXIT_BAD_INPUT
