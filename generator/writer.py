"""The only stage that touches the output directory.

Writes each file only when its content changed (so git and Terraform see
no churn), atomically (temp file + rename), and removes generated files the
new render no longer contains. Files it does not own are never touched.
"""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass, field
from pathlib import Path

# Generated paths, relative to the output directory. Anything else in the
# directory (a user's notes, terraform state, .terraform/) is left alone.
# A pattern matches only paths with as many segments as it has, so
# "*/main.tf" owns an account root's main.tf, never one under .terraform/.
POLICY_FILES = "*/policies/*.json"
OWNED = (
    "manifest.json",
    POLICY_FILES,
    "*/versions.tf",
    "*/backend.tf",
    "*/providers.tf",
    "*/main.tf",
)


@dataclass
class WriteResult:
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


def owned(relative: str, patterns: tuple[str, ...] = OWNED) -> bool:
    depth = relative.count("/")
    return any(depth == pattern.count("/") and fnmatch.fnmatchcase(relative, pattern) for pattern in patterns)


def existing_files(out: Path, patterns: tuple[str, ...] = OWNED) -> set[str]:
    if not out.is_dir():
        return set()
    found = set()
    for path in out.rglob("*"):
        if path.is_file():
            relative = path.relative_to(out).as_posix()
            if owned(relative, patterns):
                found.add(relative)
    return found


def diff(out: Path, files: dict[str, str], patterns: tuple[str, ...] = OWNED) -> WriteResult:
    """What :func:`write` would do, without doing it."""
    result = WriteResult()
    fresh = not out.exists()
    for relative, text in sorted(files.items()):
        same = False
        if not fresh:
            try:
                with open(os.path.join(out, relative), "rb") as handle:
                    same = handle.read() == text.encode("utf-8")
            except (FileNotFoundError, NotADirectoryError):
                pass
        (result.unchanged if same else result.written).append(relative)
    result.removed = sorted(existing_files(out, patterns) - set(files))
    return result


def write(out: Path, files: dict[str, str], patterns: tuple[str, ...] = OWNED) -> WriteResult:
    plan = diff(out, files, patterns)
    for parent in sorted({os.path.dirname(os.path.join(out, relative)) for relative in plan.written}):
        os.makedirs(parent, exist_ok=True)

    def put(relative: str) -> None:
        target = os.path.join(out, relative)
        # Write beside the target and rename over it: a reader (or a crash)
        # sees the old file or the new one, never half of one.
        tmp = os.path.join(os.path.dirname(target), f".{os.path.basename(target)}.{os.getpid()}.tmp")
        try:
            with open(tmp, "wb") as handle:
                handle.write(files[relative].encode("utf-8"))
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    for relative in plan.written:
        put(relative)
    for relative in plan.removed:
        (out / relative).unlink()
        _prune_empty(out, (out / relative).parent)
    return plan


def _prune_empty(out: Path, directory: Path) -> None:
    while directory != out and directory.is_dir() and not any(directory.iterdir()):
        directory.rmdir()
        directory = directory.parent
