"""The project's test goldens: every tests/fixtures/<name>/accounts.yaml rendered beside it.

The project's tests never read the user's accounts.yaml or its output
(terraform/accounts/, docs/report/): a user who maps their own organization
changes only those. The tests read fixtures instead, and compare the
reviewed, committed render of each fixture (``terraform/accounts/`` and
``report/`` inside the fixture directory) with a fresh one.

The report names the config and policies by their paths from the project
root, as `make check CONFIG=tests/fixtures/example/accounts.yaml ...`
(part of `make test`) does. The fixture's ``terraform/modules`` is a symlink to the project's modules,
so the roots' ``../../modules/...`` sources resolve there as they do in a
user's checkout.

Usage: python -m tools.golden           (write; `make render` runs it)
       python -m tools.golden --check   (exit 1 when a golden is stale)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
CONFIG = "accounts.yaml"
OUT = "terraform/accounts"
REPORT = "report"


def fixtures() -> list[Path]:
    return sorted(path.parent for path in FIXTURES.glob(f"*/{CONFIG}"))


def expected(directory: Path) -> dict[str, dict[str, str]]:
    """{output directory relative to the fixture: {relative path: text}} of one fixture."""
    from generator import report
    from generator.config import load_config
    from generator.analysis.policyset import PolicySet
    from generator.render import render

    config = load_config(directory / CONFIG)
    files = render(config)
    _, report_files = report.build(config, PolicySet(files), label(directory / CONFIG), label(directory / OUT))
    return {OUT: files, REPORT: report_files}


def label(path: Path) -> str:
    """How `make check` names a fixture path in the report: relative to the project root."""
    return path.relative_to(ROOT).as_posix()


def main(argv: list[str] | None = None) -> int:
    from generator import report, writer

    parser = argparse.ArgumentParser(prog="python -m tools.golden", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 when a golden is stale")
    args = parser.parse_args(argv)
    stale = False
    for directory in fixtures():
        for sub, files in expected(directory).items():
            patterns = report.FILES if sub == REPORT else writer.OWNED
            target = directory / sub
            name = target.relative_to(ROOT)
            if args.check:
                plan = writer.diff(target, files, patterns)
                if plan.written or plan.removed:
                    stale = True
                    print(f"{name}: stale golden: {plan.written + plan.removed} (run `make render`)", file=sys.stderr)
                continue
            result = writer.write(target, files, patterns)
            print(f"test golden {name}: {len(result.written)} written, {len(result.removed)} removed")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
