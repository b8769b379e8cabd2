"""One function run in a forked second process, its result read back.

lint and report use it to spread a large run over two CPUs (see
generator/lint/runner.py and generator/report/matrix.py), sharing the work
out as they go with :class:`Claims`. The child is a
fork: it sees everything the parent had loaded, without pickling it. Its
result (or the exception it raised) comes back through a pipe. If it dies
without answering (killed, out of memory), or cannot be started at all
(fork refused), :meth:`Forked.result` raises :class:`Died` and the caller
does the work itself. :meth:`Forked.cancel` stops a child whose answer is
no longer wanted (the parent failed first), so a refused input is refused
at once, not after the child's share.
"""

from __future__ import annotations

import multiprocessing
import os
from typing import Callable


class Died(Exception):
    """The second process ended without an answer."""


def available() -> bool:
    """Fork exists here (not on Windows) and there is a second CPU to use."""
    return (os.cpu_count() or 1) > 1 and "fork" in multiprocessing.get_all_start_methods()


def _run(function: Callable[..., object], args: tuple, send) -> None:
    try:
        answer = (True, function(*args))
    except BaseException as exc:  # noqa: BLE001 - handed to the parent, which raises it
        answer = (False, exc)
    try:
        send.send(answer)
    finally:
        send.close()


class Forked:
    def __init__(self, function: Callable[..., object], *args):
        """``function(*args)`` in the child; the arguments are inherited by the
        fork, not pickled. If no child can be started (fork refused at a
        process or memory limit), :meth:`result` raises :class:`Died`, as for
        a child that died: every caller then does the work itself."""
        context = multiprocessing.get_context("fork")
        self._receive, send = context.Pipe(duplex=False)
        self._process = context.Process(target=_run, args=(function, args, send), daemon=True)
        self._done = False
        try:
            self._process.start()
        except OSError:
            self._process = None
        send.close()  # the child holds the only sending end: its death is an EOF here

    def result(self):
        """The function's return value in the child; its exception is raised here."""
        if self._process is None:
            self._done = True
            self._receive.close()
            raise Died()
        try:
            ok, value = self._receive.recv()
        except (EOFError, OSError):
            raise Died() from None
        finally:
            self._done = True
            self._receive.close()
            self._process.join()
        if ok:
            return value
        raise value

    def cancel(self) -> None:
        """Stop the child if its answer was not read (nothing to do otherwise)."""
        if not self._done:
            self._done = True
            if self._process is not None:
                self._process.terminate()
                self._process.join()
            self._receive.close()


class Claims:
    """Which of ``count`` items (per-policy checks in lint, columns in the
    report) each process does: the second process takes them from the front,
    the first from the back once its own work is done, until they meet, so
    neither waits for the other whichever is slower on the day. Two counters
    in shared memory, each written by one process only, no lock: where both
    read before either writes, both do the same item (the callers keep
    either result: they are the same), and none is ever left out: the
    second process stops only on seeing the back counter at or below its
    own, and that counter only ever goes down."""

    def __init__(self, count: int):
        self.count = count
        self._shared = multiprocessing.get_context("fork").RawArray("q", [0, count])  # [front, back]

    def front(self) -> int | None:
        """The next item for the second process, or None when they have met."""
        shared = self._shared
        taken = shared[0]
        if taken >= shared[1]:
            return None
        shared[0] = taken + 1
        return taken

    def back(self) -> int | None:
        """The next item for the first process, from the end, or None when they have met."""
        shared = self._shared
        taken = shared[1] - 1
        if taken < shared[0]:
            return None
        shared[1] = taken
        return taken

    def taken_from_the_front(self) -> int:
        """How many items the second process has taken so far."""
        return self._shared[0]

    def taken_from_the_back(self) -> int:
        """How many items the first process has taken so far."""
        return self.count - self._shared[1]

    def left_to_the_second(self) -> range:
        """The items the first process did not take: made up for if the second process died."""
        return range(0, self._shared[1])
