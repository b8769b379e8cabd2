"""A function made slower, as a second process is on a slower or busier CPU
on the day (the lint, report and reading tests of taking work from the end)."""

from __future__ import annotations

import time


def slowed(function, seconds: float):
    """``function``, sleeping ``seconds`` before each call."""
    def slow(*args):
        time.sleep(seconds)
        return function(*args)
    return slow
