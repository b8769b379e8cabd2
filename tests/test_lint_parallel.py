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

from generator.lint import lint
from generator.lint.runner import LintInputError
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
