"""Stage gates (issue 15): who may move a version through the ModelLifeCycle stages.

The worked example plus a second governance account and three stages
(Development approved by governance, Test by every governance account, Prod
by model-risk); credit-risk's own approvers are governance only, so
model-risk is a stage approver that is not a group approver. Every rule is
pinned three ways: the full decision, the registry half alone (the caller's
account allows everything: the registry cannot trust another account's
IAM) and the caller's identity half alone (it mirrors the rule). Negative
cases first: skipping a stage, moving back, approving another's stage,
editing an approved version, a consumer reading a pending version.
"""

from __future__ import annotations

import dataclasses

import pytest

from generator import limits, render
from generator.config import config_from_text
from generator.analysis.evaluate import Request, decide

from .kindkit import tiny_limit
from .conftest import EXAMPLE, World

REG = "111111111111"
SM = f"arn:aws:sagemaker:us-east-1:{REG}"
CREDIT_V1 = f"{SM}:model-package/credit-risk/1"
CHURN_V1 = f"{SM}:model-package/churn-predictor/1"
B = "arn:aws:s3:::acme-ml-model-artifacts"

DS = "arn:aws:iam::222222222222:role/SageMakerExecutionRole"
DEPLOY = "arn:aws:iam::333333333333:role/ModelDeployPipelineRole"
TEST = "arn:aws:iam::444444444444:role/SageMakerExecutionRole"
PROD = "arn:aws:iam::555555555555:role/SageMakerExecutionRole"
GOV = "arn:aws:iam::666666666666:role/ModelApproverRole"
RISK = "arn:aws:iam::777777777777:role/ModelRiskApprover"
GOV_OTHER = "arn:aws:iam::666666666666:role/SomeOtherRole"

CREATE, UPDATE, DESCRIBE = "sagemaker:CreateModelPackage", "sagemaker:UpdateModelPackage", "sagemaker:DescribeModelPackage"
LIST = "sagemaker:ListModelPackages"

STAGES = """
stages:
  - name: Development
    approvers: [governance]
  - name: Test
  - name: Prod
    approvers: [model-risk]
"""


def staged_text() -> str:
    text = EXAMPLE.read_text()
    text = text.replace(
        "accounts:\n",
        'accounts:\n  model-risk:      {id: "777777777777", kind: governance, roles: [ModelRiskApprover]}\n', 1)
    text = text.replace("    consumers: [test, prod]\n", "    consumers: [test, prod]\n    approvers: [governance]\n", 1)
    return text + STAGES


def ctx(stage=None, status=None, current=None, current_status=None, approval=None) -> dict:
    """A lifecycle context: what the request sets and what the version has now."""
    out = {}
    if stage is not None:
        out["sagemaker:ModelLifeCycle:Stage"] = stage
    if status is not None:
        out["sagemaker:ModelLifeCycle:StageStatus"] = status
    if current is not None:
        out["sagemaker:CurrentModelLifeCycleStage"] = current
    if current_status is not None:
        out["sagemaker:CurrentModelLifeCycleStageStatus"] = current_status
    if approval is not None:
        out["sagemaker:ModelApprovalStatus"] = approval
    return out


PEND = "PendingManualApproval"


def dec(stage, status, current=None, current_status=None) -> dict:
    """A stage decision as promote sends it: with the ModelApprovalStatus it
    implies (one approval model: Approved for the last stage's approval,
    Rejected for any rejection, PendingManualApproval otherwise)."""
    approval = "Rejected" if status.lower() == "rejected" else (
        "Approved" if stage.lower() == "prod" and status.lower() == "approved" else "PendingManualApproval")
    return ctx(stage, status, current, current_status, approval=approval)
NEW = ctx(approval=PEND)  # what a registration always passes

