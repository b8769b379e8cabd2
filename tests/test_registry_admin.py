"""A registry administrator approves nothing (issue 30).

Without organization guardrails, a role of the registry account whose own
IAM allows ``sagemaker:*`` needs no Allow in the group policy: in its own
account the identity policy suffices (IAM User Guide, "Policy evaluation
for requests within a single account"). The group policy itself must
refuse it every approval decision: setting ModelApprovalStatus (any value)
or a ModelLifeCycle stage or status, on registration or update. Negative
cases first; then what must keep working: each stage's approvers, only
their stage; developers registering pending versions; the registry's own
metadata updates and group-policy writes (the apply and Terraform roles).
Both the explicit form and the compact one (forced by a tiny limit).
"""

from __future__ import annotations

import pytest

from .conftest import EXAMPLE, World
from .kindkit import rendered_files
from .test_stage_gates import CHURN_V1, CREATE, CREDIT_V1, DS, GOV, RISK, SM, UPDATE, ctx, staged_text

REG = "111111111111"
ADMIN = f"arn:aws:iam::{REG}:role/RegistryAdmin"
APPLY_ROLE = f"arn:aws:iam::{REG}:role/ModelRegistryTerraform"
SAGEMAKER_ADMIN = {"Statement": [{"Effect": "Allow", "Action": "sagemaker:*", "Resource": "*"}]}
ADMIN_EVERYTHING = {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
STAGES = ("Development", "Test", "Prod")
STATUSES = ("PendingApproval", "Approved", "Rejected")
APPROVALS = ("Approved", "Rejected", "PendingManualApproval")
# The stage each approver of the staged example approves (tests/test_stage_gates.py).
APPROVES = {GOV: {"Development", "Test"}, RISK: {"Test", "Prod"}}
PREVIOUS = {"Development": None, "Test": "Development", "Prod": "Test"}


def _world(text: str, form: str) -> World:
    return World(rendered_files(text, compact=form == "compact"))


@pytest.fixture(scope="module", params=["explicit", "compact"])
def staged(request) -> World:
    return _world(staged_text(), request.param)


@pytest.fixture(scope="module", params=["explicit", "compact"])
def unstaged(request) -> World:
    return _world(EXAMPLE.read_text(), request.param)


def _kw(context: dict) -> dict:
    return {k.replace(":", "__"): v for k, v in context.items()}


def _lifecycle_moves():
    """Every (stage, status) a request may set, from every current state."""
    for stage in STAGES:
        for status in STATUSES:
            for current in (None, *STAGES):
                for current_status in ((None,) if current is None else STATUSES):
                    yield ctx(stage, status, current, current_status)


# --- negative first ------------------------------------------------------------------
@pytest.mark.parametrize("identity", [SAGEMAKER_ADMIN, ADMIN_EVERYTHING], ids=["sagemaker-star", "star"])
@pytest.mark.parametrize("action", [UPDATE, CREATE])
def test_a_registry_admin_sets_no_stage(staged, identity, action):
    for context in _lifecycle_moves():
        for version in (CREDIT_V1, CHURN_V1):
            decision = staged.decide(ADMIN, action, version, identity=[identity], **_kw(context))
            assert not decision.allowed, (context, version, decision.reason)
            assert decision.denies, "refused by the group policy's explicit Deny, not by a missing Allow"


@pytest.mark.parametrize("identity", [SAGEMAKER_ADMIN, ADMIN_EVERYTHING], ids=["sagemaker-star", "star"])
@pytest.mark.parametrize("action", [UPDATE, CREATE])
@pytest.mark.parametrize("approval", APPROVALS)
def test_a_registry_admin_sets_no_approval_status(staged, unstaged, identity, action, approval):
    for world in (staged, unstaged):
        for version in (CREDIT_V1, CHURN_V1):
            decision = world.decide(ADMIN, action, version, identity=[identity],
                                    sagemaker__ModelApprovalStatus=approval)
            assert not decision.allowed and decision.denies, (approval, version, decision.reason)


def test_not_even_the_apply_role_or_the_account_root(staged):
    for who in (APPLY_ROLE, f"arn:aws:iam::{REG}:root"):
        assert not staged.can(who, UPDATE, CREDIT_V1, identity=[ADMIN_EVERYTHING],
                              **_kw(ctx("Prod", "Approved", "Test", "Approved")))
        assert not staged.can(who, UPDATE, CREDIT_V1, identity=[ADMIN_EVERYTHING],
                              sagemaker__ModelApprovalStatus="Approved")


def test_other_accounts_admins_set_nothing(staged):
    """Roles of every other account, listed or not, with an identity policy
    that allows everything: only their party's conditioned Allows apply."""
    others = [f"arn:aws:iam::{account}:role/Admin"
              for account in ("222222222222", "333333333333", "444444444444", "555555555555",
                              "666666666666", "777777777777", "999999999999")]
    for who in others:
        for context in _lifecycle_moves():
            assert not staged.can(who, UPDATE, CREDIT_V1, identity=[ADMIN_EVERYTHING], **_kw(context)), (who, context)
        assert not staged.can(who, UPDATE, CREDIT_V1, identity=[ADMIN_EVERYTHING],
                              sagemaker__ModelApprovalStatus="Approved"), who


def test_each_stage_approver_approves_its_own_stage_only(staged):
    for who, own in APPROVES.items():
        for context in _lifecycle_moves():
            stage, status = context["sagemaker:ModelLifeCycle:Stage"], context["sagemaker:ModelLifeCycle:StageStatus"]
            current = context.get("sagemaker:CurrentModelLifeCycleStage")
            current_status = context.get("sagemaker:CurrentModelLifeCycleStageStatus")
            expected = (stage in own and status in ("Approved", "Rejected")
                        and (current == stage or (current == PREVIOUS[stage] and current_status == "Approved")))
            # One approval model (docs/stages.md): a decision carries the status it implies, and only that.
            implied = "Rejected" if status == "Rejected" else ("Approved" if stage == STAGES[-1] else "PendingManualApproval")
            for approval in (None, *APPROVALS):
                asked = context if approval is None else {**context, "sagemaker:ModelApprovalStatus": approval}
                allowed = expected and approval == implied
                assert staged.can(who, UPDATE, CREDIT_V1, **_kw(asked)) is allowed, (who, asked)


# --- what keeps working --------------------------------------------------------------
def test_developers_still_register_and_resubmit(staged, unstaged):
    pending = {"sagemaker__ModelApprovalStatus": "PendingManualApproval"}
    for world in (staged, unstaged):
        assert world.can(DS, CREATE, CREDIT_V1, **pending)
        assert world.can(DS, UPDATE, CREDIT_V1, **pending)
    assert staged.can(DS, CREATE, CREDIT_V1, **pending, **_kw(ctx("Development", "PendingApproval")))
    assert staged.can(DS, UPDATE, CREDIT_V1, **_kw(ctx("Development", "PendingApproval", "Development", "Rejected")))


def test_group_approvers_still_set_the_approval_status(unstaged):
    for approval in APPROVALS:
        assert unstaged.can(GOV, UPDATE, CREDIT_V1, sagemaker__ModelApprovalStatus=approval)


def test_the_registry_keeps_everything_that_is_no_approval_decision(staged):
    """Metadata updates, reads, deletions and the group policy itself stay
    with the registry's own IAM (the apply and Terraform roles write the
    policy and create groups)."""
    group = f"{SM}:model-package-group/credit-risk"
    for who in (ADMIN, APPLY_ROLE):
        assert staged.can(who, UPDATE, CREDIT_V1, identity=[SAGEMAKER_ADMIN])  # no status, no lifecycle
        assert staged.can(who, "sagemaker:DescribeModelPackage", CREDIT_V1, identity=[SAGEMAKER_ADMIN])
        for action in ("sagemaker:PutModelPackageGroupPolicy", "sagemaker:CreateModelPackageGroup",
                       "sagemaker:DescribeModelPackageGroup"):
            assert staged.can(who, action, group, identity=[SAGEMAKER_ADMIN]), action
