"""Two promotes on one version at once (issue 30): one --approve, one
--reject. Before, both exited 0 and printed their transition while the
registry kept the last write: the approver whose decision was replaced was
told it took effect. Now promote reads the version's stage history before
and after its write: a change it did not make, between its read and its
write, fails the run (exit 1) and names who made it; so does a read-back
that shows someone else's decision."""

from __future__ import annotations

import subprocess

from .test_workflow import (  # noqa: F401  (fixtures)
    PENDING,
    _spawn,
    aws,
    described,
    promote,
    register,
    server,
)


def test_a_decision_replaced_by_a_concurrent_promote_is_reported(aws, capsys, tmp_path):
    register(aws, lifecycle=PENDING)
    # A (approve) has read the version; its write reaches the registry only after B's
    slow = aws.api.inject("delay", "UpdateModelPackage", times=1, seconds=3)
    first = _spawn(aws, tmp_path, "promote", "--group", "credit-risk", "--version", "1", "--to", "Development",
                   "--approve", "--note", "first", stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert slow.started.wait(30)
    code, out, err = promote(aws, capsys, 1, "Development", decision="--reject", note="second")
    assert code == 0, err  # B's change was the only one while B ran
    a_out, a_err = first.communicate(timeout=60)
    assert described(aws, 1)["ModelLifeCycle"]["StageStatus"] == "Approved"  # A's write came last
    assert first.returncode == 1, (a_out, a_err)
    assert "changed by someone else while this promote ran" in a_err, a_err
    assert "Development Rejected" in a_err and "Traceback" not in a_err


def test_a_lone_promote_still_succeeds(aws, capsys):
    register(aws, lifecycle=PENDING)
    code, out, err = promote(aws, capsys, 1, "Development")
    assert code == 0, err
    assert err == ""


def test_a_version_changed_after_it_was_read_is_refused_before_the_write(aws, capsys, tmp_path):
    register(aws, lifecycle=PENDING)
    # A has read the version and now reads its history; B decides meanwhile
    slow = aws.api.inject("delay", "ListActions", times=1, seconds=3)
    first = _spawn(aws, tmp_path, "promote", "--group", "credit-risk", "--version", "1", "--to", "Development",
                   "--approve", "--note", "first", stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert slow.started.wait(30)
    code, out, err = promote(aws, capsys, 1, "Development", decision="--reject", note="second")
    assert code == 0, err
    a_out, a_err = first.communicate(timeout=60)
    assert first.returncode == 1, (a_out, a_err)
    assert "changed since it was read (now Development Rejected)" in a_err and "nothing was changed" in a_err
    assert described(aws, 1)["ModelLifeCycle"]["StageStatus"] == "Rejected"  # B's decision stands