CASES = [
    # --- negative first: skip a stage, move back, approve another's stage, edit an approved version
    ("stage approver cannot skip a stage", RISK, UPDATE, CREDIT_V1,
     dec("Prod", "Approved", "Development", "Approved"), False),
    ("stage approver cannot skip from a version without lifecycle", GOV, UPDATE, CREDIT_V1,
     dec("Test", "Approved"), False),
    ("first stage approver cannot start a version without lifecycle", GOV, UPDATE, CREDIT_V1,
     dec("Development", "Approved"), False),
    ("cannot move a version back", GOV, UPDATE, CREDIT_V1, dec("Development", "Approved", "Test", "Approved"), False),
    ("cannot move a version back to pending", GOV, UPDATE, CREDIT_V1,
     ctx("Development", "PendingApproval", "Development", "Approved"), False),
    ("cannot approve another's stage", GOV, UPDATE, CREDIT_V1, dec("Prod", "Approved", "Test", "Approved"), False),
    ("cannot approve another's stage (lowercase)", GOV, UPDATE, CREDIT_V1, dec("prod", "approved", "test", "approved"), False),
    ("next stage needs the previous one approved", RISK, UPDATE, CREDIT_V1,
     dec("Prod", "Approved", "Test", "PendingApproval"), False),
    ("a rejected stage does not open the next", RISK, UPDATE, CREDIT_V1, dec("Prod", "Approved", "Test", "Rejected"), False),
    ("stage approvers set only Approved or Rejected", GOV, UPDATE, CREDIT_V1,
     ctx("Test", "PendingApproval", "Test", "Approved"), False),
    # one approval model: ModelApprovalStatus only inside the stage decision that implies it
    ("a governance account cannot set ModelApprovalStatus outside a stage decision", GOV, UPDATE, CREDIT_V1,
     ctx(approval="Approved"), False),
    ("...nor reject outside a stage decision", GOV, UPDATE, CREDIT_V1, ctx(approval="Rejected"), False),
    ("...nor reset to pending outside a stage decision", GOV, UPDATE, CREDIT_V1, ctx(approval=PEND), False),
    ("the last stage's approver cannot set Approved without approving the last stage", RISK, UPDATE, CREDIT_V1,
     ctx(approval="Approved"), False),
    ("...nor with a stage status other than Approved", RISK, UPDATE, CREDIT_V1,
     ctx("Prod", "Rejected", "Test", "Approved", approval="Approved"), False),
    ("an earlier stage's approval cannot set Approved", GOV, UPDATE, CREDIT_V1,
     ctx("Test", "Approved", "Development", "Approved", approval="Approved"), False),
    ("the first stage's approval cannot set Approved", GOV, UPDATE, CREDIT_V1,
     ctx("Development", "Approved", "Development", "PendingApproval", approval="Approved"), False),
    ("a stage approval without ModelApprovalStatus is refused", GOV, UPDATE, CREDIT_V1,
     ctx("Test", "Approved", "Development", "Approved"), False),
    ("the last stage's approval must set Approved in the same request", RISK, UPDATE, CREDIT_V1,
     ctx("Prod", "Approved", "Test", "Approved"), False),
    ("...not leave the version pending", RISK, UPDATE, CREDIT_V1,
     ctx("Prod", "Approved", "Test", "Approved", approval=PEND), False),
    ("a stage rejection must reject the version", GOV, UPDATE, CREDIT_V1,
     ctx("Test", "Rejected", "Test", "Approved", approval=PEND), False),
    ("...not leave it Approved", RISK, UPDATE, CREDIT_V1, ctx("Prod", "Rejected", "Prod", "Approved", approval="Approved"), False),
    ("...nor carry no status", RISK, UPDATE, CREDIT_V1, ctx("Prod", "Rejected", "Prod", "Approved"), False),
    ("a stage approval never rejects the version", GOV, UPDATE, CREDIT_V1,
     ctx("Test", "Approved", "Development", "Approved", approval="Rejected"), False),
    ("group approver cannot change a lifecycle with the status", GOV, UPDATE, CREDIT_V1,
     ctx("Prod", "Approved", "Test", "Approved", approval="Approved"), False),
    ("another role of a stage approver account cannot approve", GOV_OTHER, UPDATE, CREDIT_V1,
     dec("Test", "Approved", "Development", "Approved"), False),
    ("developer cannot edit an approved version", DS, UPDATE, CREDIT_V1, ctx(current="Development", current_status="Approved"), False),
    ("developer cannot edit an approved version (any case)", DS, UPDATE, CREDIT_V1,
     ctx(current="development", current_status="APPROVED"), False),
    ("developer cannot edit a version past the first stage", DS, UPDATE, CREDIT_V1,
     ctx(current="Test", current_status="PendingApproval"), False),
    ("developer cannot resubmit a version past the first stage", DS, UPDATE, CREDIT_V1,
     ctx("Development", "PendingApproval", "Test", "Rejected"), False),
    ("developer cannot register into a later stage", DS, CREATE, CREDIT_V1, {**NEW, **ctx("Test", "PendingApproval")}, False),
    ("developer cannot register approved at the first stage", DS, CREATE, CREDIT_V1,
     {**NEW, **ctx("Development", "Approved")}, False),
    ("developer cannot register with another status", DS, CREATE, CREDIT_V1, {**NEW, **ctx("Development", "InProgress")}, False),
    ("developer cannot approve its first stage", DS, UPDATE, CREDIT_V1,
     dec("Development", "Approved", "Development", "PendingApproval"), False),
    ("developer cannot move a version on", DS, UPDATE, CREDIT_V1, ctx("Test", "PendingApproval"), False),
    ("consumer cannot read a version pending at its stage", TEST, DESCRIBE, CREDIT_V1, ctx(current="Test", current_status="PendingApproval"), False),
    ("consumer cannot read a version rejected at its stage", TEST, DESCRIBE, CREDIT_V1, ctx(current="Test", current_status="Rejected"), False),
    ("consumer cannot read a version at an earlier stage", TEST, DESCRIBE, CREDIT_V1,
     ctx(current="Development", current_status="Approved"), False),
    ("consumer never reads a version without lifecycle", TEST, DESCRIBE, CREDIT_V1, {}, False),
    ("prod cannot read a version approved for test", PROD, DESCRIBE, CREDIT_V1, ctx(current="Test", current_status="Approved"), False),
    ("prod cannot read a version pending for prod", PROD, DESCRIBE, CREDIT_V1, ctx(current="Prod", current_status="PendingApproval"), False),
    ("deployer cannot read a pending version", DEPLOY, DESCRIBE, CREDIT_V1, ctx(current="Test", current_status="PendingApproval"), False),
    ("deployer cannot read a rejected version", DEPLOY, DESCRIBE, CREDIT_V1, ctx(current="Prod", current_status="Rejected"), False),
    ("deployer cannot read a version without lifecycle", DEPLOY, DESCRIBE, CREDIT_V1, {}, False),
    ("consumer never changes a lifecycle", PROD, UPDATE, CREDIT_V1, ctx("Prod", "Approved", "Test", "Approved"), False),
    ("deployer never changes a lifecycle", DEPLOY, UPDATE, CREDIT_V1, ctx("Prod", "Approved", "Test", "Approved"), False),
    # --- positive
    ("developer registers without lifecycle", DS, CREATE, CREDIT_V1, NEW, True),
    ("developer registers at the first stage, pending", DS, CREATE, CREDIT_V1, {**NEW, **ctx("Development", "PendingApproval")}, True),
    ("stage values compare case-insensitively", DS, CREATE, CREDIT_V1, {**NEW, **ctx("development", "pendingapproval")}, True),
    ("developer edits a version without lifecycle", DS, UPDATE, CREDIT_V1, {}, True),
    ("developer edits a version pending at the first stage", DS, UPDATE, CREDIT_V1,
     ctx(current="Development", current_status="PendingApproval"), True),
    ("developer puts a version into the first stage", DS, UPDATE, CREDIT_V1, ctx("Development", "PendingApproval"), True),
    ("developer resubmits a version rejected at the first stage", DS, UPDATE, CREDIT_V1,
     ctx("Development", "PendingApproval", "Development", "Rejected"), True),
    ("first stage approver approves (the version stays pending)", GOV, UPDATE, CREDIT_V1,
     dec("Development", "Approved", "Development", "PendingApproval"), True),
    ("first stage approver rejects (and so rejects the version)", GOV, UPDATE, CHURN_V1,
     dec("Development", "Rejected", "Development", "PendingApproval"), True),
    ("next stage opens after the previous is approved", GOV, UPDATE, CREDIT_V1,
     dec("Test", "Approved", "Development", "Approved"), True),
    ("a stage approver may revise its own stage", GOV, UPDATE, CREDIT_V1, dec("Test", "Rejected", "Test", "Approved"), True),
    ("...and approve again after a rejection (pending again)", GOV, UPDATE, CREDIT_V1,
     dec("Test", "Approved", "Test", "Rejected"), True),
    ("prod approver approves prod and the version in one request", RISK, UPDATE, CREDIT_V1,
     dec("Prod", "Approved", "Test", "Approved"), True),
    ("prod approver approves in any case", RISK, UPDATE, CREDIT_V1, dec("PROD", "APPROVED", "test", "approved"), True),
    ("prod approver rejects prod and the version", RISK, UPDATE, CREDIT_V1, dec("Prod", "Rejected", "Prod", "Approved"), True),
    ("consumer reads a version approved at its stage", TEST, DESCRIBE, CREDIT_V1, ctx(current="Test", current_status="Approved"), True),
    ("consumer reads a version at a later stage", TEST, DESCRIBE, CREDIT_V1, ctx(current="Prod", current_status="PendingApproval"), True),
    ("prod reads a version approved for prod", PROD, DESCRIBE, CREDIT_V1, ctx(current="prod", current_status="approved"), True),
    ("deployer reads a version approved at any stage", DEPLOY, DESCRIBE, CREDIT_V1,
     ctx(current="Development", current_status="Approved"), True),
    ("deployer still lists versions", DEPLOY, LIST, f"{SM}:model-package/credit-risk/*", {}, True),
    ("stage approver reads a pending version", RISK, DESCRIBE, CREDIT_V1, ctx(current="Test", current_status="PendingApproval"), True),
]
NEGATIVE = [c for c in CASES if not c[-1]]
POSITIVE = [c for c in CASES if c[-1]]

