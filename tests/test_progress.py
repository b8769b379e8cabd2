"""Progress bars appear on a terminal only: pipes, CI logs and tests see nothing."""

from __future__ import annotations

import io
import sys

from generator import progress


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_not_a_terminal_passes_the_iterable_through(monkeypatch):
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    items = [1, 2, 3]
    assert progress.bar(items, "x") is items


def test_a_terminal_gets_a_bar_after_the_delay(monkeypatch):
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    monkeypatch.setattr(progress, "DELAY_SECONDS", 0)
    assert list(progress.bar(range(3), "report: model groups", total=3, unit="group")) == [0, 1, 2]
    assert "report: model groups" in terminal.getvalue()
