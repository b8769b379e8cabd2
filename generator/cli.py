"""Command line: ``python -m generator render --config accounts.yaml --out DIR``.

Bad input prints one line naming the key and exits 2, before anything is
written. Later subcommands (lint, apply, report) plug in here.

``report``, ``explain`` and ``schema``: see docs/report.md.
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


EXIT_DIFFERENCES = 1  # report: the policies differ from accounts.yaml; explain: denied


class _Unreadable(Exception):
    """The rendered policies cannot be read (exit 2)."""


def _policyset(directory: Path):
    from generator.policyset import PolicySet

    try:
        return PolicySet.from_dir(directory)
    except (OSError, ValueError, KeyError, IndexError, TypeError) as exc:
        detail = f"{type(exc).__name__}: {exc}" if not isinstance(exc, OSError) else f"{exc.strerror}: {exc.filename}"
        raise _Unreadable(
            f"cannot read the rendered policies in {directory} ({detail}); run `python -m generator render` first"
        ) from None


def _report(args: argparse.Namespace) -> int:
    from generator import report, writer

    config = load_config(args.config)
    policies = _policyset(args.policies)
    matrix, files = report.build(config, policies, str(args.config), str(args.policies))
    if args.check:
        plan = writer.diff(args.out, files, patterns=report.FILES)
        if plan.written or plan.removed:
            print(f"error: {args.out} is stale: `make render` would change {', '.join(plan.written + plan.removed)}",
                  file=sys.stderr)
            return EXIT_DIFFERENCES
        print(f"{args.out}: up to date ({len(plan.unchanged)} files)")
    else:
        result = writer.write(args.out, files, patterns=report.FILES)
        print(f"wrote the access matrix to {args.out}: {len(result.written)} written, {len(result.unchanged)} unchanged")
    if matrix.differences:
        from generator.report.wording import difference, verdict

        print(f"error: {verdict(matrix)}", file=sys.stderr)
        for cell in matrix.differences:
            print(f"  {difference(cell)}", file=sys.stderr)
        return EXIT_DIFFERENCES
    return 0


def _explain(args: argparse.Namespace) -> int:
    from generator import explain

    try:
        context = explain.parse_context(args.context)
        explain.check_request(args.principal, args.action, args.resource)
    except explain.BadRequest as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    config = load_config(args.config)
    policies = _policyset(args.policies)
    result = explain.explain(policies, args.principal, args.action, args.resource, context, config.organization_id)
    print(explain.format_explained(result, str(args.policies)), end="")
    return 0 if result.decision.allowed else EXIT_DIFFERENCES


def _schema(args: argparse.Namespace) -> int:
    from generator import schema, writer

    text = schema.text()
    if args.out is None:
        print(text, end="")
        return 0
    result = writer.write(args.out.parent, {args.out.name: text}, patterns=(args.out.name,))
    print(f"wrote {args.out} ({'changed' if result.written else 'unchanged'})")
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
    render.add_argument(
        "--check", action="store_true",
        help="write nothing; exit 1 with a diff summary if the output directory is stale",
    )
    render.set_defaults(func=_render)

    from generator.lint.command import add_parser as add_lint_parser

    add_lint_parser(sub)

    report = sub.add_parser(
        "report",
        help="access matrix evaluated from the rendered policies; exit 1 when it differs from accounts.yaml",
    )
    report.add_argument("--config", type=Path, default=Path("accounts.yaml"), help="accounts.yaml to read")
    report.add_argument("--policies", type=Path, default=Path("terraform/accounts"),
                        help="directory of rendered policies (with manifest.json)")
    report.add_argument("--out", type=Path, required=True,
                        help="directory for access-matrix.md and access-matrix.html")
    report.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 when the files in --out are stale (as well as on differences)")
    report.set_defaults(func=_report)

    explain = sub.add_parser("explain", help="is one request allowed, and by which statements; exit 0 allow, 1 deny")
    explain.add_argument("--principal", required=True, help="IAM role ARN making the request")
    explain.add_argument("--action", required=True, help="action, e.g. s3:GetObject")
    explain.add_argument("--resource", required=True, help="resource ARN")
    explain.add_argument("--context", action="append", default=[], metavar="KEY=VALUE",
                         help="condition key over the normal context (repeat a key for a list; KEY= removes it)")
    explain.add_argument("--policies", type=Path, default=Path("terraform/accounts"),
                         help="directory of rendered policies (with manifest.json)")
    explain.add_argument("--config", type=Path, default=Path("accounts.yaml"),
                         help="accounts.yaml (for the organization of the normal context)")
    explain.set_defaults(func=_explain)

    schema = sub.add_parser("schema", help="JSON Schema of accounts.yaml (for editors)")
    schema.add_argument("--out", type=Path, default=None, help="file to write; default: print it")
    schema.set_defaults(func=_schema)

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
    except _Unreadable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
