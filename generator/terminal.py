"""Text for a terminal: control characters from AWS or a user are shown
escaped, never interpreted (issue 30).

A StageDescription is free text any developer with UpdateModelPackage can
set, and a server's error message is not ours: an ESC sequence in either
could retitle the window, clear the screen or hide a line, and a line
break could forge a row of the status table. Values are shown with
:func:`one_line` (every control character escaped, ``\\n`` included);
:class:`SafeStream` is the last line of defence on the stream itself and
escapes every control character except the line breaks the commands print.
"""

from __future__ import annotations

from typing import TextIO

from generator.errors import one_line

__all__ = ["SafeStream", "one_line", "safe"]


def safe(text: str) -> str:
    """``text`` with every control character except ``\\n`` escaped."""
    if text.isprintable():
        return text
    return "\n".join(one_line(line) for line in text.split("\n"))


class SafeStream:
    """A text stream that writes :func:`safe` text to the stream it wraps."""

    def __init__(self, stream: TextIO):
        self._stream = stream

    def write(self, text: str) -> int:
        return self._stream.write(safe(text))

    def __getattr__(self, name):
        return getattr(self._stream, name)
