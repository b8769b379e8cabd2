"""Prober.grantors keeps each half's answer by the shapes of its statements
and of the request (generator/analysis/shapes.py whole_text), so the stage
rules ask each (statements' shape, role, probe) once, not once per group.
The findings must be exactly those of asking every group request by
request: compared here on a staged organization whose groups share their
parties (the memo answers most requests), with hand edits that break the
group policies of some groups (alone in their shape, or sharing it with an
intact one's parties) and a developer's identity policy."""

from __future__ import annotations

import json

import pytest

import generator.lint.probe as probe
from benchmarks.synth import SHAPES, build
from generator.analysis.shapes import Canon, Unsafe, group_allows_placeholders, meaning_words, raw_text, whole_text
from generator.config import config_from_text
from generator.lint import lint
from generator.render import render
from tests.lintkit import write

RULES = ("developers-first-stage-only", "developers-never-approve", "every-stage-has-an-approver")


def _group_file(files: dict[str, str], group: str) -> str:
    return next(p for p in files if p.endswith(f"/model-package-group-{group}.json"))


def _edited(files: dict[str, str], path: str, edit) -> dict[str, str]:
    doc = json.loads(files[path])
    edit(doc)
    return {**files, path: json.dumps(doc)}


def _drop_lifecycle(doc):
    """The developers may set any stage (the stage condition gone)."""
    for s in doc["Statement"]:
        if s["Sid"] == "DevelopersUpdateUnapprovedVersions":
            s["Condition"].pop("StringEqualsIgnoreCaseIfExists", None)


def _no_deny_approval(doc):
    doc["Statement"] = [s for s in doc["Statement"] if s["Sid"] != "DevelopersDenyApproval"]


def _no_last_stage_approval(doc):
    doc["Statement"] = [s for s in doc["Statement"] if not s["Sid"].startswith("StageApproversApproveProd")]


def _identity_approves(doc):
    doc["Statement"] = [s for s in doc["Statement"] if s["Sid"] != "DenyApproval"]
    for s in doc["Statement"]:
        if s["Sid"] == "RegisterPendingVersions":
            s.pop("Condition", None)


def _findings(config, out, monkeypatch, memo: bool):
    calls = [0]
    asked = probe.allowing_positions

    def counted(*args, **kwargs):
        calls[0] += 1
        return asked(*args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(probe, "allowing_positions", counted)
        if not memo:
            patch.setattr(probe.Prober, "_memo_of", lambda self, group: None)
        report = lint(config, out, parallel=False)
    return [f for f in report.findings if f.rule_id in RULES], calls[0]


@pytest.mark.parametrize("shape", ["stages3", "stages5"])
def test_the_memo_finds_exactly_what_asking_each_group_finds(shape, tmp_path, monkeypatch):
    config = config_from_text(build(60, 40, **SHAPES[shape]))
    files = render(config)
    groups = sorted(config.model_groups)
    # Two groups with the same developers: one broken, one intact, so a
    # shape answered for one must not answer for the other.
    by_developers: dict[tuple, list[str]] = {}
    for g in groups:
        by_developers.setdefault(tuple(config.party_accounts(g, "developers")), []).append(g)
    twins = next(gs for gs in by_developers.values() if len(gs) >= 2)
    # The same statements as its twin's but for one condition.
    files = _edited(files, _group_file(files, twins[0]), _drop_lifecycle)
    files = _edited(files, _group_file(files, next(g for g in groups if g not in twins)), _no_deny_approval)
    files = _edited(files, _group_file(files, groups[-1]), _no_last_stage_approval)
    developer = config.party_accounts(groups[3], "developers")[0]
    identity = next(p for p in files if p.startswith(f"{developer}/") and "SageMakerExecutionRole" in p
                    and p.endswith(".json") and "trust" not in p)
    files = _edited(files, identity, _identity_approves)
    out = write(tmp_path, files)
    with_memo, evaluated = _findings(config, out, monkeypatch, memo=True)
    without, asked = _findings(config, out, monkeypatch, memo=False)
    assert with_memo == without
    rules = {f.rule_id for f in without}
    assert rules == set(RULES), rules  # every rule fires somewhere
    assert any(twins[0] in f.message for f in without)
    assert not any(twins[1] in f.message and "statement Developers" in f.message for f in without)
    assert evaluated * 3 < asked * 2  # the memo answers a third of the requests or more (here ~half)


def test_names_the_evaluator_gives_a_meaning_are_not_replaced():
    assert group_allows_placeholders(Canon("credit-risk", None))
    for name in ("true", "FALSE", "123456789012"):
        assert not group_allows_placeholders(Canon(name, None))
    canon = Canon("credit-risk", None)
    base = {"Effect": "Allow", "Action": "sagemaker:DescribeModelPackage",
            "Resource": "arn:aws:sagemaker:us-east-1:111111111111:model-package/credit-risk/*"}
    assert "\x00G\x00" in whole_text(raw_text(base), canon, meaning_words(base))
    unsafe = [
        {**base, "Resource": "arn:aws:sagemaker:us-east-1:111111111111:model-package/credit-*/*"},  # * in a name
        {**base, "Resource": "arn:aws:sagemaker:us-east-1:111111111111:model-package/credit-ris?/*"},
        {**base, "Resource": "arn:aws:sagemaker:us-east-1:111111111111:model-package/${aws:username}/*"},
        {**base, "Condition": {"StringEqualsIgnoreCase": {"aws:ResourceTag/g": "Credit-Risk"}}},
        {**base, "Condition": {"StringEquals": {"aws:ResourceTag/credit-risk": "x"}}},  # a key names it
        {**base, "Resource": "arn:aws:sagemaker:us-east-1:111111111111:model-package/a\"credit-risk/*"},
    ]
    for stmt in unsafe:
        with pytest.raises(Unsafe):
            whole_text(raw_text(stmt), canon, meaning_words(stmt))
