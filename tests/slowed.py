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


def until_the_first_is_done(function, timeout: float = 300.0):
    """``function`` (a second process's share, whose last argument is its
    forked.Claims) started only once the first process has taken every
    item: "a second process that starts late", however busy the machine is
    on the day (a fixed sleep raced the first process under load)."""
    def late(*args):
        claims = args[-1]
        deadline = time.monotonic() + timeout
        while claims.taken_from_the_back() < claims.count and time.monotonic() < deadline:
            time.sleep(0.01)
        return function(*args)
    return late
