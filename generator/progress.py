"""Long runs (lint, report): progress bars on a terminal, with tqdm, and
:func:`loading` for what such a run loads once and keeps.

Bars are shown on stderr only when stderr is a terminal and only once a run
has taken a couple of seconds, so small configs, CI logs, pipes and the
tests see nothing.
"""

from __future__ import annotations

import gc
import sys
from contextlib import contextmanager
from typing import Iterable, TypeVar

T = TypeVar("T")

DELAY_SECONDS = 2.0


def bar(iterable: Iterable[T], description: str, total: int | None = None, unit: str = "it") -> Iterable[T]:
    if not sys.stderr.isatty():
        return iterable
    from tqdm import tqdm

    return tqdm(iterable, desc=description, total=total, unit=unit, delay=DELAY_SECONDS, leave=False,
                file=sys.stderr, dynamic_ncols=True)


@contextmanager
def loading():
    """Load what the whole run keeps (the parsed policies) with the cyclic
    garbage collector paused, then move it out of the collector's view
    (gc.freeze): those objects are never garbage, and at 10,000 groups they
    are millions, which every full collection would walk again (about a
    tenth of lint's time at 1,000 groups). Frozen objects are still freed
    when nothing refers to them; only cycles among them would stay."""
    enabled = gc.isenabled()
    gc.collect()  # what is garbage now is freed, not frozen (a long test session)
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()
