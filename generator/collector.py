"""The cyclic garbage collector paused while large acyclic structures are built.

CPython frees an object whose last reference goes at once (reference
counting); the cyclic collector is only needed for reference cycles, and
runs whenever enough container objects have been allocated, walking every
object that survived earlier runs. Rendering (and re-rendering, for lint's
and report's lifecycle comparison) builds hundreds of thousands of
documents, grants and parsed policies that are trees: nothing for the
collector to find, but each of its full runs walks all of them. At
200 accounts x 2,000 groups (stages3) that was about 10 s of a 27 s render
across the three processes, and it grows faster than the render.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager


@contextmanager
def paused():
    """No cyclic collection inside the block (forked children inherit the
    pause); the collector's previous state is restored after it, so nested
    blocks and callers that paused it already keep theirs. Any cycle made
    inside is collected by the collector's next run after the block."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
