"""``prove``: the rendered policies against accounts.yaml, with an SMT solver (docs/prove.md).

Exit 0: every encoded property proven (or not applicable). 1: a property
failed (with a counterexample), or could not be proven, or the solver and
the evaluator disagreed. 2: bad input.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from generator.cli.common import EXIT_BAD_INPUT, _policyset
from generator.config import load_config

EXIT_NOT_PROVEN = 1

EXAMPLES = """examples:
  %(prog)s                                   # accounts.yaml against terraform/accounts/
  %(prog)s --group credit-risk               # one model group only
  %(prog)s --jobs 2                          # groups solved in 2 processes"""


def add_parser(sub) -> None:
    prove = sub.add_parser(
        "prove",
        help="prove the rendered policies allow exactly what accounts.yaml grants (SMT); exit 1 with a counterexample",
        epilog=EXAMPLES,
    )
    prove.add_argument("--config", type=Path, default=Path("accounts.yaml"), help="accounts.yaml to read")
    prove.add_argument("--policies", type=Path, default=Path("terraform/accounts"),
                       help="directory of rendered policies (with manifest.json)")
    prove.add_argument("--group", action="append", metavar="NAME", help="prove this model group only (repeatable)")
    prove.add_argument("--jobs", type=int, default=1, metavar="N",
                       help="solve groups in N processes (0: one per CPU)")
    prove.set_defaults(func=_prove)


def _prove(args: argparse.Namespace) -> int:
    from generator.analysis.prove import properties
    from generator.analysis.prove.run import prove

    config = load_config(args.config)  # ConfigError -> exit 2 in generator.cli
    unknown = [g for g in args.group or () if g not in config.model_groups]
    if unknown:
        print(f"error: --group {unknown[0]!r} is not a model group of {args.config}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.jobs < 0:
        print("error: --jobs must be 0 (one per CPU) or more", file=sys.stderr)
        return EXIT_BAD_INPUT
    policies = _policyset(args.policies)  # _Unreadable -> exit 2 in generator.cli
    jobs = args.jobs or os.cpu_count() or 1
    report = prove(config, policies, args.group, jobs=jobs, paths=(str(args.config), str(args.policies)))
    by_status: dict[str, int] = {}
    for result in report.results:
        by_status[result.status] = by_status.get(result.status, 0) + 1
        if result.status == properties.PROVEN:
            continue
        line = f"{result.status}: {result.group}: {result.title}"
        print(line + (f": {result.reason}" if result.reason else ""))
        if result.counterexample is not None:
            for text in result.counterexample.lines():
                print(f"    {text}")
    for kind, what in report.not_encoded:
        print(f"not proven: {what} ({kind} is not encoded yet; lint and report check it)")
    counts = ", ".join(f"{n} {s}" for s, n in sorted(by_status.items()))
    groups = len({r.group for r in report.results})
    print(f"prove: {groups} model group(s), {counts} in {report.seconds:.1f} s")
    if report.disagreements:
        print(f"error: the solver and the evaluator disagree on {len(report.disagreements)} counterexample(s)",
              file=sys.stderr)
    return EXIT_NOT_PROVEN if report.failed or report.not_proven or report.disagreements else 0