ALLOW_ALL_IDENTITY = {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
ALLOW_ALL_RESOURCE = {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]}
FORMS = ["explicit", "compact"]


@pytest.fixture(scope="module", params=FORMS)
def staged(request) -> World:
    """The staged example, explicit and in the forms used at scale (compact
    principals, registry-wide identity policies): both must grant the same."""
    patched = {}
    if request.param == "compact":
        for kind, limit in limits.LIMITS.items():
            patched[kind] = limit
            limits.LIMITS[kind] = tiny_limit(kind, limit)
    try:
        policies = render.build_policies(config_from_text(staged_text()))
    finally:
        limits.LIMITS.update(patched)
    files = {p.path: p.text for p in policies}
    files["manifest.json"] = render.to_json({"policies": [p.manifest_entry() for p in policies]})
    world = World(files)
    world.manifest_form = request.param
    return world


def _ids(cases):
    return [c[0] for c in cases]


@pytest.mark.parametrize("who,action,resource,context,expected", [c[1:] for c in CASES], ids=_ids(CASES))
def test_stage_rules(staged, who, action, resource, context, expected):
    decision = staged.decide(who, action, resource, **{k.replace(":", "__"): v for k, v in context.items()})
    assert decision.allowed is expected, decision.reason


def _registry_half_alone(world: World, who, action, resource, context):
    return world.decide(who, action, resource, identity=[ALLOW_ALL_IDENTITY],
                        **{k.replace(":", "__"): v for k, v in context.items()})


