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


def test_a_child_that_cannot_be_started_is_died(monkeypatch):
    """Fork refused (a process or memory limit): result() raises Died, as
    for a child that died, so each caller does the work itself; cancel is
    harmless."""
    import multiprocessing.process

    def refused(self):
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(multiprocessing.process.BaseProcess, "start", refused)
    job = Forked(_answer)
    job.cancel()
    with pytest.raises(Died):
        Forked(_answer).result()


def test_every_caller_does_the_work_itself_when_no_child_can_be_started(monkeypatch, tmp_path):
    """lint, the report's evaluation and the reading each take Died for a
    refused fork: the same findings, matrix and documents as in one process."""
    import multiprocessing.process

    from benchmarks.synth import build
    from generator.analysis.evaluate import evaluates
    from generator.lint import lint
    from generator.analysis.policyfile import read_policies
    from generator.analysis.policyset import PolicySet, _kept
    from generator.report.matrix import evaluate
    from tests.test_report_scale import _written, files_of, granted

    config, files = files_of(build(14, 24))
    _written(tmp_path, files)
    one = (read_policies(tmp_path, evaluates, keep=_kept, parallel=False),
           granted(evaluate(config, PolicySet(files), parallel=False)), lint(config, tmp_path, parallel=False))

    def refused(self):
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(multiprocessing.process.BaseProcess, "start", refused)
    two = (read_policies(tmp_path, evaluates, keep=_kept, parallel=True),
           granted(evaluate(config, PolicySet(files), parallel=True)), lint(config, tmp_path, parallel=True))
    assert one[0] == two[0] and one[1] == two[1]
    assert one[2].findings == two[2].findings and one[2].policies == two[2].policies
