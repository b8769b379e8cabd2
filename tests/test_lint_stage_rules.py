"""The stage lint rules: silent on a staged render, firing on a broken copy."""

from __future__ import annotations

import json

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
