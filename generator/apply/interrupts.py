"""Ctrl-C by phase, shared by apply and promote (generator/apply/run.py, workflow.py).

A read can stop at once (nothing is being written); a change, which is one
all-or-nothing SageMaker call, is finished first, unless Ctrl-C comes twice.
"""

from __future__ import annotations

import signal
import threading
from contextlib import contextmanager
from typing import TextIO


class Interrupts:
    """SIGINT handling by phase.

    * reading a group (describe, get, compare): stop at once; nothing was
      being written;
    * changing a group (backup, create, put): defer until the change is done;
      a second Ctrl-C stops at once (the policy is then old or new, never half);
    * anywhere else (between groups, printing): stop before the next group.
    """

    def __init__(self, err: TextIO):
        self.err = err
        self.requested = False
        self.phase = "idle"  # idle | reading | changing
        self.group: str | None = None
        self.stopped_during_change = False
        self._previous = None

    def __enter__(self) -> "Interrupts":
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)

    def _handle(self, signum, frame) -> None:
        if self.phase == "reading" or (self.phase == "changing" and self.requested):
            self.stopped_during_change = self.phase == "changing"
            raise KeyboardInterrupt
        if self.phase == "changing":
            print(
                f"\ninterrupt: finishing the change to {self.group} (one SageMaker call), then stopping; "
                "press Ctrl-C again to stop at once",
                file=self.err, flush=True,
            )
        self.requested = True

    @contextmanager
    def _phase(self, phase: str, group: str):
        previous = (self.phase, self.group)
        self.phase, self.group = phase, group
        try:
            yield
        finally:
            self.phase, self.group = previous

    def reading(self, group: str):
        return self._phase("reading", group)

    def change(self, group: str):
        return self._phase("changing", group)
