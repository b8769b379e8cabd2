"""``report``: the access matrix evaluated from the rendered policies (docs/report.md)."""

from __future__ import annotations

import argparse
import difflib
import sys
from pathlib import Path

from generator import hints

from generator.cli.common import EXIT_BAD_INPUT, EXIT_DIFFERENCES, READ_SHARE, _policyset
from generator.config import load_config

EXAMPLES = """examples:
  %(prog)s --out docs/report           # write access-matrix.md and access-matrix.html
  %(prog)s --check --out docs/report   # in CI: exit 1 when stale or when access differs
  %(prog)s --group credit-risk --capability approve   # who can approve credit-risk (stdout)
  %(prog)s --out -                     # the markdown matrix on stdout"""


def add_parser(sub) -> None:
    report = sub.add_parser(
        "report",
        help="access matrix evaluated from the rendered policies; exit 1 when it differs from accounts.yaml",
        epilog=EXAMPLES,
    )
    report.add_argument("--config", type=Path, default=Path("accounts.yaml"), help="accounts.yaml to read")
    report.add_argument("--policies", type=Path, default=Path("terraform/accounts"),
                        help="directory of rendered policies (with manifest.json)")
    report.add_argument("--out", type=Path, default=None,
                        help="directory for access-matrix.md and access-matrix.html; - or none: print to stdout")
    report.add_argument("--group", action="append", metavar="NAME",
                        help="print who can do what on this model group only (repeatable)")
    report.add_argument("--capability", action="append", metavar="NAME",
                        help="print who has this capability only (register, write, approve, read, decrypt, "
                             "metadata, encrypt; repeatable)")
    report.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 when the files in --out are stale (as well as on differences)")
    report.set_defaults(func=_report)


def _report(args: argparse.Namespace) -> int:
    to_stdout = args.out is None or str(args.out) == "-"
    if args.check and to_stdout:
        print("error: --check compares with the files in --out DIR: give --out", file=sys.stderr)
        return EXIT_BAD_INPUT
    if not to_stdout and not args.check:
        # Before any work: the config, a directory, a link or a file of the
        # same name that this command did not write is not replaced.
        from generator import writer
        from generator.report import FILES
        from generator.report.wording import GENERATED

        writer.check_named_out(args.out, FILES, "report", lambda name, head: GENERATED in head, config=args.config)
    from generator.analysis.policyset import PolicySet
    from generator.report.principals import PrincipalParts

    parts = PrincipalParts()  # who the registry's policies name, noted while they are read
    # Reading begins first: for a large render a second process reads its
    # share of the policies while this one loads accounts.yaml. The config's
    # problems and the flags' are still reported first (nothing is raised
    # until _policyset finishes the reading). The second process takes 60% of
    # the per-group documents, as this one also loads the config: measured
    # here, loading the config then reading took 1.8-2.3 s one after the
    # other, 1.8-1.9 s overlapped with half each and 1.8 s with 60% at
    # 100 x 1,000; at 500 x 10,000, 19.0 s, 18.7, and 13.7-15.3 s (70% left
    # the second process last: 17.0 s). This process then takes what the
    # second has not reached from the end of its share (policyfile.Reading),
    # so a share a little too large at some size costs little: at
    # 500 x 10,000 the wait for the second process went from 1.6-5.5 s to
    # 0.4-0.5 s.
    begun = PolicySet.begin(args.policies, visitor=parts, share=READ_SHARE)
    try:
        return _report_with(args, to_stdout, begun, parts)
    finally:
        begun.cancel()


def _report_with(args: argparse.Namespace, to_stdout: bool, begun, parts) -> int:
    from generator import report, writer

    config = load_config(args.config)
    bad = [g for g in args.group or [] if g not in config.model_groups]
    if bad:
        close = difflib.get_close_matches(bad[0], list(config.model_groups), n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        print(f"error: --group: '{bad[0]}' is not a model group of {args.config}{hint}", file=sys.stderr)
        return EXIT_BAD_INPUT
    from generator.report.capabilities import CAPABILITIES

    known = sorted({c.name for c in CAPABILITIES})
    bad = [c for c in args.capability or [] if c not in known]
    if bad:
        print(f"error: --capability: '{bad[0]}' is not one of {', '.join(known)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    policies = _policyset(args.policies, begun=begun)
    from generator.progress import loading

    # The matrix and the engine's memo are kept for the whole run too: built
    # with the cyclic collector paused (its full passes over a growing heap
    # of cells were about a fifth of evaluating at 1,000 groups).
    with loading():
        matrix, files = report.build(config, policies, str(args.config), str(args.policies), progress=True,
                                     parts=parts)
    if to_stdout:
        if args.group or args.capability:
            print(_report_answer(matrix, args.group, args.capability), end="")
        else:
            sys.stdout.write(files["access-matrix.md"])
    elif args.check:
        plan = writer.diff(args.out, files, patterns=report.FILES)
        if plan.written or plan.removed:
            print(f"error: {args.out} is stale: {hints.run('render')} would change {', '.join(plan.written + plan.removed)}",
                  file=sys.stderr)
            return EXIT_DIFFERENCES
        print(f"{args.out}: up to date ({len(plan.unchanged)} files)")
    else:
        result = writer.write(args.out, files, patterns=report.FILES, config=args.config)
        print(f"wrote the access matrix to {args.out}: {len(result.written)} written, {len(result.unchanged)} unchanged")
        if args.group or args.capability:
            print(_report_answer(matrix, args.group, args.capability), end="")
    if matrix.differences or matrix.lifecycle:
        from generator.report.wording import all_differences, verdict

        print(f"error: {verdict(matrix)}", file=sys.stderr)
        for line in all_differences(matrix):
            print(f"  {line}", file=sys.stderr)
        return EXIT_DIFFERENCES
    return 0


def _report_answer(matrix, groups: list[str] | None, capabilities: list[str] | None) -> str:
    """Who can do what, narrowed to some groups and/or capabilities: one line
    per (column, capability) naming every principal granted it."""
    from generator.report.matrix import KEY_COLUMN

    columns = [c for c in matrix.columns if c != KEY_COLUMN] if groups else list(matrix.columns)
    if groups:
        columns = [c for c in columns if c in groups]
    lines = []
    for column in columns:
        for capability in matrix.capabilities(column):
            if capabilities and capability.name not in capabilities:
                continue
            cells = [matrix.cells[(p, column, capability.name)] for p in matrix.principals]
            granted = [c for c in cells if c.granted]
            who = ", ".join(f"{c.principal.label}{' (extra: not asked for)' if c.difference else ''}"
                            for c in granted) or "nobody"
            lines.append(f"{column}: {capability.name}: {who}")
            lines += [f"  missing: {c.principal.label} (asked for, not granted)"
                      for c in cells if c.difference == "missing"]
    return "\n".join(lines) + "\n" if lines else "nothing matches --group/--capability\n"
