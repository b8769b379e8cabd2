"""The stage lint rules: silent on a staged render, firing on a broken copy."""

from __future__ import annotations

import json

import pytest

from generator.config import config_from_text
from generator.lint import lint
from generator.render import render
from tests.lintkit import broken, findings, stmt, write
from tests.test_stage_gates import staged_text

GROUP = "shared-services/policies/model-package-group-credit-risk.json"
DS = "data-science/policies/iam-role-SageMakerExecutionRole.json"


def _staged():
    config = config_from_text(staged_text())
    return config, render(config)


def test_a_staged_render_lints_clean(tmp_path):
    config, files = _staged()
    report = lint(config, write(tmp_path, files))
    assert [f.text() for f in report.findings] == []


def test_developers_first_stage_only_fires_when_the_stage_condition_is_dropped(tmp_path):
    config, files = _staged()

    def mutate(doc):
        del stmt(doc, "DevelopersUpdateUnapprovedVersions")["Condition"]["StringEqualsIgnoreCaseIfExists"]

    hits = findings(config, write(tmp_path, broken(files, GROUP, mutate)), "developers-first-stage-only")
    messages = [h.message for h in hits]
    assert any("DevelopersUpdateUnapprovedVersions: lets developer arn:aws:iam::222222222222:role/SageMakerExecutionRole "
               "set stage Test (sagemaker:UpdateModelPackage) in credit-risk" in m for m in messages), messages


def test_developers_first_stage_only_judges_the_identity_half_alone(tmp_path):
    config, files = _staged()

    def mutate(doc):
        stmt(doc, "RegisterPendingVersions")["Condition"].pop("StringEqualsIgnoreCaseIfExists")

    hits = findings(config, write(tmp_path, broken(files, DS, mutate)), "developers-first-stage-only")
    assert any("RegisterPendingVersions" in h.message and "sagemaker:CreateModelPackage" in h.message for h in hits)


def test_every_stage_has_an_approver_fires_when_a_stage_statement_is_gone(tmp_path):
    config, files = _staged()

    def mutate(doc):
        doc["Statement"] = [s for s in doc["Statement"] if not s["Sid"].startswith("StageApproversApproveProdStage")]

    hits = findings(config, write(tmp_path, broken(files, GROUP, mutate)), "every-stage-has-an-approver")
    assert [h.message for h in hits] == ["nobody can approve stage Prod of credit-risk (approvers: model-risk)"]


def test_stage_rules_are_silent_without_stages(example_config, example_files, tmp_path):
    report = lint(example_config, write(tmp_path, example_files))
    assert not [f for f in report.findings if f.rule_id in ("developers-first-stage-only", "every-stage-has-an-approver")]
    assert json.loads(example_files["manifest.json"])


# --- lifecycle-widened (issue 30) -------------------------------------------
PROD_ID = "prod/policies/iam-role-SageMakerExecutionRole.json"
CONSUMER_SID = "ConsumersProdDescribeApprovedAtOwnStage"
STAGE = "sagemaker:CurrentModelLifeCycleStage"
STATUS = "sagemaker:CurrentModelLifeCycleStageStatus"


def _widen_stage(s):
    s["Condition"]["StringEqualsIgnoreCase"][STAGE] = ["Prod", "Test"]


def _widen_status(s):
    s["Condition"]["StringEqualsIgnoreCase"][STATUS] = ["Approved", "PendingApproval"]


def _remove_stage(s):
    del s["Condition"]["StringEqualsIgnoreCase"][STAGE]


def _remove_lifecycle(s):
    del s["Condition"]["StringEqualsIgnoreCase"]


def _like_star(s):
    del s["Condition"]["StringEqualsIgnoreCase"][STAGE]
    s["Condition"]["StringLike"] = {STAGE: ["*"]}


def _if_exists(s):
    s["Condition"]["StringEqualsIgnoreCaseIfExists"] = s["Condition"].pop("StringEqualsIgnoreCase")


WIDENINGS = [_widen_stage, _widen_status, _remove_stage, _remove_lifecycle, _like_star, _if_exists]


@pytest.mark.parametrize("widen", WIDENINGS, ids=lambda f: f.__name__.strip("_"))
def test_lifecycle_widened_fires_on_every_widening_in_both_halves(tmp_path, widen):
    """Prod's stage gate widened in the group policy and the consumer's
    identity policy alike: principals, actions and resources as rendered."""
    config, files = _staged()
    files = broken(files, GROUP, lambda doc: widen(stmt(doc, CONSUMER_SID)))
    files = broken(files, PROD_ID, lambda doc: widen(stmt(doc, "DescribeApprovedAtOwnStage")))
    hits = findings(config, write(tmp_path, files), "lifecycle-widened")
    blamed = sorted((h.path.split("/", 1)[-1] if "/" in h.path else h.path, h.message.split(":")[0]) for h in hits)
    assert any(CONSUMER_SID in h.message and h.path.endswith(GROUP) for h in hits), blamed
    assert any("DescribeApprovedAtOwnStage" in h.message and h.path.endswith(PROD_ID) for h in hits), blamed
    assert len(hits) == 2, [h.message for h in hits]


