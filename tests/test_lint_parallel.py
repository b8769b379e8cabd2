"""Lint's two-process mode (generator/lint/runner.py: the per-policy rules
streamed in a forked process, the who-can-do-what rules on the loaded set)
finds exactly what one process finds: on the example's render, and on a
render with a finding of every sort (invalid JSON, a missing file, a
malformed statement, a per-policy rule, a who-can-do-what rule)."""

from __future__ import annotations

import json
import multiprocessing
import os

import pytest

from generator import forked
from generator.lint import lint
from generator.lint.runner import LintInputError
from tests.slowed import slowed
from tests.lintkit import BUCKET, DS, GROUP, PROD, broken, stmt, write

pytestmark = pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="needs fork")


def _both(config, out):
    return lint(config, out, parallel=False), lint(config, out, parallel=True)


def test_the_example_lints_the_same_both_ways(example_config, example_files, tmp_path):
    one, two = _both(example_config, write(tmp_path, example_files))
    assert one.findings == two.findings == []
    assert one.policies == two.policies


def _wildcard_action(doc):
    stmt(doc, "CreditRiskConsumersArtifactsRead")["Action"] = "s3:*"


def _developer_approves(doc):
    for s in doc["Statement"]:
        s.pop("Condition", None)
    doc["Statement"] = [s for s in doc["Statement"] if s["Effect"] == "Allow"]


def test_every_sort_of_finding_is_found_both_ways(example_config, example_files, tmp_path):
    files = broken(example_files, BUCKET, _wildcard_action)
    files = broken(files, GROUP, _developer_approves)
    files[PROD] = "{not json"
    doc = json.loads(files[DS])
    doc["Statement"][0]["Effect"] = "Perhaps"
    files[DS] = json.dumps(doc, indent=2)
    out = write(tmp_path, files)
    (out / "deployment" / "policies" / "iam-role-ModelDeployPipelineRole.json").unlink()
    one, two = _both(example_config, out)
    rules = {f.rule_id for f in one.findings}
    # Not vacuous: per-policy, structure, manifest and who-can-do-what findings.
    assert {"invalid-structure", "wildcard-action", "developers-never-approve"} <= rules, rules
    assert {"not valid JSON", "file is missing"} <= {f.message for f in one.findings}
    assert one.findings == two.findings
    # Line numbers too: in two-process mode this process reads a text again for them.
    assert all(f.line > 1 for f in two.findings if f.rule_id == "developers-never-approve")


def test_unreadable_input_is_refused_both_ways(example_config, example_files, tmp_path):
    out = write(tmp_path, example_files)
    (out / BUCKET).write_text("[" * 100_000)
    for parallel in (False, True):
        with pytest.raises(LintInputError, match="nested too deeply"):
            lint(example_config, out, parallel=parallel)


def _die(*_):
    os._exit(9)  # as if the kernel had killed it


def test_a_second_process_that_dies_is_made_up_for(example_config, example_files, tmp_path, monkeypatch):
    from generator.lint import runner

    files = broken(example_files, BUCKET, _wildcard_action)
    out = write(tmp_path, files)
    expected = lint(example_config, out, parallel=False).findings
    monkeypatch.setattr(runner, "_streamed_policy_findings", _die)
    assert lint(example_config, out, parallel=True).findings == expected
    assert any(f.rule_id == "wildcard-action" for f in expected)


def _second_waits_for_this_one(front):
    """Claims.front in a second process that starts only once this process
    has taken a check from the back (up to a minute)."""
    import time

    def waiting(self):
        deadline = time.monotonic() + 60
        while self._shared[0] == 0 and self._shared[1] == self.count and time.monotonic() < deadline:
            time.sleep(0.005)
        return front(self)
    return waiting


def test_this_process_takes_the_checks_a_slow_second_process_has_not_reached(
        example_config, example_files, tmp_path, monkeypatch):
    """The who-can-do-what rules done, this process checks policies from the
    back until it meets the second process: the same findings, and here it
    did some of them."""
    from generator.lint import runner

    files = broken(broken(example_files, BUCKET, _wildcard_action), GROUP, _developer_approves)
    files[PROD] = "{not json"
    out = write(tmp_path, files)
    expected = lint(example_config, out, parallel=False).findings
    here: list[str] = []
    policy_hits = runner._policy_hits

    def counted(ctx, policy, add):
        here.append(policy.path)  # this process's list: the second process appends to its own copy
        return policy_hits(ctx, policy, add)

    monkeypatch.setattr(forked.Claims, "front", _second_waits_for_this_one(forked.Claims.front))
    monkeypatch.setattr(runner, "_stream_one", slowed(runner._stream_one, 0.02))
    monkeypatch.setattr(runner, "_policy_hits", counted)
    assert lint(example_config, out, parallel=True).findings == expected
    assert here
    assert {"wildcard-action", "invalid-structure", "developers-never-approve"} <= {f.rule_id for f in expected}


def test_a_second_process_that_dies_midway_is_made_up_for(example_config, example_files, tmp_path, monkeypatch):
    """Killed midway: what it had checked (a wildcard action in the first
    policy) is lost with it and what it had claimed (invalid JSON in the
    next) never checked; both are checked here, with every policy it had
    not reached."""
    from generator.lint import runner

    first, second = DS, "deployment/policies/event-bus-policy.json"  # the first two the second process checks
    files = broken(example_files, first, lambda doc: doc["Statement"][0].__setitem__("Action", "s3:*"))
    files[second] = "{not json"
    out = write(tmp_path, files)
    expected = lint(example_config, out, parallel=False).findings
    stream_one = runner._stream_one

    def dies_at_the_second(ctx, out, tree, entry, findings):
        if entry["path"] == second:
            os._exit(9)
        return stream_one(ctx, out, tree, entry, findings)

    monkeypatch.setattr(runner, "_stream_one", dies_at_the_second)
    assert lint(example_config, out, parallel=True).findings == expected
    found = {(f.path[len(str(out)) + 1:], f.rule_id) for f in expected}
    assert {(first, "wildcard-action"), (second, "invalid-structure")} <= found, found


def test_claims_from_both_ends_leave_nothing_out_under_real_races():
    """Two processes taking from either end of 200,000 checks as fast as they
    can (no lock): every check is taken at least once, and only where they
    met by more than one."""
    from generator.forked import Claims, Forked

    def take_front(claims):
        taken = []
        while (i := claims.front()) is not None:
            taken.append(i)
        return taken

    for _ in range(3):
        claims = Claims(200_000)
        child = Forked(take_front, claims)
        mine = []
        while (i := claims.back()) is not None:
            mine.append(i)
        theirs = child.result()
        assert set(mine) | set(theirs) == set(range(200_000))
        assert len(set(mine) & set(theirs)) <= 2
        assert mine == sorted(mine, reverse=True) and theirs == sorted(theirs)