def _identity_half_alone(world: World, who, action, resource, context):
    full = world.request_context(who, resource, context, "o-a1b2c3d4e5")
    return decide(Request(who, action, resource, full), world.identity_policies(who), ALLOW_ALL_RESOURCE, REG)


@pytest.mark.parametrize("who,action,resource,context,expected", [c[1:] for c in NEGATIVE], ids=_ids(NEGATIVE))
def test_the_registry_half_alone_enforces_every_rule(staged, who, action, resource, context, expected):
    """The registry cannot trust another account's IAM: with an identity
    policy that allows everything, the group policy still refuses."""
    assert not _registry_half_alone(staged, who, action, resource, context).allowed


@pytest.mark.parametrize("who,action,resource,context,expected", [c[1:] for c in NEGATIVE], ids=_ids(NEGATIVE))
def test_the_identity_half_mirrors_every_rule(staged, who, action, resource, context, expected):
    """Explicit form only: the registry-wide identity form names every
    group's versions, so group membership is the registry half's alone."""
    if staged.manifest_form == "compact":
        pytest.skip("registry-wide identity policies leave the group to the registry half")
    if who == GOV_OTHER:
        pytest.skip("an unlisted role has no identity policy of ours")
    assert not _identity_half_alone(staged, who, action, resource, context).allowed