def test_lifecycle_widened_names_what_the_widening_lets_through(tmp_path):
    config, files = _staged()
    files = broken(files, GROUP, lambda doc: _widen_stage(stmt(doc, CONSUMER_SID)))
    [hit] = findings(config, write(tmp_path, files), "lifecycle-widened")
    assert "CurrentModelLifeCycleStage=Test" in hit.message and "StageStatus=Approved" in hit.message, hit.message


def test_lifecycle_widened_fires_on_an_approval_status_widening_and_a_narrowed_deny(tmp_path):
    config, files = _staged()

    def mutate(doc):
        register = stmt(doc, "DevelopersRegisterPendingVersions")
        register["Condition"]["StringEquals"]["sagemaker:ModelApprovalStatus"] = ["PendingManualApproval", "Approved"]
        stmt(doc, "DevelopersDenyApproval")["Condition"]["StringEquals"]["sagemaker:ModelApprovalStatus"] = ["Approvedx"]

    hits = findings(config, write(tmp_path, broken(files, GROUP, mutate)), "lifecycle-widened")
    messages = sorted(h.message for h in hits)
    assert any("DevelopersRegisterPendingVersions" in m and "ModelApprovalStatus=Approved" in m for m in messages), messages
    assert any("DevelopersDenyApproval" in m and "no longer refuses" in m for m in messages), messages


def test_lifecycle_widened_fires_when_a_lifecycle_deny_is_gone(tmp_path):
    config, files = _staged()

    def mutate(doc):
        doc["Statement"] = [s for s in doc["Statement"] if s["Sid"] != "DevelopersDenyApproval"]

    hits = findings(config, write(tmp_path, broken(files, GROUP, mutate)), "lifecycle-widened")
    assert [h.message.split(":")[0] for h in hits] == ["statement DevelopersDenyApproval"], [h.message for h in hits]


def test_lifecycle_widened_is_silent_on_a_narrowing(tmp_path):
    """Narrowing is no widening (the matrix reports what it takes away)."""
    config, files = _staged()
    files = broken(files, GROUP, lambda doc: stmt(doc, CONSUMER_SID)["Condition"]["StringEqualsIgnoreCase"].update(
        {STATUS: ["Approved"], STAGE: ["Prod"]}))

    def narrower(doc):
        stmt(doc, "DescribeApprovedAtOwnStage")["Condition"]["StringEquals"] = {"aws:PrincipalOrgID": ["o-a1b2c3d4e5"]}

    files = broken(files, PROD_ID, narrower)
    assert findings(config, write(tmp_path, files), "lifecycle-widened") == []


# --- the report finds the same widenings (issue 30) -------------------------
@pytest.mark.parametrize("widen", WIDENINGS, ids=lambda f: f.__name__.strip("_"))
def test_report_exits_1_on_every_lifecycle_widening(tmp_path, capsys, widen):
    from generator.cli import main

    config_path = tmp_path / "accounts.yaml"
    config_path.write_text(staged_text())
    _, files = _staged()
    files = broken(files, GROUP, lambda doc: widen(stmt(doc, CONSUMER_SID)))
    files = broken(files, PROD_ID, lambda doc: widen(stmt(doc, "DescribeApprovedAtOwnStage")))
    out = write(tmp_path / "out", files)
    code = main(["report", "--config", str(config_path), "--policies", str(out), "--out", "-"])
    captured = capsys.readouterr()
    assert code == 1, captured.err
    assert CONSUMER_SID in captured.err and "DescribeApprovedAtOwnStage" in captured.err, captured.err
    assert CONSUMER_SID in captured.out, "the written matrix lists it too"


def test_report_of_a_staged_render_has_no_lifecycle_finding(tmp_path, capsys):
    from generator.cli import main

    config_path = tmp_path / "accounts.yaml"
    config_path.write_text(staged_text())
    _, files = _staged()
    out = write(tmp_path / "out", files)
    assert main(["report", "--config", str(config_path), "--policies", str(out), "--out", "-"]) == 0, \
        capsys.readouterr().err


def test_lifecycle_widened_says_so_when_the_config_does_not_render(tmp_path, monkeypatch):
    from generator.analysis import lifecycle
    from generator.errors import PolicyTooLarge

    config, files = _staged()

    def refuse(config):
        raise PolicyTooLarge("x.json: over the limit")

    monkeypatch.setattr("generator.lint.rules.lifecycle_widened.expected_documents", refuse)
    hits = findings(config, write(tmp_path, files), "lifecycle-widened")
    assert [h.message for h in hits] == [
        "accounts.yaml does not render (x.json: over the limit), so lifecycle conditions were not compared"]
    assert lifecycle.expected_documents  # the real one is untouched
