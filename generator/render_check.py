"""``render --check``: is the committed output what accounts.yaml renders to?

Stale output is a review hazard: a reviewer reads the rendered policies,
not the config. Writes nothing; exit 1 with a short summary and a unified
diff excerpt when anything differs, 0 when it matches.
"""

from __future__ import annotations

import difflib
from pathlib import Path

from generator import hints, writer

MAX_LINES_PER_FILE = 15
MAX_FILES_SHOWN = 5


def check(out: Path, files: dict[str, str]) -> tuple[bool, str]:
    """(up to date?, report text)."""
    plan = writer.diff(Path(out), files)
    if not plan.written and not plan.removed:
        return True, f"{out}: up to date ({len(plan.unchanged)} files match accounts.yaml)\n"
    lines = [f"{out}: stale: {hints.run('render')} would change {len(plan.written) + len(plan.removed)} files"]
    for relative in plan.written:
        exists = (Path(out) / relative).exists()
        lines.append(f"  {'update' if exists else 'create'} {relative}")
    lines.extend(f"  remove {relative}" for relative in plan.removed)
    changed = plan.written + plan.removed
    for relative in changed[:MAX_FILES_SHOWN]:
        target = Path(out) / relative
        if isinstance(files.get(relative), bytes):  # the registry function's zip (registration: copy)
            lines.append(f"  binary file {relative} differs")
            continue
        try:
            old = target.read_text(encoding="utf-8").splitlines(keepends=True)
        except (FileNotFoundError, UnicodeDecodeError):
            old = []
        new = files.get(relative, "").splitlines(keepends=True)
        diff = [line.rstrip("\n") for line in difflib.unified_diff(old, new, f"a/{relative}", f"b/{relative}", n=2)]
        lines.extend(diff[:MAX_LINES_PER_FILE])
        if len(diff) > MAX_LINES_PER_FILE:
            lines.append(f"... {len(diff) - MAX_LINES_PER_FILE} more lines of {relative}")
    if len(changed) > MAX_FILES_SHOWN:
        lines.append(f"... and the diffs of {len(changed) - MAX_FILES_SHOWN} more files")
    lines.append(f"run {hints.run('render')} and commit the result")
    return False, "\n".join(lines) + "\n"