@pytest.mark.parametrize("who,action,resource,context,expected", [c[1:] for c in POSITIVE], ids=_ids(POSITIVE))
def test_every_allowed_stage_call_needs_both_halves(staged, who, action, resource, context, expected):
    assert _registry_half_alone(staged, who, action, resource, context).allowed
    assert _identity_half_alone(staged, who, action, resource, context).allowed
    assert not staged.decide(who, action, resource, identity=[],
                             **{k.replace(":", "__"): v for k, v in context.items()}).allowed


@pytest.mark.parametrize("who,action,resource,context,expected", [c[1:] for c in POSITIVE], ids=_ids(POSITIVE))
def test_outside_the_organization_no_stage_moves(staged, who, action, resource, context, expected):
    kwargs = {k.replace(":", "__"): v for k, v in context.items()}
    assert not staged.decide(who, action, resource, org="o-zzzzzzzzzz", **kwargs).allowed
    outsider = who.replace(who.split(":")[4], "999999999999")
    assert not staged.decide(outsider, action, resource, identity=[ALLOW_ALL_IDENTITY], **kwargs).allowed


def test_an_admin_policy_in_the_developers_account_cannot_move_a_lifecycle(staged):
    """Whatever the developers' own account allows, the registry half's
    conditioned Allows are the only way in."""
    for context in (ctx("Test", "PendingApproval"), ctx("Development", "Approved"),
                    ctx(current="Test", current_status="PendingApproval"), ctx(current="Development", current_status="Approved")):
        decision = _registry_half_alone(staged, DS, UPDATE, CREDIT_V1, context)
        assert not decision.allowed and not decision.resource_allows, context


def test_s3_artifacts_are_not_stage_gated(staged):
    """The documented limit: S3 has no lifecycle key, so consumers read
    their groups' artifacts whatever the version's stage."""
    assert staged.can(TEST, "s3:GetObject", f"{B}/credit-risk/model.tar.gz")


def test_without_stages_the_rules_add_nothing(example_files):
    body = "".join(example_files.values())
    assert "ModelLifeCycle" not in body


def test_stage_approvers_get_no_artifacts_and_approve_versions_only_with_their_stage(staged):
    """model-risk approves Prod on every group and reads no artifact. With
    stages ModelApprovalStatus follows the stages: not even on
    churn-predictor, whose approvers default to every governance account,
    does anyone set it outside a stage decision."""
    assert not staged.can(RISK, "s3:GetObject", f"{B}/credit-risk/model.tar.gz")
    assert not staged.can(RISK, "kms:Decrypt", f"arn:aws:kms:us-east-1:{REG}:key/x", kms__ViaService="s3.us-east-1.amazonaws.com")
    for version in (CHURN_V1, CREDIT_V1):
        for who in (RISK, GOV):
            assert not staged.can(who, UPDATE, version, sagemaker__ModelApprovalStatus="Approved")
        assert staged.can(RISK, UPDATE, version, **{
            "sagemaker__ModelLifeCycle__Stage": "Prod", "sagemaker__ModelLifeCycle__StageStatus": "Approved",
            "sagemaker__ModelApprovalStatus": "Approved",
            "sagemaker__CurrentModelLifeCycleStage": "Test", "sagemaker__CurrentModelLifeCycleStageStatus": "Approved"})


def test_the_report_shows_who_approves_each_stage_and_who_reads_it(tmp_path):
    """With stages, the access matrix still matches what accounts.yaml asks
    for (consumers read versions approved at their stage, stage approvers
    approve), and a Stages table names each stage's approvers and readers."""
    from generator.cli import main

    config = tmp_path / "accounts.yaml"
    config.write_text(staged_text())
    out, report = tmp_path / "out", tmp_path / "report"
    assert main(["render", "--config", str(config), "--out", str(out)]) == 0
    assert main(["report", "--config", str(config), "--policies", str(out), "--out", str(report)]) == 0
    text = (report / "access-matrix.md").read_text()
    assert "| Development | governance | — |" in text
    assert "| Test | governance, model-risk | test |" in text
    assert "| Prod | model-risk | prod |" in text
    row = next(line for line in text.splitlines() if line.startswith("| model-risk |") and "ModelRiskApprover" in line)
    assert row.count("approve, metadata") == 2

