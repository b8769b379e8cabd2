"""Progress bars for long runs (lint, report) on a terminal, with tqdm.

Shown on stderr only when stderr is a terminal and only once a run has
taken a couple of seconds, so small configs, CI logs, pipes and the tests
see nothing.
"""

from __future__ import annotations

import sys
from typing import Iterable, TypeVar

T = TypeVar("T")

DELAY_SECONDS = 2.0


def bar(iterable: Iterable[T], description: str, total: int | None = None, unit: str = "it") -> Iterable[T]:
    if not sys.stderr.isatty():
        return iterable
    from tqdm import tqdm

    return tqdm(iterable, desc=description, total=total, unit=unit, delay=DELAY_SECONDS, leave=False,
                file=sys.stderr, dynamic_ncols=True)
