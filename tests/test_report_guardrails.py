"""The report's guardrails table (issue 19): which rows the organization's
SCPs and RCPs protect, evaluated from the rendered guardrail files.

Negative cases first: an administrator of the registry account, a
developer and another stage's approver are refused; then the parties the
guardrails must let through are not.
"""

from __future__ import annotations

import pytest

from generator import report
from generator.analysis.policyset import PolicySet

from .test_report_scale import GOOD, STAGED, files_of


def table(text: str):
    config, files = files_of(text)
    matrix, out = report.build(config, PolicySet(files))
    return matrix.guardrails, out


def row(guardrails, label: str) -> dict[str, list[str]]:
    [found] = [r for r in guardrails.rows if r.label == label]
    return {c.label: refused for c, refused in zip(guardrails.columns, found.refused)}


REGISTRY_ADMIN = "shared-services / any other role"
POLICY_CHANGES = ("change group policy", "delete version", "change repository policy", "change bucket policy",
                  "change key policy", "delete key")
TAKE_OVER = "change Terraform role's trust"


def test_a_registry_administrator_is_refused_every_protected_request():
    guardrails, _ = table(GOOD)
    refused = row(guardrails, REGISTRY_ADMIN)
    assert set(refused) == {"approve", *POLICY_CHANGES, TAKE_OVER}
    for label, statements in refused.items():
        assert statements, f"the registry's administrator is not refused: {label}"
    assert any("DenyApprovalUnlessApprover" in s for s in refused["approve"])
    assert any(s.startswith("organization/policies/rcp-") for s in refused["change bucket policy"])


def test_developers_and_deployers_are_refused_approval():
    guardrails, _ = table(GOOD)
    for label in ("data-science / SageMakerExecutionRole", "deployment / ModelDeployPipelineRole",
                  "prod / ModelDeployRole", "governance / any other role"):
        assert row(guardrails, label)["approve"], label


def test_a_stage_approver_is_refused_another_stage():
    guardrails, _ = table(STAGED)
    # Development: governance; Test: every governance account; Prod: model-risk.
    model_risk = row(guardrails, "model-risk / ModelRiskApprover")
    assert model_risk["approve stage Development"]
    assert model_risk["approve stage Test"] == [] and model_risk["approve stage Prod"] == []
    governance = row(guardrails, "governance / ModelApproverRole")
    assert governance["approve stage Prod"]
    assert governance["approve stage Development"] == [] and governance["approve stage Test"] == []
    developer = row(guardrails, "data-science / SageMakerExecutionRole")
    assert all(developer[f"approve stage {s}"] for s in ("Development", "Test", "Prod"))


def test_approvers_and_the_deploying_role_pass_what_they_need():
    guardrails, _ = table(GOOD)
    assert row(guardrails, "governance / ModelApproverRole")["approve"] == []
    deploying = {r.label.split(" / ")[1].split(" ")[0]: row(guardrails, r.label)
                 for r in guardrails.rows if "(deploys the registry's policies)" in r.label}
    # Terraform's role (terraform.assume_role) writes the bucket, key and repositories: it passes every change
    assert set(deploying) == {"ModelRegistryTerraform", "OrganizationAccountAccessRole"}
    assert all(deploying["ModelRegistryTerraform"][label] == [] for label in POLICY_CHANGES)
    # apply's role writes group policies only: the bucket and key stay Terraform's (issue 31)
    apply_role = deploying["OrganizationAccountAccessRole"]
    assert apply_role["change group policy"] == []
    assert apply_role["change bucket policy"] and apply_role["change key policy"] and apply_role["delete key"]
    assert all(refused["approve"] for refused in deploying.values()), "the deploying roles do not approve"
    # nobody takes over the exempt role, not even the deploying roles (issue 30)
    assert all(any("DenyDeployingRoleChanges" in s for s in refused[TAKE_OVER]) for refused in deploying.values())


@pytest.mark.parametrize("name", ["access-matrix.md", "access-matrix.html"])
def test_both_report_files_show_the_table_only_with_guardrails(name):
    _, with_guardrails = table(GOOD)
    assert "Guardrails" in with_guardrails[name] and "refused (DenyApprovalUnlessApprover)" in with_guardrails[name]
    without, out = table(GOOD.replace("guardrails:\n  attach_to: [ou-ab12-cd34ef56]\n", ""))
    assert without is None
    assert "Guardrails</h2>" not in out[name] and "## Guardrails" not in out[name]
