"""generator.forked: a function's result or exception comes back from the
forked process; a process that dies is Died; cancel stops a running one."""

from __future__ import annotations

import multiprocessing
import os
import time

import pytest

from generator.forked import Died, Forked

pytestmark = pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="needs fork")

SEEN = {"value": 41}


def _answer():
    return SEEN["value"] + 1  # what the parent had when it forked


def _refuse():
    raise ValueError("refused in the child")


def _die():
    os._exit(3)


def _sleep():
    time.sleep(60)
    return "late"


def test_the_result_comes_back():
    assert Forked(_answer).result() == 42


def test_the_exception_comes_back():
    with pytest.raises(ValueError, match="refused in the child"):
        Forked(_refuse).result()


def test_a_process_that_dies_is_died():
    with pytest.raises(Died):
        Forked(_die).result()


def test_cancel_stops_a_running_process_at_once():
    start = time.monotonic()
    job = Forked(_sleep)
    job.cancel()
    assert time.monotonic() - start < 10
    assert not job._process.is_alive()
    job.cancel()  # twice is harmless
