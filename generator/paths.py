"""The one rule for paths read from or written to an output directory.

A manifest is input like any other: a path in it must stay inside the
directory that holds it. lint, report, explain, render (ownership) and
apply all check manifest paths with :func:`check_relative`.
"""

from __future__ import annotations


class UnsafePath(ValueError):
    """A path that would leave its directory (or is not a plain relative path)."""


def check_relative(path: object, what: str = "path") -> str:
    """``path`` if it is a plain relative POSIX path inside its directory.

    Refused: non-strings, empty, absolute (``/x``, ``C:x``), ``..`` or ``.``
    segments, empty segments (``a//b``), backslashes, NUL and control
    characters.
    """
    if not isinstance(path, str) or not path:
        raise UnsafePath(f"{what} {path!r} must be a non-empty relative path")
    if path.startswith("/") or "\\" in path or (len(path) > 1 and path[1] == ":"):
        raise UnsafePath(f"{what} {path!r} is absolute; it must be relative to the output directory")
    if not path.isprintable():
        raise UnsafePath(f"{what} {path!r} contains control characters")
    for segment in path.split("/"):
        if segment in ("", ".", ".."):
            raise UnsafePath(f"{what} {path!r} leaves the output directory (or has an empty or '.' segment)")
    return path
